"""The ballot box's one error type: something failed a check, with a message fit for a user.

``reason`` is a stable code (tests and the verifier's report use it); the message is a Chinese
source string marked with ``N_`` and translated where it is shown, like every domain error.
"""

from __future__ import annotations

from typing import Any

from ballot.domain.errors import N_, InvalidInput

_MESSAGES = {
    "bad_point": N_("票箱数据中有一个不是有效的群元素（ristretto255 规范编码）：数据已损坏或被改动。"),
    "identity_point": N_("票箱数据中出现了不允许的单位元（全零群元素）：数据已损坏或被改动。"),
    "bad_scalar": N_("票箱数据中有一个不是有效的标量（须为小于群阶的 32 字节数）：数据已损坏或被改动。"),
    "bad_format": N_("票箱数据格式不对（%(where)s）：数据已损坏或不是本系统生成的。"),
    "bad_proof": N_("零知识证明未通过验证（%(where)s）：数据不是按规定生成的，或已被改动。"),
    "bad_choice": N_("每个项目只能选择“赞成”“反对”或“弃权”之一。"),
    "wrong_count": N_("选票上的项目数目不对：应为 %(expected)s 项。"),
    "over_quota": N_("赞成的项目超过了应选数 %(quota)s 项，请减少赞成票后再投。"),
    "not_a_share": N_("这不是监票人密钥卡的内容。请扫描密钥卡上的二维码，或照卡上的文字完整输入。"),
    "bad_check": N_("密钥卡内容的校验码不符，可能输错或扫描不全。请重新扫描，或核对后重新输入。"),
    "wrong_session": N_("这张密钥卡属于另一场会议，不是本场会议的。请使用本场会议封箱时发给您的密钥卡。"),
    "voided_share": N_("这张密钥卡已作废（票箱重新封箱后旧卡作废），或不是本场会议封箱时制作的。请使用最新的密钥卡。"),
    "bad_threshold": N_("门限设置不对：须满足 1 ≤ t ≤ n ≤ 9（现为 t=%(t)s，n=%(n)s）。"),
    "not_enough_shares": N_("开箱需要至少 %(t)s 位监票人的密钥卡，现在只有 %(have)s 位。"),
    "duplicate_share": N_("同一张密钥卡（第 %(index)s 号份额）不能使用两次。"),
    "total_out_of_range": N_("解密出的票数不在 0 到 %(bound)s 之间：部分解密有误，或票箱数据被改动。"),
}


class BallotBoxError(InvalidInput):
    """A ballot-box value (point, proof, key card, ciphertext) failed a check."""

    code = "ballot_box"

    BAD_POINT = "bad_point"
    IDENTITY_POINT = "identity_point"
    BAD_SCALAR = "bad_scalar"
    BAD_FORMAT = "bad_format"
    BAD_PROOF = "bad_proof"
    BAD_CHOICE = "bad_choice"
    WRONG_COUNT = "wrong_count"
    OVER_QUOTA = "over_quota"
    NOT_A_SHARE = "not_a_share"
    BAD_CHECK = "bad_check"
    WRONG_SESSION = "wrong_session"
    VOIDED_SHARE = "voided_share"
    BAD_THRESHOLD = "bad_threshold"
    NOT_ENOUGH_SHARES = "not_enough_shares"
    DUPLICATE_SHARE = "duplicate_share"
    TOTAL_OUT_OF_RANGE = "total_out_of_range"

    def __init__(self, reason: str, **params: Any) -> None:
        self.reason = reason
        params.setdefault("where", "")
        super().__init__(_MESSAGES[reason], **params)

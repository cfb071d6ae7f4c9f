"""Domain errors, each carrying a message fit to show a user.

Messages are Chinese source strings with ``%(name)s`` placeholders; the web and CLI surfaces
translate them through the Babel catalogs (``N_`` only marks them for extraction), so this
module stays free of Flask.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a message for translation without translating it (extracted by Babel)."""
    return message


class BallotError(Exception):
    """Base class: something the user asked for cannot be done, and why."""

    code = "ballot_error"
    status = 400
    message = N_("操作无法完成。")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.render())

    def render(self, translate=None) -> str:
        """The message with its parameters filled in, translated when given a gettext."""
        template = translate(self.message) if translate else self.message
        try:
            return template % self.params if self.params else template
        except (KeyError, ValueError, TypeError):
            return template


class NotFound(BallotError):
    """The thing asked for does not exist (or is not visible to this user)."""

    code = "not_found"
    status = 404
    message = N_("找不到所请求的内容。")


class InvalidInput(BallotError):
    """A field or file failed validation."""

    code = "invalid_input"
    status = 400


class WrongState(BallotError):
    """The session is not in a state that allows this action."""

    code = "wrong_state"
    status = 409
    message = N_("当前会议状态为“%(state)s”，不能执行此操作。")


class NotReady(BallotError):
    """A lifecycle transition was refused; ``problems`` lists everything to fix."""

    code = "not_ready"
    status = 409
    message = N_("还不能进入“%(target)s”阶段，请先解决以下问题。")

    def __init__(self, problems: list, **params: Any) -> None:
        self.problems = problems
        super().__init__(**params)


class ImportRejected(BallotError):
    """An import file had bad rows; nothing was stored. ``row_errors`` lists every one."""

    code = "import_rejected"
    status = 400
    message = N_("导入失败，未保存任何数据。请修改文件中的以下问题后重新导入。")

    def __init__(self, row_errors: list, **params: Any) -> None:
        self.row_errors = row_errors
        super().__init__(**params)


class CandidateListTooShort(BallotError):
    """Fewer candidates than the excess (差额) rule requires."""

    code = "candidate_list_too_short"
    status = 409
    message = N_("候选项目不足：应选 %(quota)s 个，差额比例不低于 %(ratio)s，至少需要 %(required)s 个候选项目，还差 %(missing)s 个。")


class QuorumNotMet(BallotError):
    """Fewer than the quorum have checked in."""

    code = "quorum_not_met"
    status = 409
    message = N_("未达到法定人数：应到 %(expected)s 人，实到 %(present)s 人，须超过半数（至少 %(needed)s 人）。")


class TooManyApprovals(BallotError):
    """A ballot marks more 赞成 than there are slots."""

    code = "too_many_approvals"
    status = 400
    message = N_("赞成票不能超过应选数 %(quota)s 个，您选了 %(count)s 个。请把其中 %(excess)s 个改为反对或弃权。")


class AlreadyVoted(BallotError):
    """The delegate already received or cast a ballot in this round."""

    code = "already_voted"
    status = 409
    message = N_("您在本轮已经领取或投过选票，不能重复投票。")


class PermissionDenied(BallotError):
    """The user's role or congress does not allow this."""

    code = "forbidden"
    status = 403
    message = N_("您没有执行此操作的权限。")

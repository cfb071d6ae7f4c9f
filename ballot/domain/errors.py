"""Domain errors, each carrying a message fit to show a user.

Messages are Chinese source strings with ``%(name)s`` placeholders; the web and CLI surfaces
translate them through the Babel catalogs (``N_`` only marks them for extraction), so this
module stays free of Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class Message(str):
    """A source message marked with ``N_``: translated wherever it is shown, even as a parameter."""

    __slots__ = ()


def N_(message: str) -> Message:
    """Mark a message for translation without translating it (extracted by Babel)."""
    return Message(message)


class Listing(tuple):
    """Several items shown as one text, joined by a translated separator.

    Items are data (shown as they are), messages (``N_``, translated) or ``(message, params)``
    pairs (rendered); a Listing may be a whole message or a parameter of one.
    """

    # TRANSLATORS: separator between the items of a list of names or codes.
    separator = N_("、")

    def __new__(cls, items, separator: str | None = None):
        listing = super().__new__(cls, items)
        if separator is not None:
            listing.separator = separator
        return listing


# TRANSLATORS: separator between several complete messages shown in one line.
MESSAGE_SEPARATOR = N_("；")


def _same(text: str) -> str:
    return text


def _render_value(value: Any, translate) -> Any:
    if isinstance(value, Message):
        return translate(value)
    if isinstance(value, Listing):
        return render_message(value, translate=translate)
    return value


def render_message(message: str | Listing, params: dict | None = None, translate=None) -> str:
    """``message`` translated (when given a gettext) with ``params`` filled in.

    Parameters that are messages or listings are translated too, so a state label or a list of
    problems reads in the same language as the sentence around it.
    """
    translate = translate or _same
    if isinstance(message, Listing):
        parts = []
        for item in message:
            if isinstance(item, tuple) and not isinstance(item, Listing):
                parts.append(render_message(item[0], item[1], translate))
            else:
                parts.append(str(_render_value(item, translate)))
        return translate(message.separator).join(parts)
    template = translate(message)
    if not params:
        return template
    return template % {key: _render_value(value, translate) for key, value in params.items()}


class BallotError(Exception):
    """Base class: something the user asked for cannot be done, and why."""

    code = "ballot_error"
    status = 400
    message = N_("操作无法完成。")

    def __init__(self, message: str | Listing | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.render())

    def render(self, translate=None) -> str:
        """The message with its parameters filled in, translated when given a gettext."""
        try:
            return render_message(self.message, self.params, translate)
        except (KeyError, ValueError, TypeError):
            message = self.message if isinstance(self.message, str) else BallotError.message
            return (translate or _same)(message)


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
        if "action" in params:  # a step that is not a state (confirming the count): name the deed
            self.message = N_("还不能%(action)s，请先解决以下问题。")
        super().__init__(**params)


@dataclass(frozen=True)
class RowError:
    """One problem in an import file: where (line, column) and why."""

    line: int | None
    column: str | None
    message: str
    params: dict

    def render(self, translate=None) -> str:
        """The problem as one line: "第 3 行，“座位号”列：……"."""
        text = render_message(self.message, self.params, translate)
        if self.line is not None and self.column:
            where = N_("第 %(line)s 行，“%(column)s”列：%(text)s")
        elif self.line is not None:
            where = N_("第 %(line)s 行：%(text)s")
        elif self.column:
            where = N_("“%(column)s”列：%(text)s")
        else:
            return text
        return render_message(where, {"line": self.line, "column": self.column, "text": text},
                              translate)


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


class AccountDisabled(PermissionDenied):
    """The account was disabled by an admin: no login works until it is enabled again."""

    code = "account_disabled"
    message = N_("此账号已停用，请联系管理员。")


class PasswordChangeRequired(PermissionDenied):
    """The account's password was set by an admin; the user must choose their own first."""

    code = "password_change_required"
    message = N_("请先修改密码：这个账号的密码由管理员设定，须改为您自己的密码后才能继续。")


class VotingNotOpen(BallotError):
    """No voting round is open for this session."""

    code = "voting_not_open"
    status = 409
    message = N_("当前没有正在进行的投票，请等待主持人宣布开始投票。")


class NotCheckedIn(BallotError):
    """The delegate has not checked in, so cannot be issued a ballot."""

    code = "not_checked_in"
    status = 409
    message = N_("%(name)s 代表尚未签到，请先到签到机签到，再来领取选票。")


class AlreadyIssued(AlreadyVoted):
    """The delegate holds an unused ballot of this round at another kiosk."""

    code = "already_issued"
    message = N_("%(name)s 代表的选票已在“%(kiosk)s”领取，尚未投出。请回到该投票机重新刷卡继续投票；如需改在本机投票，请联系工作人员释放选票。")


class AlreadyCast(AlreadyVoted):
    """The delegate's ballot of this round was cast: no second ballot."""

    code = "already_cast"
    message = N_("%(name)s 代表在本轮已经投票，不能再次领取选票。")


class PaperIssued(AlreadyVoted):
    """The delegate was handed a paper ballot in this round: no kiosk ballot, no second paper."""

    code = "paper_issued"
    message = N_("%(name)s 代表在本轮已领取纸质选票，不能再领取选票。请把纸质选票投入票箱。")


class PaperNotReleasable(BallotError):
    """Staff tried to release a paper ballot: a paper once handed out cannot be taken back."""

    code = "paper_not_releasable"
    status = 409
    message = N_("%(name)s 代表在本轮领取的是纸质选票，纸质选票发出后不能释放。未投入票箱的纸质选票在清点时按未收回计。")


class BallotCastNotReleasable(BallotError):
    """Staff tried to release a delegate whose ballot of this round was cast."""

    code = "ballot_cast"
    status = 409
    message = N_("%(name)s 代表在本轮已经投票，选票已投出，不能释放，也不能再次投票。")


class BallotTokenInvalid(BallotError):
    """The ballot token is unknown, voided, bound to another kiosk or its round has closed."""

    code = "ballot_token_invalid"
    status = 409
    message = N_("本张选票已失效（可能因超时、本轮投票已结束或工作人员已释放），选票未投出。请重新刷卡领取选票；如无法领取，请联系工作人员。")


class InvalidBallot(BallotError):
    """A submitted ballot names an unknown project or choice."""

    code = "invalid_ballot"
    status = 400
    message = N_("选票内容无效：%(reason)s")


class KioskNotForVoting(BallotError):
    """The device is not an enrolled voting kiosk of this session."""

    code = "kiosk_not_for_voting"
    status = 403
    message = N_("本设备不是本次会议已登记的投票机，不能发放或接收选票。")


class NotIssuedHere(BallotError):
    """The delegate's ballot was not issued at this kiosk, so it cannot be returned here."""

    code = "not_issued_here"
    status = 409
    message = N_("该代表的选票不是在本投票机领取的，不能在此退回。请联系工作人员。")


class NotIssued(BallotError):
    """The delegate holds no issued ballot in the round, so there is nothing to release."""

    code = "not_issued"
    status = 409
    message = N_("%(name)s 代表在本轮没有已领取的选票，无需释放。")


class NoPendingTie(BallotError):
    """There is no tie across the cutoff waiting for the chair's decision."""

    code = "no_pending_tie"
    status = 409
    message = N_("当前没有等待决定的同票项目。")


class ResultNotPublished(BallotError):
    """The signed result (and so the audit bundle) exists only after publication."""

    code = "result_not_published"
    status = 409
    message = N_("结果尚未公布：公布后才能下载签名的结果文件和审计包。")


class ResultNotCounted(BallotError):
    """No closed round has been counted yet, so there is nothing to show or export."""

    code = "result_not_counted"
    status = 409
    message = N_("尚无计票结果：请先结束投票。")


class UnknownCard(BallotError):
    """The scanned text is not a valid delegate card of this system."""

    code = "unknown_card"
    status = 404
    message = N_("无法识别此卡，请确认使用的是本次会议的代表证；如有疑问请联系工作人员。")


class CardOfOtherSession(BallotError):
    """The card belongs to a delegate of a different session."""

    code = "card_of_other_session"
    status = 409
    message = N_("这是其他会议的代表证，不能在本次会议使用。请联系工作人员。")


class CardReplaced(BallotError):
    """The card was replaced by a newer one and no longer works."""

    code = "card_replaced"
    status = 409
    message = N_("此代表证（第 %(old)s 版）已作废：%(date)s 已补发第 %(current)s 版新卡。请使用新卡；如未拿到新卡，请到签到台找会务组工作人员领取。")


class CheckinNotOpen(BallotError):
    """The session is not taking check-ins now."""

    code = "checkin_not_open"
    status = 409
    message = N_("现在不是签到时间（会议状态：%(state)s）。")


class LateCheckinRefused(BallotError):
    """Voting has opened and the session takes no late arrivals."""

    code = "late_checkin_refused"
    status = 409
    message = N_("投票已经开始，本次会议设置为投票开始后不再报到。请联系工作人员。")


class PairingCodeInvalid(BallotError):
    """The kiosk pairing code is unknown, used or expired."""

    code = "pairing_code_invalid"
    status = 400
    message = N_("配对码无效、已使用或已过期，请向工作人员索取新的配对码。")


class TooManyFailedScans(BallotError):
    """This kiosk had too many unrecognised scans in a short time."""

    code = "too_many_failed_scans"
    status = 429
    message = N_("本机无效刷卡次数过多，请 %(seconds)s 秒后再试，或联系工作人员。")


class NotCheckedInYet(BallotError):
    """A check-in cannot be undone because the delegate is not checked in."""

    code = "not_checked_in_yet"
    status = 409
    message = N_("%(name)s 代表尚未签到，无需撤销。")


class NotADrill(BallotError):
    """Only a drill (演练) may be reset or deleted; a real session's record is kept."""

    code = "not_a_drill"
    status = 409
    message = N_("“%(title)s”是正式会议，不是演练场次：正式会议不能重置或删除。要彩排，请先“复制为演练场次”。")


class NotADrillToSimulate(BallotError):
    """``simulate`` casts real ballots: it runs on drills unless told explicitly."""

    code = "not_a_drill"
    status = 409
    message = N_("“%(title)s”不是演练场次，模拟投票会把随机选票作为真实选票计入。请先用 ballot drill clone %(slug)s 复制一个演练场次，在演练场次上模拟；确需在本场次模拟，请加 --real。")


class SimulateTooLate(WrongState):
    """``simulate`` runs a session up to a closed round; this one is past voting."""

    message = N_("当前会议状态为“%(state)s”，投票已结束，不能再模拟。如有同票待决定，先执行"
                 " ballot tie-break（再次投票）再模拟；要从头再演练，用 ballot drill reset。")


class ReprintAllClosed(BallotError):
    """Once check-in opens, cards are replaced one delegate at a time, never all at once."""

    code = "reprint_all_closed"
    status = 409
    message = N_("签到已开始（会议状态：%(state)s），不能再为全体代表重新制卡：那会让每位代表手中的代表证立即作废。丢失或损坏的代表证请在签到台逐人补发。")


class ResultNotFinal(BallotError):
    """A tie across the cutoff is still open, so there is no final result to announce yet."""

    code = "result_not_final"
    status = 409
    message = N_("尚无最终结果：有项目同票跨越入选线，请主持人先决定再次投票或名额空缺，计票完成后再生成公告。")

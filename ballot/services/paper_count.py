"""Entering the paper box (issue 22.3): double entry by the counting staff, reconciliation by a
scrutineer, and the paper ballots onto the board.

After a round closes with paper ballots issued, and before its box is opened, two counting
staff (计票人) each enter every paper ballot (sheet) of the pile, numbered 1..N in pile order, in
a pass of their own (第一遍 / 第二遍). Every sheet where the passes differ, or one lacks it, is
a mismatch that a scrutineer (监票人) resolves by entering the reading checked against the paper.
The scrutineer's finish turns each agreed sheet into a board entry: a valid one encrypted to the
sealed box exactly like a kiosk ballot (with its proofs), an invalid one (超过应选数, 无法辨认) as
an entry naming the reason and holding no ciphertext; then the round's Merkle root and products
are recomputed over all its entries and the passes are deleted.

No reading is ever stored in plaintext: each is sealed with AES-GCM under a key derived (HKDF)
from the app's secret key and the session key's fingerprint and the round, a key stored nowhere,
with the sheet's place (session, round, pass, sheet) as associated data so a sealed reading
cannot be moved to another sheet. The readings are opened in memory only, to compare the passes,
to show a mismatch to the scrutineer and to encrypt the ballots at the finish.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, func, select

from ballot import crypto
from ballot.domain import rules, tally
from ballot.domain.errors import N_, InvalidInput, NotReady, PermissionDenied, WrongState
from ballot.domain.states import RoundState, State
from ballot.extensions import db
from ballot.models import BoxPartial, PaperSheet, Round, User, VoteSession
from ballot.services import audit, box, keys, rounds, sessions

PASSES = (1, 2)
CHECKED = 0  # pass_no of a scrutineer's checked reading
MARKS = (tally.FOR, tally.AGAINST, tally.ABSTAIN)
COUNTER_ROLES = ("counter", "admin")
SCRUTINEER_ROLES = ("scrutineer", "admin")
MAX_SHEETS = 10_000


@dataclass(frozen=True)
class Reading:
    """One paper ballot as read: per project code 赞成/反对/弃权 ("for"/"against"/"abstain"; a
    project left out is 弃权), or None: the sheet cannot be read (无法辨认)."""

    marks: dict[str, str] | None

    @property
    def unreadable(self) -> bool:
        return self.marks is None


UNREADABLE = Reading(None)


@dataclass(frozen=True)
class PassState:
    """One pass: who enters it and how many sheets it holds so far."""

    account: str
    sheets: int


@dataclass(frozen=True)
class Mismatch:
    """A sheet the two passes read differently (or only one of them has): both readings (None
    where a pass lacks the sheet), and the scrutineer's checked reading once resolved."""

    sheet_no: int
    first: Reading | None
    second: Reading | None
    resolved: Reading | None


@dataclass(frozen=True)
class PaperStatus:
    """Where the paper count of a round stands."""

    number: int
    issued_paper: int
    passes: dict[int, PassState]
    mismatches: list[Mismatch]
    ready: bool
    finished: bool
    problems: list[rules.Problem]
    candidates: tuple[str, ...] = ()

    @property
    def open_mismatches(self) -> list[Mismatch]:
        return [m for m in self.mismatches if m.resolved is None]


# --- sealing readings ------------------------------------------------------------------------


def _key(session: VoteSession, number: int) -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    info = f"piaojue/paper-count/v1|{session.key_fingerprint}|{number}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


def _place(session: VoteSession, number: int, pass_no: int, sheet_no: int) -> bytes:
    return f"{session.id}|{number}|{pass_no}|{sheet_no}".encode()


def _sealed_size(codes: tuple[str, ...]) -> int:
    """The length every reading of a round is padded to before sealing: the longest reading's
    (every mark the longest word), so a sealed reading's size says nothing of its marks (赞成's
    word is shorter than 反对's or 弃权's, and an unreadable sheet's reading shorter still)."""
    longest = max(MARKS, key=len)
    return len(json.dumps({"marks": dict.fromkeys(codes, longest)}, sort_keys=True).encode())


def _seal(session: VoteSession, round_: Round, pass_no: int, sheet_no: int,
          reading: Reading) -> str:
    number = round_.number
    nonce = os.urandom(12)
    plain = json.dumps({"marks": reading.marks}, sort_keys=True).encode("utf-8") \
        .ljust(_sealed_size(tuple(round_.candidates)))
    sealed = AESGCM(_key(session, number)).encrypt(
        nonce, plain, _place(session, number, pass_no, sheet_no))
    return base64.b64encode(nonce + sealed).decode("ascii")


def _store(session: VoteSession, round_: Round, pass_no: int, sheet_no: int, reading: Reading,
           account: str) -> PaperSheet | None:
    """Seal ``reading`` into its place (pass, sheet), entered by ``account``; returns the row it
    replaced (a correction), None for a new sheet."""
    existing = db.session.get(PaperSheet, (session.id, round_.number, pass_no, sheet_no))
    sealed = _seal(session, round_, pass_no, sheet_no, reading)
    if existing is None:
        db.session.add(PaperSheet(session_id=session.id, round_number=round_.number,
                                  pass_no=pass_no, sheet_no=sheet_no, account=account,
                                  sealed=sealed))
    else:
        existing.account, existing.sealed = account, sealed
    return existing


def _open(session: VoteSession, row: PaperSheet) -> Reading:
    raw = base64.b64decode(row.sealed)
    try:
        plain = AESGCM(_key(session, row.round_number)).decrypt(
            raw[:12], raw[12:], _place(session, row.round_number, row.pass_no, row.sheet_no))
    except InvalidTag:
        raise WrongState(N_("第 %(sheet)s 张纸质选票的录入记录无法解密（服务器密钥已更换或记录被改动），"
                            "请删除本轮录入后重新录入。"), sheet=row.sheet_no) from None
    marks = json.loads(plain)["marks"]
    return Reading(marks)


# --- checks ------------------------------------------------------------------------------------


def _round(session: VoteSession, number: int) -> Round:
    round_ = rounds.get_round(session, number)
    if round_.state != RoundState.CLOSED:
        raise WrongState(N_("第 %(number)s 轮投票尚未结束：纸质选票须在本轮投票结束后、开箱之前录入。"),
                         number=number)
    if rounds.issued_by_kind(session, number)["paper"] == 0:
        raise WrongState(N_("第 %(number)s 轮没有发出纸质选票，无需录入。"), number=number)
    return round_


def _writable(session: VoteSession, number: int) -> Round:
    round_ = _round(session, number)
    opened = db.session.execute(
        select(func.count()).select_from(BoxPartial)
        .where(BoxPartial.session_id == session.id, BoxPartial.round_number == number)
    ).scalar_one()
    if round_.result is not None or opened:
        raise WrongState(N_("第 %(number)s 轮的票箱已经开启，纸质选票不能再录入或更改。"), number=number)
    if round_.paper_finished:
        raise WrongState(N_("第 %(number)s 轮的纸质选票已完成录入并放入票箱，不能再更改。"),
                         number=number)
    return round_


def _require(user: User, session: VoteSession, roles: tuple[str, ...], message: str) -> None:
    if user is None or user.role not in roles or not sessions.can_access(user, session.congress):
        raise PermissionDenied(message)


def _check_sheet_no(sheet_no: object) -> int:
    if not isinstance(sheet_no, int) or isinstance(sheet_no, bool) or not \
            1 <= sheet_no <= MAX_SHEETS:
        raise InvalidInput(N_("选票序号须为 1 到 %(max)s 的整数（按选票叠放顺序编号）。"),
                           max=MAX_SHEETS)
    return sheet_no


def clean_reading(round_: Round, reading: Reading, sheet_no: int | None = None) -> Reading:
    """The reading over the round's projects in ballot order (a project left out is 弃权);
    InvalidInput for a project not on the ballot or a mark that is not 赞成/反对/弃权."""
    if not isinstance(reading, Reading):
        raise InvalidInput(N_("选票内容格式不正确。"))
    if reading.marks is None:
        return UNREADABLE
    where = {"sheet": sheet_no if sheet_no is not None else "?"}
    if not isinstance(reading.marks, Mapping):
        raise InvalidInput(N_("第 %(sheet)s 张选票：内容格式不正确，应为每个项目的赞成、反对或弃权。"),
                           **where)
    unknown = [str(code) for code in reading.marks if code not in round_.candidates]
    if unknown:
        raise InvalidInput(N_("第 %(sheet)s 张选票：本轮选票上没有编号为 %(codes)s 的项目（本轮项目编号："
                              "%(known)s）。"), codes="、".join(unknown),
                           known="、".join(round_.candidates), **where)
    bad = [str(code) for code, mark in reading.marks.items() if mark not in MARKS]
    if bad:
        raise InvalidInput(N_("第 %(sheet)s 张选票：项目 %(codes)s 的标记只能是赞成、反对或弃权（未填视为弃权）。"),
                           codes="、".join(bad), **where)
    return Reading({code: reading.marks.get(code, tally.ABSTAIN) for code in round_.candidates})


# --- reading the passes ------------------------------------------------------------------------


def _rows(session: VoteSession, number: int) -> list[PaperSheet]:
    return list(db.session.execute(
        select(PaperSheet).where(PaperSheet.session_id == session.id,
                                 PaperSheet.round_number == number)
        .order_by(PaperSheet.pass_no, PaperSheet.sheet_no)
    ).scalars())


def _pass_accounts(rows: list[PaperSheet]) -> dict[int, str]:
    accounts: dict[int, str] = {}
    for row in rows:
        if row.pass_no in PASSES:
            accounts.setdefault(row.pass_no, row.account)
    return accounts


def record_sheet(session: VoteSession, number: int, pass_no: int, sheet_no: int,
                 reading: Reading, user: User) -> None:
    """A counter enters (or corrects) sheet ``sheet_no`` of pass ``pass_no`` of round ``number``.

    Sheets are numbered 1..N as the pile lies: the next sheet is the pass's count + 1, and a
    sheet already entered may be corrected by the account that entered the pass. The two passes
    must be entered by two different accounts.
    """
    _require(user, session, COUNTER_ROLES, N_("只有计票人账号才能录入纸质选票。"))
    if pass_no not in PASSES:
        raise InvalidInput(N_("录入遍次只能是 1（第一遍）或 2（第二遍），不是 %(pass_no)s。"),
                           pass_no=pass_no)
    _check_sheet_no(sheet_no)
    round_ = _writable(session, number)
    clean = clean_reading(round_, reading, sheet_no)
    rows = [r for r in _rows(session, number) if r.pass_no in PASSES]
    owners = _pass_accounts(rows)
    owner = owners.get(pass_no)
    if owner is not None and owner != user.username:
        raise PermissionDenied(N_("第 %(pass_no)s 遍已由计票人“%(owner)s”录入，每一遍只能由同一个账号录入和更正。"),
                               pass_no=pass_no, owner=owner)
    other = owners.get(3 - pass_no)
    if other is not None and other == user.username:
        raise PermissionDenied(N_("两遍须由两个不同的计票人独立录入：您已录入第 %(other)s 遍，"
                                  "第 %(this)s 遍请由另一位计票人录入。"),
                               other=3 - pass_no, this=pass_no)
    count = sum(1 for r in rows if r.pass_no == pass_no)
    if sheet_no > count + 1:
        raise InvalidInput(N_("请按顺序录入：本遍已录入 %(count)s 张，下一张是第 %(next)s 张，不是第 %(sheet)s 张。"),
                           count=count, next=count + 1, sheet=sheet_no)
    existing = _store(session, round_, pass_no, sheet_no, clean, user.username)
    if existing is not None:
        # A corrected sheet is compared afresh: a scrutineer's earlier checked reading of it
        # no longer stands (if the passes still differ, it is resolved again).
        db.session.execute(delete(PaperSheet).where(
            PaperSheet.session_id == session.id, PaperSheet.round_number == number,
            PaperSheet.pass_no == CHECKED, PaperSheet.sheet_no == sheet_no))
    db.session.flush()
    # Audited without the reading: who entered which sheet of which pass.
    audit.record(user.username, "paper.correct" if existing is not None else "paper.sheet",
                 session, round=number, pass_no=pass_no, sheet=sheet_no)


def status(session: VoteSession, number: int) -> PaperStatus:
    """The paper count of round ``number``: passes, mismatches, whether it can be finished."""
    round_ = rounds.get_round(session, number)
    issued_paper = rounds.issued_by_kind(session, number)["paper"]
    if round_.paper_finished:
        return PaperStatus(number, issued_paper, {}, [], False, True, [],
                           tuple(round_.candidates))
    rows = _rows(session, number)
    accounts = _pass_accounts(rows)
    readings: dict[int, dict[int, Reading]] = {0: {}, 1: {}, 2: {}}
    for row in rows:
        readings[row.pass_no][row.sheet_no] = _open(session, row)
    passes = {p: PassState(accounts[p], len(readings[p])) for p in PASSES if p in accounts}
    mismatches = []
    last = max((len(readings[1]), len(readings[2])), default=0)
    for sheet_no in range(1, last + 1):
        first, second = readings[1].get(sheet_no), readings[2].get(sheet_no)
        if first is None or second is None or first != second:
            mismatches.append(Mismatch(sheet_no, first, second, readings[0].get(sheet_no)))
    problems = _problems(round_, issued_paper, passes, mismatches)
    return PaperStatus(number, issued_paper, passes, mismatches, not problems, False, problems,
                       tuple(round_.candidates))


def _problems(round_: Round, issued_paper: int, passes: dict[int, PassState],
              mismatches: list[Mismatch]) -> list[rules.Problem]:
    problems: list[rules.Problem] = []
    if round_.state != RoundState.CLOSED:
        problems.append(rules.Problem("paper_round_open", N_(
            "第 %(number)s 轮投票尚未结束。"), {"number": round_.number}))
    if issued_paper == 0:
        problems.append(rules.Problem("paper_none_issued", N_(
            "第 %(number)s 轮没有发出纸质选票。"), {"number": round_.number}))
    for pass_no in PASSES:
        if pass_no not in passes:
            problems.append(rules.Problem("paper_pass_missing", N_(
                "第 %(pass_no)s 遍尚未录入：请一位计票人录入全部纸质选票。"),
                {"pass_no": pass_no}))
    if len(passes) == 2 and passes[1].sheets != passes[2].sheets:
        problems.append(rules.Problem("paper_pass_counts", N_(
            "两遍录入的张数不同（第一遍 %(first)s 张，第二遍 %(second)s 张）：请清点选票后补录或更正。"),
            {"first": passes[1].sheets, "second": passes[2].sheets}))
    open_ = [m.sheet_no for m in mismatches if m.resolved is None]
    if open_:
        problems.append(rules.Problem("paper_mismatch_open", N_(
            "还有 %(count)s 张选票两遍录入不一致（第 %(sheets)s 张）：请监票人对照纸质选票核定。"),
            {"count": len(open_), "sheets": "、".join(str(n) for n in open_)}))
    return problems


def resolve(session: VoteSession, number: int, sheet_no: int, reading: Reading,
            user: User) -> None:
    """A scrutineer enters the reading of a mismatched sheet as checked against the paper."""
    _require(user, session, SCRUTINEER_ROLES, N_("只有监票人账号才能核定两遍录入不一致的选票。"))
    _check_sheet_no(sheet_no)
    round_ = _writable(session, number)
    clean = clean_reading(round_, reading, sheet_no)
    if sheet_no not in {m.sheet_no for m in status(session, number).mismatches}:
        raise InvalidInput(N_("第 %(sheet)s 张选票两遍录入一致（或尚未录入），无需核定。"), sheet=sheet_no)
    _store(session, round_, CHECKED, sheet_no, clean, user.username)
    db.session.flush()
    audit.record(user.username, "paper.resolve", session, round=number, sheet=sheet_no)


def awaiting_paper(session: VoteSession, round_: Round) -> bool:
    """Closed, paper ballots issued, not yet entered and finished: the box must stay shut."""
    return (round_.state == RoundState.CLOSED and not round_.paper_finished and round_.result is None
            and rounds.issued_by_kind(session, round_.number)["paper"] > 0)


@dataclass(frozen=True)
class Finished:
    """What the finish put on the board."""

    sheets: int
    valid: int
    invalid_by_reason: dict[str, int]
    merkle_root: str


def finish(session: VoteSession, number: int, user: User, *, empty: bool = False) -> Finished:
    """A scrutineer finishes the paper count (完成录入): each agreed sheet becomes a board entry,
    the round's root and products are recomputed over all entries, the passes are deleted.

    ``empty``: the paper box holds no ballot at all (the delegates handed paper put none in),
    which the scrutineer states instead of the two passes; refused once any sheet was entered.
    """
    _require(user, session, SCRUTINEER_ROLES, N_("只有监票人账号才能完成纸质选票录入。"))
    round_ = _writable(session, number)
    state = status(session, number)
    if empty:
        if state.passes:
            raise InvalidInput(N_("计票人已录入纸质选票，不能按“纸质票箱中没有选票”完成录入；"
                                  "请核对两遍录入后正常完成录入。"))
        state = PaperStatus(state.number, state.issued_paper, {}, [], True, False, [],
                            state.candidates)
    if state.problems:
        raise NotReady(state.problems, action=N_("完成纸质选票录入"))
    rows = _rows(session, number)
    mismatched = {m.sheet_no for m in state.mismatches}
    checked = {r.sheet_no: _open(session, r) for r in rows
               if r.pass_no == CHECKED and r.sheet_no in mismatched}
    first = {r.sheet_no: r for r in rows if r.pass_no == 1}
    key = keys.private_key(session, current_app.config["KEY_ENCRYPTION_SECRET"])
    limit = box.for_limit(session, round_)
    reasons = dict.fromkeys(tally.INVALID_REASONS, 0)
    entries = []
    for sheet_no in sorted(first):
        reading = checked.get(sheet_no) or _open(session, first[sheet_no])
        ballot_id = secrets.token_hex(16)
        reason = _invalid_reason(reading, limit)
        if reason is not None:
            reasons[reason] += 1
            payload = {"ballot_id": ballot_id, "round": number, "kind": tally.KIND_PAPER,
                       "invalid": reason}
        else:
            encrypted = box.encrypt_ballot(session, round_, ballot_id, dict(reading.marks))
            payload = {"ballot_id": ballot_id, "round": number, "kind": tally.KIND_PAPER,
                       "ballot": encrypted}
        del reading
        entries.append(crypto.sign_payload(key, payload))
    close_root = round_.merkle_root
    for entry in entries:
        db.session.execute(rounds.add_entry_statement(), {
            "ballot_id": entry["payload"]["ballot_id"], "session_id": session.id,
            "round_number": number,
            "payload": crypto.canonical_json(entry["payload"]).decode("utf-8"),
            "entry_hash": entry["hash"], "signature": entry["signature"]})
    db.session.execute(delete(PaperSheet).where(PaperSheet.session_id == session.id,
                                                PaperSheet.round_number == number))
    root = rounds.recommit(session, round_)
    round_.paper_finished = True
    db.session.flush()
    valid = len(entries) - sum(reasons.values())
    audit.record(user.username, "paper.finish", session, round=number, sheets=len(entries),
                 valid=valid, invalid_by_reason=reasons, close_merkle_root=close_root,
                 merkle_root=root, empty=empty)
    return Finished(len(entries), valid, reasons, root)


def _invalid_reason(reading: Reading, limit: int) -> str | None:
    if reading.marks is None:
        return tally.INVALID_UNREADABLE
    if sum(1 for mark in reading.marks.values() if mark == tally.FOR) > limit:
        return tally.INVALID_OVER_QUOTA
    return None


def rounds_awaiting(session: VoteSession) -> list[Round]:
    """The session's rounds whose paper ballots wait to be entered."""
    return [r for r in rounds.list_rounds(session) if awaiting_paper(session, r)]


# --- the counting room's text format (CLI, scripts) ---------------------------------------------

# One line per sheet, the marks of the round's projects in ballot order (a 测评's grades too).
_WORDS = {
    "赞成": tally.FOR, "F": tally.FOR, "反对": tally.AGAINST, "A": tally.AGAINST,
    "弃权": tally.ABSTAIN, "-": tally.ABSTAIN,
    "满意": tally.FOR, "不满意": tally.AGAINST, "基本满意": tally.ABSTAIN,
}
_UNREADABLE_WORDS = ("无法辨认", "X")
SHEET_FORMAT_HELP = (
    "One line per paper ballot, in the pile's order: the marks of the round's projects in "
    "ballot order, separated by spaces or commas, each 赞成/反对/弃权 (or F/A/-; a 测评 also "
    "满意/基本满意/不满意), a blank box written as 弃权 or -; or the whole line 无法辨认 (or X) "
    "for a sheet nobody can read. Single-letter marks may be written together (FFA-). Empty "
    "lines and lines starting with # are skipped.")


def parse_sheet_line(round_: Round, line: str, sheet_no: int) -> Reading:
    """A sheet from one line of the text format (SHEET_FORMAT_HELP); InvalidInput says which
    sheet and what is wrong."""
    text = line.strip().replace("，", " ").replace(",", " ")
    if text.upper() in _UNREADABLE_WORDS:
        return UNREADABLE
    tokens = text.split()
    if len(tokens) == 1 and len(tokens[0]) == len(round_.candidates) and all(
            ch.upper() in "FA-" for ch in tokens[0]):
        tokens = list(tokens[0])
    marks = []
    for token in tokens:
        mark = _WORDS.get(token.upper() if len(token) == 1 else token)
        if mark is None:
            raise InvalidInput(N_("第 %(sheet)s 张选票：“%(token)s”不是可识别的标记，请写赞成、反对、弃权"
                                  "（或 F、A、-），整张无法辨认时写“无法辨认”（或 X）。"),
                               sheet=sheet_no, token=token[:20])
        marks.append(mark)
    if len(marks) != len(round_.candidates):
        raise InvalidInput(N_("第 %(sheet)s 张选票：本轮有 %(count)s 个项目，这一行有 %(given)s 个标记；"
                              "请按选票顺序为每个项目写一个标记（空白写弃权或 -）。"),
                           sheet=sheet_no, count=len(round_.candidates), given=len(marks))
    return Reading(dict(zip(round_.candidates, marks, strict=True)))


def parse_sheet_lines(session: VoteSession, number: int, text: str, first: int
                      ) -> list[Reading]:
    """The sheets of a text (SHEET_FORMAT_HELP), numbered from ``first``."""
    round_ = rounds.get_round(session, number)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise InvalidInput(N_("没有读到任何选票：每张选票写一行。"))
    return [parse_sheet_line(round_, ln, first + i) for i, ln in enumerate(lines)]


def record_sheets(session: VoteSession, number: int, pass_no: int, first: int | None,
                  readings: list[Reading], user: User) -> int:
    """Enter ``readings`` as sheets ``first``, ``first`` + 1, … of a pass (default: after the
    pass's last sheet; an earlier ``first`` corrects those sheets). Returns the first number."""
    if first is None:
        if pass_no not in PASSES:
            raise InvalidInput(N_("录入遍次只能是 1（第一遍）或 2（第二遍），不是 %(pass_no)s。"),
                               pass_no=pass_no)
        first = 1 + db.session.execute(
            select(func.count()).select_from(PaperSheet).where(
                PaperSheet.session_id == session.id, PaperSheet.round_number == number,
                PaperSheet.pass_no == pass_no)).scalar_one()
    for offset, reading in enumerate(readings):
        record_sheet(session, number, pass_no, first + offset, reading, user)
    return first


def reading_text(reading: Reading | None, candidates: tuple[str, ...]) -> str:
    """A reading in the text format (F/A/- per project, or X), for listings."""
    if reading is None:
        return "—"
    if reading.marks is None:
        return "X"
    short = {tally.FOR: "F", tally.AGAINST: "A", tally.ABSTAIN: "-"}
    return "".join(short[reading.marks.get(code, tally.ABSTAIN)] for code in candidates)


def own_sheet(session: VoteSession, number: int, pass_no: int, sheet_no: int,
              user: User) -> Reading | None:
    """Sheet ``sheet_no`` of the pass ``user`` enters (to correct it), or None when that pass
    has no such sheet; PermissionDenied for another account's pass."""
    _require(user, session, COUNTER_ROLES, N_("只有计票人账号才能录入纸质选票。"))
    row = db.session.get(PaperSheet, (session.id, number, pass_no, sheet_no))
    if row is None:
        return None
    if row.account != user.username:
        raise PermissionDenied(N_("第 %(pass_no)s 遍已由计票人“%(owner)s”录入，每一遍只能由同一个账号录入和更正。"),
                               pass_no=pass_no, owner=row.account)
    return _open(session, row)


def sessions_awaiting(user: User) -> list[tuple[VoteSession, list[Round]]]:
    """The sessions ``user`` may see with rounds whose paper ballots wait to be entered."""
    found = []
    for session in sessions.list_sessions(user):
        if session.state != State.CLOSED:
            continue
        waiting = rounds_awaiting(session)
        if waiting:
            found.append((session, waiting))
    return found

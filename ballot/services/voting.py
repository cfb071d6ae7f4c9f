"""Secret ballots at voting kiosks: issue a one-time token, accept one ballot per token, return.

DESIGN §3. Issuing marks *that* a delegate got a ballot (BallotIssue, which keeps the hash of the
token it issued) and hands the kiosk a random token stored only as a hash, bound to the kiosk,
with no delegate and no time. Casting turns the token into one signed board entry whose id is
derived from the raw token by another derivation, so the database accepts exactly one ballot per
token and a retried submission gets the same receipt.

An issue mark is cleared only by voiding the very token it issued, and only while that token is
unused: the kiosk gives it back (walk-away), the kiosk issues its next ballot (the previous
delegate left without voting), the same card is scanned again at the same kiosk (the page was
reloaded and lost the token: a fresh one is issued), or staff release it. A delegate whose token
was used is never released. Each of these is audited (who, which kiosk, why); nothing here logs
or audits a token, ballot id, tracking code or choice.

Callers run each function in a unit of work (``ballot.unit_of_work.run``): on PostgreSQL a
transaction that lost a race (unique violation, serialization failure, deadlock) is re-run there,
and the re-run's reads then see the winner's committed rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Row

from ballot import crypto
from ballot.domain import tally
from ballot.domain.errors import (
    N_,
    AlreadyCast,
    AlreadyIssued,
    BallotCastNotReleasable,
    BallotTokenInvalid,
    InvalidBallot,
    InvalidInput,
    KioskNotForVoting,
    NotCheckedIn,
    NotIssued,
    NotIssuedHere,
    PaperIssued,
    PaperNotReleasable,
    TooManyApprovals,
    VotingNotOpen,
)
from ballot.domain.states import Attendance, RoundState, State, TokenState
from ballot.extensions import db
from ballot.models import (
    AuditEntry,
    BallotIssue,
    BallotToken,
    BoardEntry,
    Candidate,
    Delegate,
    Kiosk,
    Round,
    VoteSession,
)
from ballot.services import audit, box, credentials, keys


@dataclass(frozen=True)
class Receipt:
    """What the kiosk shows after a ballot is recorded: the tracking code, on screen only."""

    tracking_code: str
    round_number: int


def _check_kiosk(session: VoteSession, kiosk: Kiosk) -> None:
    if kiosk.session_id != session.id or kiosk.mode != "voting" or kiosk.revoked_at is not None:
        raise KioskNotForVoting()


# The ballot flow's statements, built once at import with bound parameters (only for speed:
# building a statement costs about as much as running it, and a ballot runs about ten). Core,
# not ORM, where nothing in the session needs to follow the rows. Share locks on the round:
# casts and issues run side by side, close_round (FOR UPDATE) waits for them.
# populate_existing: a re-run after a lost race must see the new state.
_ISSUES, _TOKENS = BallotIssue.__table__, BallotToken.__table__
_SESSION_ID, _NUMBER = bindparam("session_id"), bindparam("number")

_OPEN_ROUND = (select(Round).where(Round.session_id == _SESSION_ID, Round.state == RoundState.OPEN)
               .with_for_update(read=True).execution_options(populate_existing=True))
_ROUND = (select(Round).where(Round.session_id == _SESSION_ID, Round.number == _NUMBER)
          .with_for_update(read=True).execution_options(populate_existing=True))
# The issue mark is locked: a release, a return and a rescan of one delegate take turns.
_ISSUE_OF = select(_ISSUES).where(
    _ISSUES.c.session_id == _SESSION_ID, _ISSUES.c.round_number == _NUMBER,
    _ISSUES.c.delegate_id == bindparam("delegate_id")).with_for_update()
_ISSUE_OF_TOKEN = select(_ISSUES).where(_ISSUES.c.token_hash == bindparam("of_token")) \
    .with_for_update()
_ADD_ISSUE = insert(_ISSUES)
_CLEAR_ISSUE = delete(_ISSUES).where(_ISSUES.c.token_hash == bindparam("of_token"))
_VOID_KIOSK_TOKEN = update(_TOKENS).where(
    _TOKENS.c.kiosk_id == bindparam("of_kiosk"), _TOKENS.c.state == TokenState.OPEN) \
    .values(state=TokenState.VOIDED).returning(_TOKENS.c.token_hash)
_VOID_TOKEN = update(_TOKENS).where(
    _TOKENS.c.token_hash == bindparam("of_token"), _TOKENS.c.state == TokenState.OPEN) \
    .values(state=TokenState.VOIDED)
_ADD_TOKEN = insert(_TOKENS)
_TOKEN = (select(BallotToken).where(BallotToken.token_hash == bindparam("token_hash"))
          .with_for_update().execution_options(populate_existing=True))
_USE_TOKEN = update(_TOKENS).where(_TOKENS.c.token_hash == bindparam("of_token")) \
    .values(state=TokenState.USED)
_ADD_ENTRY = insert(BoardEntry.__table__)
_CANDIDATES = select(Candidate.code, Candidate.title, Candidate.summary, Candidate.category,
                     Candidate.department, Candidate.budget) \
    .where(Candidate.session_id == _SESSION_ID)


def _run(statement, **params):
    return db.session.execute(statement, params)


def _open_round(session: VoteSession) -> Round:
    round_ = _run(_OPEN_ROUND, session_id=session.id).scalar_one_or_none()
    if round_ is None or session.state != State.VOTING:
        raise VotingNotOpen()
    return round_


def _issue_of(session_id: int, number: int, delegate_id: int) -> Row | None:
    return _run(_ISSUE_OF, session_id=session_id, number=number,
                delegate_id=delegate_id).one_or_none()


def _token_state(token_hash: str) -> str:
    """The state of the token with ``token_hash`` (locked until the transaction ends)."""
    row = _run(_TOKEN, token_hash=token_hash).scalar_one_or_none()
    return TokenState.VOIDED if row is None else row.state


def _kiosk_name(kiosk_id: int | None) -> str:
    kiosk = db.session.get(Kiosk, kiosk_id) if kiosk_id is not None else None
    return kiosk.name if kiosk is not None else "—"


def _clear(session: VoteSession, issue: Row, actor: str, action: str, reason: str) -> None:
    """Void the unused token ``issue`` holds and clear the mark, audited in the same transaction.

    The caller has locked the token and seen it unused (or already voided, at a close)."""
    _run(_VOID_TOKEN, of_token=issue.token_hash)
    _run(_CLEAR_ISSUE, of_token=issue.token_hash)
    delegate = db.session.get(Delegate, issue.delegate_id)
    audit.record(actor, action, session, round=issue.round_number, delegate_id=issue.delegate_id,
                 name=delegate.name if delegate is not None else "—",
                 kiosk=_kiosk_name(issue.kiosk_id), reason=reason)


def _void_previous_at(session: VoteSession, kiosk: Kiosk) -> None:
    """The kiosk starts a new ballot: its open token, if any, was left unused by the delegate
    before (a reloaded page); void it and clear that delegate's mark, who may scan again."""
    for token_hash in _run(_VOID_KIOSK_TOKEN, of_kiosk=kiosk.id).scalars().all():
        issue = _run(_ISSUE_OF_TOKEN, of_token=token_hash).one_or_none()
        if issue is not None:
            _clear(session, issue, _kiosk_actor(kiosk), "ballot.return",
                   REASON_NEXT_DELEGATE)


def _kiosk_actor(kiosk: Kiosk) -> str:
    return f"kiosk:{kiosk.id}"


# Why a kiosk cleared a mark, as the audit log shows it (data, like the reasons staff type).
REASON_WALKAWAY = "代表离开投票机未投票，选票由投票机收回"
REASON_NEXT_DELEGATE = "投票机为下一位代表发放选票，上一张未投出的选票作废"
REASON_RESCAN = "代表在同一投票机再次刷卡（页面重新载入后选票丢失），原选票作废并重新发放"


def _token_row(session: VoteSession, kiosk: Kiosk, token: bytes, *,
               lock: bool = True) -> BallotToken:
    if not isinstance(token, bytes) or len(token) != crypto.TOKEN_BYTES:
        raise BallotTokenInvalid()
    token_hash = crypto.token_hash(token)
    row = (_run(_TOKEN, token_hash=token_hash).scalar_one_or_none() if lock
           else db.session.get(BallotToken, token_hash))
    if row is None or row.session_id != session.id or row.kiosk_id != kiosk.id:
        raise BallotTokenInvalid()
    return row


def _budget(value: Decimal | None) -> str | None:
    # 万元 as staff typed it: 1280.5, 100 — not 1280.50 / 1E+2.
    return None if value is None else f"{value.quantize(Decimal('0.01')).normalize():f}"


def ballot_view(session: VoteSession, round_: Round) -> dict[str, Any]:
    """What the kiosk shows on the ballot: the round's projects in ballot order and the rules."""
    by_code = {row.code: row for row in _run(_CANDIDATES, session_id=session.id)}
    return {
        "round": round_.number,
        "quota": round_.quota,
        "contested": session.contested,
        "candidates": [
            {
                "code": code,
                "title": by_code[code].title,
                "summary": by_code[code].summary,
                "category": by_code[code].category,
                "department": by_code[code].department,
                "budget": _budget(by_code[code].budget),
            }
            for code in round_.candidates
        ],
    }


def _refuse_if_held(issued: Row, delegate: Delegate, *, rescan_at: Kiosk | None = None) -> None:
    """Refuse a second ballot to a delegate whose mark ``issued`` stands: a paper ballot, a used
    token, or an unused one at another kiosk. Returns only for an unused (or voided) kiosk
    ballot issued at ``rescan_at``: the same card scanned again where the page lost its token."""
    if issued.kind == "paper":
        raise PaperIssued(name=delegate.name)
    state = _token_state(issued.token_hash)
    if state == TokenState.USED:
        raise AlreadyCast(name=delegate.name)
    if rescan_at is None or (state == TokenState.OPEN and issued.kiosk_id != rescan_at.id):
        raise AlreadyIssued(name=delegate.name, kiosk=_kiosk_name(issued.kiosk_id))


def issue_ballot(session: VoteSession, kiosk: Kiosk, card_text: str) -> tuple[bytes, dict]:
    """Issue the scanned, checked-in delegate one ballot for the open round at ``kiosk``.

    Returns the one-time token (held only by the kiosk) and the ballot to show.
    """
    _check_kiosk(session, kiosk)
    round_ = _open_round(session)
    delegate = credentials.identify(session, card_text)
    if delegate.attendance != Attendance.PRESENT:
        raise NotCheckedIn(name=delegate.name)
    issued = _issue_of(session.id, round_.number, delegate.id)
    if issued is not None:
        _refuse_if_held(issued, delegate, rescan_at=kiosk)
        # Scanned again where the unused ballot was issued: the page lost its token.
        _clear(session, issued, _kiosk_actor(kiosk), "ballot.reissue", REASON_RESCAN)
    _void_previous_at(session, kiosk)
    token = crypto.new_token()
    token_hash = crypto.token_hash(token)
    # The primary key (session, round, delegate) makes a second issue impossible; a racing
    # duplicate fails here and its re-run sees this row and refuses.
    _run(_ADD_ISSUE, session_id=session.id, round_number=round_.number,
         delegate_id=delegate.id, kiosk_id=kiosk.id, token_hash=token_hash, kind="kiosk")
    _run(_ADD_TOKEN, token_hash=token_hash, session_id=session.id,
         round_number=round_.number, kiosk_id=kiosk.id, state=TokenState.OPEN)
    return token, ballot_view(session, round_)


def issue_paper(session: VoteSession, delegate: Delegate, actor: str, reason: str = "") -> int:
    """Staff hand the checked-in ``delegate`` a paper ballot (纸质选票) for the open round.

    The issue mark (kind "paper", no token, no kiosk) is the same exactly-once record as a kiosk
    ballot's: a delegate holds one ballot per round, kiosk or paper. Refused while the delegate
    holds an unused kiosk ballot (release it first), once they voted at a kiosk, or when they
    already have a paper ballot. Audited (who, which delegate); returns the round number.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写发放纸质选票的原因（如：代表要求、投票机故障）。"))
    round_ = _open_round(session)
    if delegate.session_id != session.id:
        raise InvalidInput(N_("该代表不属于本次票决。"))
    if delegate.attendance != Attendance.PRESENT:
        raise NotCheckedIn(name=delegate.name)
    issued = _issue_of(session.id, round_.number, delegate.id)
    if issued is not None:
        _refuse_if_held(issued, delegate)
    # The primary key (session, round, delegate) refuses a racing second issue of any kind.
    _run(_ADD_ISSUE, session_id=session.id, round_number=round_.number,
         delegate_id=delegate.id, kiosk_id=None, token_hash=None, kind="paper")
    audit.record(actor, "ballot.issue_paper", session, round=round_.number,
                 delegate_id=delegate.id, name=delegate.name, reason=reason[:200])
    return round_.number


def _clean_choices(choices: Any) -> dict[str, str]:
    if not isinstance(choices, Mapping) or not all(isinstance(k, str) for k in choices):
        raise InvalidBallot(reason=N_("格式不正确"))
    return dict(choices)


def _validate(session: VoteSession, round_: Round, choices: dict[str, str]) -> None:
    spec = tally.RoundSpec(number=round_.number, candidates=tuple(round_.candidates),
                           quota=round_.quota, contested=session.contested, roster_size=0,
                           present=0, issued=0)
    problem = tally.ballot_problem(choices, spec)
    if problem == tally.PROBLEM_TOO_MANY_FOR:
        count = sum(1 for c in choices.values() if c == tally.FOR)
        raise TooManyApprovals(quota=round_.quota, count=count, excess=count - round_.quota)
    if problem == tally.PROBLEM_UNKNOWN_CANDIDATE:
        raise InvalidBallot(reason=N_("含有本轮没有的项目"))
    if problem is not None:
        raise InvalidBallot(reason=N_("只能选择赞成、反对或弃权"))


@dataclass(frozen=True)
class SealedBallot:
    """A ballot encrypted and signed but not yet recorded: all the CPU work of a cast.

    Built by ``seal_ballot`` before the write transaction (encrypting with proofs and signing is
    most of a cast's time, and on SQLite the write lock is one for the whole hall), recorded by
    ``record_ballot`` inside it. ``entry`` is None when the token was no longer open: recording
    then answers with the receipt of the ballot already recorded under it.
    """

    ballot_id: str
    token_hash: str
    round_number: int
    entry: dict | None


def seal_ballot(session: VoteSession, kiosk: Kiosk, token: bytes,
                choices: Mapping[str, str]) -> SealedBallot:
    """Check and encrypt the ballot for ``token`` and sign its board entry; writes nothing.

    The choices exist only in memory while the ballot is encrypted to the sealed box; the board
    entry holds ciphertexts and proofs. Everything it depends on (the round's projects and quota,
    the box key, the ballot id) is fixed while the round is open; ``record_ballot`` checks again,
    under the lock, that the token and the round are still open.
    """
    _check_kiosk(session, kiosk)
    row = _token_row(session, kiosk, token, lock=False)
    clean = _clean_choices(choices)
    ballot_id = crypto.ballot_id_from_token(token)
    if row.state != TokenState.OPEN:
        return SealedBallot(ballot_id, row.token_hash, row.round_number, None)
    round_ = db.session.execute(
        select(Round).where(Round.session_id == session.id, Round.number == row.round_number)
    ).scalar_one()
    if round_.state != RoundState.OPEN:
        raise BallotTokenInvalid()
    _validate(session, round_, clean)
    encrypted = box.encrypt_ballot(session, round_, ballot_id, clean)
    del clean
    key = keys.private_key(session, current_app.config["KEY_ENCRYPTION_SECRET"])
    entry = crypto.make_entry(key, ballot_id, round_.number, encrypted)
    return SealedBallot(ballot_id, row.token_hash, round_.number, entry)


def record_ballot(session: VoteSession, kiosk: Kiosk, sealed: SealedBallot) -> Receipt:
    """Record a sealed ballot, once: the entry and the token's "used" state in one transaction.

    A token used meanwhile (a retried submission, a kiosk that lost the answer) gets the
    receipt of the ballot recorded under it, which nobody can change.
    """
    row = _run(_TOKEN, token_hash=sealed.token_hash).scalar_one_or_none()
    if row is None or row.session_id != session.id or row.kiosk_id != kiosk.id:
        raise BallotTokenInvalid()
    if row.state != TokenState.OPEN or sealed.entry is None:
        # The entry and the token's "used" state are written in one transaction, so only a
        # used token can have an entry.
        existing = db.session.execute(
            select(BoardEntry.entry_hash, BoardEntry.round_number)
            .where(BoardEntry.ballot_id == sealed.ballot_id)
        ).one_or_none()
        if existing is None:
            raise BallotTokenInvalid()
        return Receipt(crypto.tracking_code(existing.entry_hash), existing.round_number)
    # A share lock on the round: close_round (FOR UPDATE) waits for this cast to finish.
    round_ = _run(_ROUND, session_id=session.id, number=sealed.round_number).scalar_one()
    if round_.state != RoundState.OPEN:
        raise BallotTokenInvalid()
    entry = sealed.entry
    _run(_ADD_ENTRY, ballot_id=sealed.ballot_id, session_id=session.id,
         round_number=round_.number,
         payload=crypto.canonical_json(entry["payload"]).decode("utf-8"),
         entry_hash=entry["hash"], signature=entry["signature"])
    _run(_USE_TOKEN, of_token=row.token_hash)
    return Receipt(crypto.tracking_code(entry["hash"]), round_.number)


def cast_ballot(session: VoteSession, kiosk: Kiosk, token: bytes,
                choices: Mapping[str, str]) -> Receipt:
    """Seal and record the ballot for ``token`` in the caller's one unit of work (commands, the
    demo); the kiosk seals before its write transaction and records inside it."""
    return record_ballot(session, kiosk, seal_ballot(session, kiosk, token, choices))


def return_token(session: VoteSession, kiosk: Kiosk, token: bytes, card_text: str) -> None:
    """Walk-away: void the kiosk's unused token and clear the mark it issued, which must be the
    scanned delegate's (audited as the kiosk's)."""
    _check_kiosk(session, kiosk)
    row = _token_row(session, kiosk, token)
    if row.state != TokenState.OPEN:
        raise BallotTokenInvalid()
    delegate = credentials.identify(session, card_text)
    issue = _run(_ISSUE_OF_TOKEN, of_token=row.token_hash).one_or_none()
    if issue is None or issue.delegate_id != delegate.id:
        raise NotIssuedHere()
    _clear(session, issue, _kiosk_actor(kiosk), "ballot.return", REASON_WALKAWAY)


def release_delegate(session: VoteSession, delegate: Delegate, actor: str, reason: str) -> None:
    """Staff release (audited): void the delegate's own unused token, wherever it is, and clear
    the mark; refused once that token was used (the delegate voted)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写释放原因。"))
    round_ = _open_round(session)
    issue = _issue_of(session.id, round_.number, delegate.id)
    if issue is None:
        raise NotIssued(name=delegate.name)
    if issue.kind == "paper":
        raise PaperNotReleasable(name=delegate.name)
    # Locks the token: a cast of it racing this release either finished first (used: refused
    # here) or waits and then finds it voided.
    if _token_state(issue.token_hash) == TokenState.USED:
        raise BallotCastNotReleasable(name=delegate.name)
    _clear(session, issue, actor, "ballot.release", reason[:200])


@dataclass(frozen=True)
class BallotState:
    """Where a delegate's ballot of a round stands, for the staff desk."""

    state: str  # "open" (issued, unused), "cast", "returned" (voided, may scan again) or
    # "paper" (handed a paper ballot: whether it was put in the box is known only at the count)
    kiosk: str | None = None


def ballot_states(session: VoteSession, number: int) -> dict[int, BallotState]:
    """Per delegate id: their ballot of round ``number`` open (at which kiosk), cast, or
    returned (voided by a kiosk or a release, not issued again); delegates never issued one are
    missing."""
    states: dict[int, BallotState] = {}
    for action in ("ballot.return", "ballot.release"):
        for detail in db.session.execute(
            select(AuditEntry.detail)
            .where(AuditEntry.session_id == session.id, AuditEntry.action == action)
        ).scalars():
            if detail.get("round") == number and isinstance(detail.get("delegate_id"), int):
                states[detail["delegate_id"]] = BallotState("returned")
    rows = db.session.execute(
        select(BallotIssue.delegate_id, BallotToken.state, Kiosk.name, BallotIssue.kind)
        .join(BallotToken, BallotToken.token_hash == BallotIssue.token_hash, isouter=True)
        .join(Kiosk, Kiosk.id == BallotIssue.kiosk_id, isouter=True)
        .where(BallotIssue.session_id == session.id, BallotIssue.round_number == number)
    )
    for delegate_id, token_state, kiosk_name, kind in rows:
        if kind == "paper":
            states[delegate_id] = BallotState("paper")
        elif token_state == TokenState.USED:
            states[delegate_id] = BallotState("cast")
        else:  # open, or voided by the close: issued and unused
            states[delegate_id] = BallotState("open", kiosk_name)
    return states

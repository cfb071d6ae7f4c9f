"""A round's life: open, close (void tokens, commit to the board), count (from the totals the
scrutineers decrypt, services/opening.py), the chair's tie decisions; issued and returned.

Opening, closing and starting a tie-break round lock the session row first (``FOR UPDATE`` on
PostgreSQL; on SQLite the unit of work's ``BEGIN IMMEDIATE`` already holds the write lock).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, insert, select, update

from ballot import merkle
from ballot.ballotbox import proofs
from ballot.domain import tally
from ballot.domain.errors import N_, InvalidInput, Listing, NoPendingTie, NotFound, WrongState
from ballot.domain.rules import STATE_LABELS
from ballot.domain.states import RoundState, State, TokenState
from ballot.domain.tally import (
    DECISION_LEAVE_EMPTY,
    DECISION_TIE_BREAK,
    FinalResult,
    RoundResult,
    RoundSpec,
    Tie,
    combine_rounds,
    tally_totals,
)
from ballot.extensions import db
from ballot.models import BallotIssue, BallotToken, BoardEntry, Delegate, Round, VoteSession
from ballot.models.ballots import ISSUE_KINDS
from ballot.services import audit, sessions


def _locked(session: VoteSession) -> VoteSession:
    """Re-read the session row, locked for update (PostgreSQL): moves of one session queue."""
    return db.session.execute(
        select(VoteSession).where(VoteSession.id == session.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _present(session: VoteSession) -> int:
    return sessions.counts(session).present


def open_voting(session: VoteSession, actor: str) -> Round:
    """Check-in → voting (quorum checked): create round 1 over every candidate in ballot order."""
    session = _locked(session)
    sessions.transition(session, State.VOTING, actor)
    if get_round_or_none(session, 1) is not None:
        raise WrongState(state=STATE_LABELS[session.state])
    codes = [c.code for c in sorted(session.candidates, key=lambda c: c.position)]
    round_ = Round(session_id=session.id, number=1, quota=session.quota, candidates=codes,
                   state=RoundState.OPEN, present=_present(session))
    db.session.add(round_)
    db.session.flush()
    audit.record(actor, "round.open", session, number=1, quota=round_.quota,
                 present=round_.present)
    return round_


def create_tie_break_round(session: VoteSession, candidates: list[str], slots: int,
                           actor: str) -> Round:
    """Closed → voting: a further round (再次投票) on the tied ``candidates`` for ``slots``."""
    session = _locked(session)
    previous = current_round(session)
    if previous is None or previous.state != RoundState.CLOSED:
        raise WrongState(state=STATE_LABELS[session.state])
    order = {code: i for i, code in enumerate(previous.candidates)}
    chosen = list(dict.fromkeys(candidates))
    unknown = [code for code in chosen if code not in order]
    if unknown:
        raise InvalidInput(N_("再次投票的项目不在上一轮候选项目中：%(codes)s"),
                           codes=Listing(unknown))
    if len(chosen) < 2 or not 1 <= slots < len(chosen):
        raise InvalidInput(N_("再次投票须至少有 2 个同票项目，名额须至少 1 个且少于项目数。"))
    sessions.transition(session, State.VOTING, actor, pending_tie=True)
    if previous.decision is None:
        previous.decision = DECISION_TIE_BREAK
    round_ = Round(session_id=session.id, number=previous.number + 1, quota=slots,
                   candidates=sorted(chosen, key=order.__getitem__), state=RoundState.OPEN,
                   present=_present(session))
    db.session.add(round_)
    db.session.flush()
    audit.record(actor, "round.open", session, number=round_.number, quota=slots,
                 candidates=round_.candidates, present=round_.present)
    return round_


def close_round(session: VoteSession, actor: str) -> Round:
    """Voting → closed: void open tokens, commit to the entries with their Merkle root."""
    session = _locked(session)
    round_ = current_round(session)
    if round_ is None or round_.state != RoundState.OPEN:
        raise WrongState(state=STATE_LABELS[session.state])
    # Lock the round row: casts hold a share lock on it, so none is mid-flight after this.
    db.session.execute(select(Round.id).where(Round.id == round_.id).with_for_update())
    sessions.transition(session, State.CLOSED, actor)
    db.session.execute(
        update(BallotToken)
        .where(BallotToken.session_id == session.id, BallotToken.round_number == round_.number,
               BallotToken.state == TokenState.OPEN)
        .values(state=TokenState.VOIDED)
    )
    round_.state = RoundState.CLOSED
    # 实到 at the close: delegates who arrived late (after the opening) were issued ballots too.
    round_.present = _present(session)
    recommit(session, round_)
    returned = returned_count(session, round_.number)
    db.session.flush()
    audit.record(actor, "round.close", session, number=round_.number,
                 issued=issued_count(session, round_.number),
                 issued_paper=issued_by_kind(session, round_.number)["paper"],
                 returned=returned,
                 present=round_.present,
                 merkle_root=round_.merkle_root)
    return round_


def recommit(session: VoteSession, round_: Round) -> str:
    """Commit the closed round's entries: their Merkle root and the products of their
    ciphertexts, at the close and again when the paper ballots join the board. Returns the root.
    """
    entries = entry_rows(session.id, round_.number)
    round_.merkle_root = merkle.round_root([row["entry_hash"] for row in entries])
    round_.box_products = _products(round_, entries)
    if db.engine.dialect.name == "postgresql":
        # The heap keeps insertion (= casting) order; rewrite the rows sorted by hash so a plain
        # scan of the table after the close says nothing about who voted when. (SQLite stores
        # the table WITHOUT ROWID, ordered by the random ballot id.)
        db.session.execute(delete(BoardEntry).where(BoardEntry.session_id == session.id,
                                                     BoardEntry.round_number == round_.number))
        if entries:
            db.session.execute(insert(BoardEntry), entries)
    return round_.merkle_root


@functools.cache
def add_entry_statement():
    """INSERT of one board entry (ballot_id, session_id, round_number, payload, entry_hash,
    signature)."""
    return insert(BoardEntry.__table__)


def _products(round_: Round, entries: list[dict]) -> dict:
    """Per project of the round, the products of every entry's 赞成 and 反对 ciphertexts: the
    only values the scrutineers' key cards will ever decrypt (each proved at casting). An
    invalid paper ballot's entry has no ciphertexts and counts in no project."""
    payloads = (json.loads(row["payload"]) for row in entries)
    products = proofs.tally_product((p["ballot"] for p in payloads if "ballot" in p),
                                    len(round_.candidates))
    return {code: {"for": for_.to_json(), "against": against.to_json()}
            for code, (for_, against) in zip(round_.candidates, products, strict=True)}


def entry_rows(session_id: int, number: int) -> list[dict]:
    """A round's board entries as column dicts, sorted by hash (the board's only order)."""
    rows = db.session.execute(
        select(BoardEntry.ballot_id, BoardEntry.session_id, BoardEntry.round_number,
               BoardEntry.payload, BoardEntry.entry_hash, BoardEntry.signature)
        .where(BoardEntry.session_id == session_id, BoardEntry.round_number == number)
        .order_by(BoardEntry.entry_hash)
    ).mappings()
    return [dict(row) for row in rows]


@functools.cache
def _latest_round_statement():
    """Built once: the idle kiosks' status polls run it."""
    return select(Round).where(Round.session_id == bindparam("session_id")) \
        .order_by(Round.number.desc()).limit(1)


def current_round(session: VoteSession) -> Round | None:
    """The latest round (open or closed), or None before voting first opened."""
    return db.session.execute(_latest_round_statement(), {"session_id": session.id}) \
        .scalar_one_or_none()


def open_round(session: VoteSession) -> Round | None:
    """The round accepting ballots now, if any."""
    round_ = current_round(session)
    return round_ if round_ is not None and round_.state == RoundState.OPEN else None


def list_rounds(session: VoteSession) -> list[Round]:
    """Every round of ``session`` in order."""
    return list(db.session.execute(
        select(Round).where(Round.session_id == session.id).order_by(Round.number)
    ).scalars())


def get_round_or_none(session: VoteSession, number: int) -> Round | None:
    """Round ``number`` of ``session``, or None."""
    return db.session.execute(
        select(Round).where(Round.session_id == session.id, Round.number == number)
    ).scalar_one_or_none()


def get_round(session: VoteSession, number: int) -> Round:
    """Round ``number`` of ``session``, or NotFound."""
    round_ = get_round_or_none(session, number)
    if round_ is None:
        raise NotFound(N_("找不到第 %(number)s 轮投票。"), number=number)
    return round_


def issued_count(session: VoteSession, number: int) -> int:
    """Ballots issued (发出) in round ``number``."""
    return db.session.execute(
        select(func.count()).select_from(BallotIssue)
        .where(BallotIssue.session_id == session.id, BallotIssue.round_number == number)
    ).scalar_one()


def issued_by_kind(session: VoteSession, number: int) -> dict[str, int]:
    """Ballots issued in round ``number`` per kind: {"kiosk": n, "paper": m}."""
    counts = dict.fromkeys(ISSUE_KINDS, 0)
    for kind, count in db.session.execute(
        select(BallotIssue.kind, func.count()).select_from(BallotIssue)
        .where(BallotIssue.session_id == session.id, BallotIssue.round_number == number)
        .group_by(BallotIssue.kind)
    ):
        counts[kind] = count
    return counts


def returned_count(session: VoteSession, number: int) -> int:
    """Ballots returned (收回, i.e. cast) in round ``number``."""
    return db.session.execute(
        select(func.count()).select_from(BoardEntry)
        .where(BoardEntry.session_id == session.id, BoardEntry.round_number == number)
    ).scalar_one()


@dataclass(frozen=True)
class BoardFigures:
    """A round's entries counted by kind and, for invalid paper ballots, by reason."""

    returned_by_kind: dict[str, int]
    invalid_by_reason: dict[str, int]

    @property
    def returned(self) -> int:
        return sum(self.returned_by_kind.values())

    @property
    def invalid(self) -> int:
        return sum(self.invalid_by_reason.values())


def board_figures(session: VoteSession, number: int) -> BoardFigures:
    """Returned per kind and invalid per reason, read off the round's board entries (a paper
    entry says "kind": "paper"; an invalid one its "invalid" reason; kiosk entries neither)."""
    by_kind = dict.fromkeys(tally.BALLOT_KINDS, 0)
    reasons = dict.fromkeys(tally.INVALID_REASONS, 0)
    for payload in db.session.execute(
        select(BoardEntry.payload).where(BoardEntry.session_id == session.id,
                                         BoardEntry.round_number == number)
    ).scalars():
        data = json.loads(payload)
        by_kind[data.get("kind", tally.KIND_KIOSK)] += 1
        if "invalid" in data:
            reasons[data["invalid"]] += 1
    return BoardFigures(by_kind, reasons)


def issued_names(session: VoteSession, number: int) -> list[str]:
    """Names of delegates issued a ballot in round ``number``, in roster order."""
    return list(db.session.execute(
        select(Delegate.name)
        .join(BallotIssue, BallotIssue.delegate_id == Delegate.id)
        .where(BallotIssue.session_id == session.id, BallotIssue.round_number == number)
        .order_by(Delegate.roster_order)
    ).scalars())


def issued_delegate_ids(session: VoteSession, number: int) -> set[int]:
    """Ids of delegates issued a ballot in round ``number`` (for the staff release action)."""
    return set(db.session.execute(
        select(BallotIssue.delegate_id)
        .where(BallotIssue.session_id == session.id, BallotIssue.round_number == number)
    ).scalars())


# --- a round's count and the chair's decisions on its tie --------------------------------------


@dataclass(frozen=True)
class RoundOutcome:
    """A round with its count (None while it is open or its box not yet opened)."""

    round: Round
    result: RoundResult | None
    issued: int
    returned: int

    @property
    def awaiting_opening(self) -> bool:
        """Closed, its totals sealed until t scrutineers present their key cards (开箱)."""
        return self.round.state == RoundState.CLOSED and self.result is None


@dataclass(frozen=True)
class SessionResults:
    """Every round so far and, once round 1 is counted, the final result over them."""

    rounds: list[RoundOutcome]
    final: FinalResult | None
    void_round: int | None = None  # a round with returned > issued: it decides nothing

    @property
    def counted(self) -> list[RoundOutcome]:
        """The rounds that have closed and been counted, in order."""
        return [o for o in self.rounds if o.result is not None]

    @property
    def ready(self) -> bool:
        """True when every round is closed and counted and the final result follows from them."""
        return self.final is not None and all(o.result is not None for o in self.rounds)


def round_spec(session: VoteSession, round_: Round) -> RoundSpec:
    """What ``round_`` votes on, with the roster, those present when it opened, and issued."""
    return RoundSpec(
        number=round_.number,
        candidates=tuple(round_.candidates),
        quota=round_.quota,
        contested=session.contested,
        roster_size=sessions.counts(session).expected,
        present=round_.present,
        issued=issued_count(session, round_.number),
        pass_basis=session.pass_basis,
        issued_paper=issued_by_kind(session, round_.number)["paper"],
    )


def count_totals(session: VoteSession, round_: Round, totals: dict[str, tuple[int, int]],
                 actor: str) -> RoundResult:
    """Count an opened round from its decrypted (赞成, 反对) totals; stored and audited."""
    if round_.state != RoundState.CLOSED or round_.result is not None:
        raise WrongState(N_("第 %(number)s 轮不在等待开箱计票的状态。"), number=round_.number)
    figures = board_figures(session, round_.number)
    result = tally_totals(round_spec(session, round_), totals, figures.returned, figures.invalid,
                          returned_by_kind=figures.returned_by_kind,
                          invalid_by_reason=figures.invalid_by_reason)
    round_.result = result.to_dict()
    audit.record(actor, "round.count", session, number=round_.number, returned=result.returned,
                 valid=result.valid, invalid=result.invalid, chosen=list(result.chosen),
                 tie=None if result.tie is None else result.tie.to_dict())
    return result


def session_results(session: VoteSession) -> SessionResults:
    """All rounds with their counts, and the final result combined over the counted ones."""
    outcomes: list[RoundOutcome] = []
    for round_ in list_rounds(session):
        # A closed round is counted once the scrutineers have opened the box (result set).
        result = None if round_.result is None else RoundResult.from_dict(round_.result)
        outcomes.append(RoundOutcome(
            round=round_, result=result,
            issued=issued_count(session, round_.number),
            returned=returned_count(session, round_.number),
        ))
    counted = [o for o in outcomes if o.result is not None]
    void = next((o.round.number for o in counted if not o.result.returned_within_issued), None)
    if not counted or void is not None:
        return SessionResults(rounds=outcomes, final=None, void_round=void)
    decisions = {o.round.number: o.round.decision for o in counted
                 if o.round.decision is not None and o.result.tie is not None}
    final = combine_rounds(session.quota, [o.result for o in counted], decisions)
    return SessionResults(rounds=outcomes, final=final)


def pending_tie(session: VoteSession) -> Tie | None:
    """The tie across the cutoff still unresolved (no decision yet, or its round not counted)."""
    final = session_results(session).final
    return None if final is None else final.pending_tie


def _undecided_tie(session: VoteSession) -> tuple[Round, Tie]:
    """The last round, closed, with a tie the chair has not decided on; else NoPendingTie."""
    sessions.require_state(session, State.CLOSED)
    last = current_round(session)
    tie = pending_tie(session)
    if last is None or last.state != RoundState.CLOSED or last.decision is not None or tie is None:
        raise NoPendingTie()
    return last, tie


def start_tie_break(session: VoteSession, actor: str) -> Round:
    """The chair's decision 再次投票: a further round on the tied projects for the open slots."""
    last, tie = _undecided_tie(session)
    number = last.number
    # create_tie_break_round records the decision on the tied round itself.
    new_round = create_tie_break_round(session, list(tie.candidates), tie.slots, actor)
    audit.record(actor, "round.tie_break", session, number=number,
                 candidates=list(tie.candidates), slots=tie.slots)
    return new_round


def leave_empty(session: VoteSession, actor: str, reason: str) -> Round:
    """The chair's decision to leave the tied slots empty (audited with the stated reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写名额空缺的理由（将记入审计日志）。"))
    last, tie = _undecided_tie(session)
    last.decision = DECISION_LEAVE_EMPTY
    audit.record(actor, "round.leave_empty", session, number=last.number,
                 candidates=list(tie.candidates), slots=tie.slots, reason=reason[:400])
    return last

"""The figures the chair's screen polls every 1.5 s, read in one query.

A province's township sessions may vote on the same morning, each with its chair screen
polling, so this is the cheapest read the service makes: one statement for the session and its
counts, no ORM objects, counts straight from the rows any app process writes.
"""

from __future__ import annotations

import functools

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from ballot.domain import rules
from ballot.extensions import db
from ballot.models import BallotIssue, BoardEntry, Delegate, Round, User, VoteSession
from ballot.services import sessions


def _count(model, *conditions):
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


@functools.cache
def _statement(by_id: bool):
    """Built once (building it costs more than running it); the session reference is bound."""
    latest = aliased(Round)
    latest_number = select(func.max(Round.number)).where(Round.session_id == VoteSession.id) \
        .scalar_subquery()
    return select(
        VoteSession.congress, VoteSession.state,
        VoteSession.scrutineer_confirmed_by, VoteSession.chair_confirmed_by,
        _count(Delegate, Delegate.session_id == VoteSession.id).label("expected"),
        _count(Delegate, Delegate.session_id == VoteSession.id,
               Delegate.attendance == "present").label("present"),
        _count(Delegate, Delegate.session_id == VoteSession.id,
               Delegate.attendance == "leave").label("leave"),
        latest.number, latest.state.label("round_state"),
        _count(BallotIssue, BallotIssue.session_id == VoteSession.id,
               BallotIssue.round_number == latest.number).label("issued"),
        _count(BoardEntry, BoardEntry.session_id == VoteSession.id,
               BoardEntry.round_number == latest.number).label("returned"),
    ).outerjoin(latest, and_(latest.session_id == VoteSession.id,
                             latest.number == latest_number)) \
        .where((VoteSession.id if by_id else VoteSession.slug) == bindparam("ref"))


def live_figures(ref: str, user: User) -> dict:
    """State, attendance, quorum, and ballots issued (发出) and returned (收回) in the latest
    round of the session ``ref`` names; NotFound as for any page of a session ``user`` may not see.
    """
    parsed = sessions.parse_ref(ref)
    row = None if parsed is None else db.session.execute(
        _statement(parsed[0]), {"ref": parsed[1]}).one_or_none()
    if row is None or not sessions.can_access(user, row.congress):
        raise sessions.session_not_found(ref)
    in_round = row.number is not None
    return {
        "state": row.state,
        "expected": row.expected, "present": row.present, "leave": row.leave,
        "quorum_met": rules.quorum_met(row.expected, row.present),
        "quorum_needed": rules.quorum_needed(row.expected),
        "round": row.number, "round_state": row.round_state,
        "issued": row.issued if in_round else 0,
        "returned": row.returned if in_round else 0,
        "confirmations": bool(row.scrutineer_confirmed_by) + bool(row.chair_confirmed_by),
    }

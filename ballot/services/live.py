"""The figures the chair's screen shows live, read in one query (for one session, or for every
session a process's open screens follow: ``figures_of_sessions``).

A province's township sessions may vote on the same morning, each with its chair screen
polling, so this is the cheapest read the service makes: one statement for the session and its
counts, no ORM objects, counts straight from the rows any app process writes.
"""

from __future__ import annotations

import functools

from sqlalchemy import and_, bindparam, distinct, func, select
from sqlalchemy.orm import aliased

from ballot.domain import rules
from ballot.domain.states import Attendance
from ballot.extensions import db
from ballot.models import (
    AuditEntry,
    BallotIssue,
    BoardEntry,
    BoxPartial,
    Delegate,
    Round,
    User,
    VoteSession,
)
from ballot.services import sessions


def _count(model, *conditions):
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


def _late():
    """迟到: delegates whose check-in was recorded after voting opened, counted as
    ``checkin.late_arrivals`` counts them (the check-in's audit entry says ``late``)."""
    return select(func.count(distinct(AuditEntry.detail["delegate_id"].as_integer()))) \
        .where(AuditEntry.session_id == VoteSession.id,
               AuditEntry.action.in_(("checkin.kiosk", "checkin.staff")),
               AuditEntry.detail["late"].as_boolean().is_(True)).scalar_subquery()


@functools.cache
def _statement(by: str):
    """Built once (building it costs more than running it); ``by`` is "id", "slug" or "ids" (a
    list of session ids), bound as ``ref``."""
    latest = aliased(Round)
    latest_number = select(func.max(Round.number)).where(Round.session_id == VoteSession.id) \
        .scalar_subquery()
    key = {"id": VoteSession.id == bindparam("ref"),
           "slug": VoteSession.slug == bindparam("ref"),
           "ids": VoteSession.id.in_(bindparam("ref", expanding=True))}[by]
    return select(
        VoteSession.id, VoteSession.congress, VoteSession.state,
        VoteSession.scrutineer_confirmed_by, VoteSession.chair_confirmed_by,
        _count(Delegate, Delegate.session_id == VoteSession.id).label("expected"),
        _count(Delegate, Delegate.session_id == VoteSession.id,
               Delegate.attendance == Attendance.PRESENT).label("present"),
        _count(Delegate, Delegate.session_id == VoteSession.id,
               Delegate.attendance == Attendance.LEAVE).label("leave"),
        _late().label("late"),
        latest.number, latest.state.label("round_state"),
        _count(BallotIssue, BallotIssue.session_id == VoteSession.id,
               BallotIssue.round_number == latest.number).label("issued"),
        _count(BallotIssue, BallotIssue.session_id == VoteSession.id,
               BallotIssue.round_number == latest.number,
               BallotIssue.kind == "paper").label("issued_paper"),
        _count(BoardEntry, BoardEntry.session_id == VoteSession.id,
               BoardEntry.round_number == latest.number).label("returned"),
        _count(BoxPartial, BoxPartial.session_id == VoteSession.id,
               BoxPartial.round_number == latest.number).label("box_presented"),
    ).outerjoin(latest, and_(latest.session_id == VoteSession.id,
                             latest.number == latest_number)).where(key)


def live_figures(ref: str, user: User) -> tuple[int, dict]:
    """The session ``ref`` names (its id) and its figures: state, attendance (迟到 among 实到),
    quorum, ballots issued (发出, of them paper) and returned (收回) in the latest round and key cards
    presented to open it; NotFound as for any page of a session
    ``user`` may not see."""
    parsed = sessions.parse_ref(ref)
    row = None if parsed is None else db.session.execute(
        _statement("id" if parsed[0] else "slug"), {"ref": parsed[1]}).one_or_none()
    if row is None or not sessions.can_access(user, row.congress):
        raise sessions.session_not_found(ref)
    return row.id, _figures(row)


def figures_of_sessions(ids: list[int]) -> dict[int, dict]:
    """The live figures of the sessions ``ids`` (those that exist), in one statement."""
    return {row.id: _figures(row) for row in db.session.execute(_statement("ids"), {"ref": ids})}


def _figures(row) -> dict:
    in_round = row.number is not None
    return {
        "state": row.state,
        "expected": row.expected, "present": row.present, "leave": row.leave, "late": row.late,
        "quorum_met": rules.quorum_met(row.expected, row.present),
        "quorum_needed": rules.quorum_needed(row.expected),
        "round": row.number, "round_state": row.round_state,
        "issued": row.issued if in_round else 0,
        # Of those, paper ballots: on the board (收回) only once the counting staff enter them.
        "issued_paper": row.issued_paper if in_round else 0,
        "returned": row.returned if in_round else 0,
        # Key cards presented so far to open the latest round's box (开箱, k of t).
        "box_presented": row.box_presented if in_round else 0,
        "confirmations": bool(row.scrutineer_confirmed_by) + bool(row.chair_confirmed_by),
    }

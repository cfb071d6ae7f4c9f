"""The figures the chair's screen polls every 1.5 s, read in one query.

Hundreds of chair screens may poll at once (a province's township sessions on the same morning),
so this is the cheapest read the service makes after the kiosk status: one statement, no ORM
objects, counts straight from the rows any app process writes.
"""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, func, select, true

from ballot.domain import rules
from ballot.extensions import db
from ballot.models import BallotIssue, BoardEntry, Delegate, Round, VoteSession


@functools.cache
def _statement():
    """Built once (building it costs more than running it); the session id is bound per poll."""
    session_id = bindparam("session_id")
    attendance = select(
        func.count().label("expected"),
        func.count().filter(Delegate.attendance == "present").label("present"),
        func.count().filter(Delegate.attendance == "leave").label("leave"),
    ).where(Delegate.session_id == session_id).subquery()
    latest = select(Round.number, Round.state).where(Round.session_id == session_id) \
        .order_by(Round.number.desc()).limit(1).subquery()
    issued = select(func.count()).select_from(BallotIssue).where(
        BallotIssue.session_id == session_id, BallotIssue.round_number == latest.c.number
    ).scalar_subquery()
    returned = select(func.count()).select_from(BoardEntry).where(
        BoardEntry.session_id == session_id, BoardEntry.round_number == latest.c.number
    ).scalar_subquery()
    return select(attendance.c.expected, attendance.c.present, attendance.c.leave,
                  latest.c.number, latest.c.state, issued, returned) \
        .select_from(attendance.outerjoin(latest, true()))


def live_figures(session: VoteSession) -> dict:
    """State, attendance, quorum, and ballots issued (发出) and returned (收回) in the latest round."""
    row = db.session.execute(_statement(), {"session_id": session.id}).one()
    expected, present, leave, number, state, issued, returned = row
    return {
        "state": session.state,
        "expected": expected, "present": present, "leave": leave,
        "quorum_met": rules.quorum_met(expected, present),
        "quorum_needed": rules.quorum_needed(expected),
        "round": number, "round_state": state,
        "issued": issued if number is not None else 0,
        "returned": returned if number is not None else 0,
        "confirmations": bool(session.scrutineer_confirmed_by) + bool(session.chair_confirmed_by),
    }

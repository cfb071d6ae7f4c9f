"""The facts behind a session's "下一步" list (ballot/domain/next_steps.py), read in one place."""

from __future__ import annotations

from sqlalchemy import func, select

from ballot.domain.next_steps import Progress, Step, next_steps
from ballot.domain.states import RoundState, State
from ballot.extensions import db
from ballot.models import Delegate, Kiosk, VoteSession
from ballot.services import (
    box,
    candidates,
    paper_count,
    rating_sessions,
    rounds,
    sessions,
)


def progress(session: VoteSession) -> Progress:
    """What is done so far: roster, candidates, cards, paired kiosks, quorum, count, scrutiny."""
    counts = sessions.counts(session)
    kiosks = dict(db.session.execute(
        select(Kiosk.mode, func.count()).where(
            Kiosk.session_id == session.id, Kiosk.revoked_at.is_(None),
            Kiosk.enrolled_at.is_not(None)).group_by(Kiosk.mode)).all())
    carded = db.session.execute(select(func.count()).select_from(Delegate).where(
        Delegate.session_id == session.id, Delegate.card_version > 0)).scalar_one()
    pending = session.state == State.CLOSED and rounds.pending_tie(session) is not None
    last = rounds.current_round(session)
    return Progress(state=session.state, roster_size=counts.expected,
                    candidates_short=candidates.ratio_summary(session)["missing"],
                    carded=carded, checkin_kiosks=kiosks.get("checkin", 0),
                    voting_kiosks=kiosks.get("voting", 0), quorum_met=counts.quorum_met,
                    pending_tie=pending,
                    scrutineer_confirmed=session.scrutineer_confirmed_by is not None,
                    box_sealed=box.is_sealed(session),
                    awaiting_opening=last is not None and last.state == RoundState.CLOSED
                    and last.result is None,
                    rating=rating_sessions.is_rating(session), projects=counts.candidates,
                    awaiting_paper=last is not None and paper_count.awaiting_paper(session, last))


def steps(session: VoteSession) -> list[Step]:
    """The session page's "下一步" list."""
    return next_steps(progress(session))

"""满意度测评 sessions: rating the chosen projects of a published 票决 by secret ballot.

A 测评 session is a session of kind ``rating`` whose projects are (a selection of) the tracked
projects of an earlier, published 票决. It runs like any session (roster import, cards, check-in,
sealing, kiosks, board, opening the box); its ballot marks each project 满意 / 基本满意 / 不满意
on the same encrypted pair as a 票决 ballot (domain/rating.py), with no quota (等额, the limit is
the number of projects). Its count grades every project with ``rating.rate_totals``; publishing
the result records the grades on the tracking records (不满意 → 整改, a later 测评 re-rates).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from ballot.domain import rating
from ballot.domain.errors import N_, InvalidInput, WrongState
from ballot.domain.fields import RatingPlan, SessionSettings
from ballot.domain.states import State
from ballot.extensions import db
from ballot.models import Candidate, ProjectRating, TrackedProject, VoteSession, utcnow
from ballot.services import audit, sessions, tracking


def is_rating(session: VoteSession) -> bool:
    """True for a 满意度测评 session."""
    return session.kind == rating.KIND_RATING


def create_from(source: VoteSession, plan: RatingPlan, actor: str) -> VoteSession:
    """A draft 测评 session on the chosen projects of the published 票决 ``source``: those whose
    ballot codes the plan names (default all); title, date, drill and people default to
    "<year>年度民生实事项目满意度测评", today and the 票决's own."""
    if source.kind != rating.KIND_VOTE or source.state != State.PUBLISHED:
        raise WrongState(N_("只能对已公布结果的票决会议的入选项目进行满意度测评。"))
    chosen = tracking.projects(source)
    if plan.codes:
        by_code = {p.candidate.code: p for p in chosen}
        unknown = [c for c in plan.codes if c.zfill(2) not in by_code]
        if unknown:
            raise InvalidInput(N_("“%(codes)s”不是该次票决的入选项目票序，请对照跟踪页面填写。"),
                               codes="、".join(unknown)[:80])
        picked = {c.zfill(2) for c in plan.codes}
        chosen = [p for p in chosen if p.candidate.code in picked]
    if not chosen:
        raise InvalidInput(N_("该次票决没有可测评的入选项目。"))
    date = plan.date or dt.date.today()
    settings = SessionSettings(
        title=plan.title or f"{source.year}年度民生实事项目满意度测评",
        congress=source.congress, level=source.level, date=date, year=source.year,
        quota=len(chosen), contested=False, min_excess_ratio=Decimal("0.00"),
        is_drill=source.is_drill if plan.is_drill is None else plan.is_drill,
        kind=rating.KIND_RATING, rating_basis=plan.basis,
        **{k: getattr(plan, k) or getattr(source, k)
           for k in ("chief_scrutineer", "scrutineers", "counters")})
    session = sessions.create_session(settings, plan.slug, actor)
    for position, project in enumerate(chosen, start=1):
        candidate = project.candidate
        db.session.add(Candidate(
            session_id=session.id, position=position, title=candidate.title,
            summary=candidate.summary, category=candidate.category,
            department=project.responsible_unit or candidate.department,
            budget=project.budget, source=source.title[:120], tracked_project_id=project.id))
    db.session.flush()
    db.session.refresh(session)
    audit.record(actor, "rating.created", session, source=source.slug,
                 codes=[p.candidate.code for p in chosen], basis=plan.basis)
    return session


def round_ratings(session: VoteSession, round_dict: dict, roster: int) -> dict[str, dict]:
    """Each project's rating (rating_dict) from a counted round's stored result."""
    totals = {code: (count["for"], count["against"])
              for code, count in round_dict["counts"].items()}
    graded = rating.rate_totals(list(round_dict["candidates"]), totals, round_dict["returned"],
                                valid=round_dict["valid"], basis=session.rating_basis,
                                roster=roster)
    return {code: rating.rating_dict(outcome) for code, outcome in graded.items()}


def apply_ratings(session: VoteSession, document: dict, actor: str) -> list[ProjectRating]:
    """Record a published 测评's grades on the rated projects' tracking records (same unit).

    不满意 puts a project under rectification (整改); any other grade ends it. A drill (演练)
    测评 records only on a drill 票决's projects, never on a real one's.
    """
    by_code = {c.code: c for c in session.candidates if c.code}
    recorded = []
    for code, values in document["ratings"].items():
        project = db.session.get(TrackedProject, by_code[code].tracked_project_id or -1)
        if project is None:  # the rated 票决 was deleted since: nothing left to record on
            continue
        if session.is_drill and not project.candidate.session.is_drill:
            # A drill's grades 不作数: a real 票决's records never take them.
            audit.record(actor, "rating.drill_not_recorded", session, code=code)
            continue
        record = ProjectRating(
            session_id=project.session_id, project_id=project.id,
            rated_in_session_id=session.id, satisfied=values["satisfied"],
            basically=values["basically"], dissatisfied=values["dissatisfied"],
            cast=values["cast"], basis=session.rating_basis, basis_size=values["basis_size"],
            grade=values["grade"], source=session.display_title[:200], author=actor)
        project.ratings.insert(0, record)
        project.rectification = values["grade"] == rating.DISSATISFIED
        project.updated_at = utcnow()
        recorded.append(record)
        db.session.flush()
        audit.record(actor, "tracking.rated", project.candidate.session, code=project.candidate.code,
                     grade=values["grade"], rectification=project.rectification,
                     rated_in=session.slug, satisfied=values["satisfied"],
                     basically=values["basically"], dissatisfied=values["dissatisfied"],
                     cast=values["cast"])
    return recorded


def undo_ratings(session: VoteSession, actor: str) -> list[TrackedProject]:
    """Take back what the 测评 ``session`` recorded on tracking records (its ratings), and set
    each project's 整改 flag from the rating now latest (none: no 整改), as if the 测评 had
    never been published. For a drill's reset or deletion; a real session is never undone."""
    if not session.is_drill:
        raise WrongState(N_("只有演练场次的测评结果可以撤回。"))
    rows = db.session.execute(
        select(ProjectRating).where(ProjectRating.rated_in_session_id == session.id)
    ).scalars().all()
    projects = {row.project_id: row.project for row in rows}
    for row in rows:
        row.project.ratings.remove(row)
        db.session.delete(row)
    db.session.flush()
    for project in projects.values():
        latest = project.ratings[0] if project.ratings else None
        project.rectification = latest is not None and latest.grade == rating.DISSATISFIED
        project.updated_at = utcnow()
        audit.record(actor, "tracking.rating_withdrawn", project.candidate.session,
                     code=project.candidate.code, rated_in=session.slug,
                     rectification=project.rectification)
    db.session.flush()
    return list(projects.values())

"""A drill (演练) 测评 takes back what it recorded when it is reset or deleted: its ratings leave
the tracking records and each project's 整改 flag follows the rating then latest. A real 票决's
records never take a drill's grades, and a real 测评 is never undone."""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import select

from ballot.domain.errors import NotADrill, WrongState
from ballot.domain.fields import RatingCounts, RatingPlan
from ballot.extensions import db as _db
from ballot.models import AuditEntry, ProjectRating
from ballot.services import rating_sessions, rehearsals, results, tracking
from tests.factories import confirm_again, published, rating_ballots, rating_session, vote


def _projects(source) -> dict:
    _db.session.expire_all()
    return {p.candidate.code: p for p in tracking.projects(source)}


def _publish(session, plan: dict) -> None:
    vote(session, rating_ballots(plan, 40))
    confirm_again(session)
    results.publish(session, "chairman")
    _db.session.commit()


def _hand_rating(source, code: str, satisfied: int, dissatisfied: int) -> None:
    project = _projects(source)[code]
    tracking.record_rating(source, project, RatingCounts(
        satisfied=satisfied, basically=0, dissatisfied=dissatisfied,
        cast=satisfied + dissatisfied, source="纸质测评"), "staff")
    _db.session.commit()


def test_resetting_a_drill_rating_takes_its_grades_and_rectification_back(db):
    source = published(is_drill=True)
    drill = rating_session(source, codes="1,3", drill=True)
    _publish(drill, {"01": (30, 6, 4), "02": (5, 10, 25)})
    projects = _projects(source)
    assert projects["03"].rectification and [r.grade for r in projects["03"].ratings] == [
        "dissatisfied"]

    rehearsals.reset_drill(drill, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    _db.session.commit()
    projects = _projects(source)
    assert projects["01"].ratings == [] and projects["03"].ratings == []
    assert not projects["03"].rectification
    withdrawn = _db.session.execute(select(AuditEntry.detail).where(
        AuditEntry.session_id == source.id, AuditEntry.action == "tracking.rating_withdrawn")
    ).scalars().all()
    assert sorted(d["code"] for d in withdrawn) == ["01", "03"]
    assert drill.state == "locked"  # the drill itself is ready for another run


def test_deleting_a_drill_rating_restores_the_earlier_grade_and_its_rectification(db):
    source = published(is_drill=True)
    _hand_rating(source, "03", satisfied=5, dissatisfied=30)  # an earlier paper 测评: 不满意
    assert _projects(source)["03"].rectification
    drill = rating_session(source, codes="3", drill=True)
    _publish(drill, {"01": (35, 5, 0)})  # re-rated 满意: rectification ends
    assert not _projects(source)["03"].rectification

    rehearsals.delete_drill(drill, "staff")
    _db.session.commit()
    project = _projects(source)["03"]
    assert [r.source for r in project.ratings] == ["纸质测评"]
    assert project.rectification  # back under 整改, as the earlier grade said
    assert _db.session.scalar(select(ProjectRating.id).where(
        ProjectRating.rated_in_session_id.is_not(None))) is None


def test_a_drill_rating_never_touches_a_real_votes_records(db):
    source = published()  # a real 票决
    _hand_rating(source, "02", satisfied=5, dissatisfied=30)
    drill = rating_session(source, codes="1,2", drill=True)
    _publish(drill, {"01": (5, 5, 30), "02": (35, 5, 0)})
    projects = _projects(source)
    assert projects["01"].ratings == [] and not projects["01"].rectification
    assert [r.source for r in projects["02"].ratings] == ["纸质测评"]
    assert projects["02"].rectification
    assert _db.session.execute(select(AuditEntry.action).where(
        AuditEntry.session_id == drill.id, AuditEntry.action == "rating.drill_not_recorded")
    ).scalars().all() == ["rating.drill_not_recorded"] * 2

    rehearsals.delete_drill(drill, "staff")
    _db.session.commit()
    projects = _projects(source)
    assert [r.source for r in projects["02"].ratings] == ["纸质测评"]
    assert projects["02"].rectification


def test_a_real_rating_is_never_undone(db):
    source = published()
    real = rating_session(source, codes="3")
    _publish(real, {"01": (5, 10, 25)})
    with pytest.raises(NotADrill):
        rehearsals.reset_drill(real, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    with pytest.raises(NotADrill):
        rehearsals.delete_drill(real, "staff")
    with pytest.raises(WrongState):
        rating_sessions.undo_ratings(real, "staff")
    _db.session.rollback()
    project = _projects(source)["03"]
    assert [r.grade for r in project.ratings] == ["dissatisfied"] and project.rectification


def test_a_rating_draft_follows_its_list_when_projects_are_removed_or_added(db):
    from ballot.models import Candidate
    from ballot.services import candidates, sessions

    source = published()
    session = rating_sessions.create_from(source, RatingPlan(slug="rate-list"), "staff")
    assert session.quota == 10
    candidates.delete_candidate(session, session.candidates[-1], "staff")
    _db.session.flush()
    _db.session.refresh(session)
    # No 票决 problem ("候选项目不足：应选 10 个") for a 测评 with one project fewer.
    assert sessions.next_problems(session)["locked"] == []
    candidates.lock_list(session, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    assert (session.state, session.quota) == ("locked", 9)
    candidates.unlock_list(session, "staff")
    _db.session.add(Candidate(session_id=session.id, position=10, title="新增项目",
                              department="镇政府"))
    _db.session.flush()
    _db.session.refresh(session)
    candidates.lock_list(session, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    assert session.quota == 10  # every listed project may still be rated 满意

"""A 满意度测评 session end to end on the services: created on a published 票决's chosen projects,
voted on the sealed box with 满意/基本满意/不满意 ballots, counted from the opened totals, published,
and its grades recorded on the tracking records (不满意 → 整改; a later 测评 re-rates)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from ballot import crypto, inputs
from ballot.domain.errors import InvalidInput, WrongState
from ballot.domain.fields import RatingPlan
from ballot.extensions import db as _db
from ballot.models import AuditEntry, ProjectRating
from ballot.services import (
    export,
    rating_sessions,
    results,
    tracking,
)
from ballot.verify import verify_bundle
from tests.factories import (
    confirm_again,
    published,
    rating_ballots,
    rating_session,
    rewritten_bundle,
    vote,
)


def test_a_rating_session_grades_each_project_and_its_result_rates_the_tracking_records(db):
    source = published()
    session = rating_session(source, codes="1,2,3")
    assert (session.kind, session.quota, session.contested) == ("rating", 3, False)
    assert [c.title for c in session.candidates] == ["民生项目1", "民生项目2", "民生项目3"]
    # Every project may be 满意: no quota refuses a ballot rating all three 满意.
    result = vote(session, rating_ballots({"01": (30, 6, 4), "02": (15, 10, 15), "03": (5, 10, 25)}, 40))
    assert result.valid == 40
    confirm_again(session)
    results.publish(session, "chairman")
    _db.session.commit()
    document = json.loads(session.result_document)
    assert document["kind"] == "rating"
    assert document["ratings"]["01"] == {"satisfied": 30, "basically": 6, "dissatisfied": 4,
                                         "cast": 40, "basis_size": 40, "grade": "satisfied",
                                         "rate": "90.0"}
    assert document["ratings"]["02"]["grade"] == "basically_satisfied"
    assert document["ratings"]["03"]["grade"] == "dissatisfied"
    # Read out by grade, then every project's figures (no longer one sentence a project).
    assert results.announcement(session, document).split("\n")[1:] == [
        "测评结果为满意的项目1个：民生项目1。",
        "测评结果为基本满意的项目1个：民生项目2。",
        "测评结果为不满意的项目1个：民生项目3。",
        "各项目得票情况：",
        "民生项目1：满意30票，基本满意6票，不满意4票，满意率90.0%。",
        "民生项目2：满意15票，基本满意10票，不满意15票，满意率62.5%。",
        "民生项目3：满意5票，基本满意10票，不满意25票，满意率37.5%。"]
    projects = {p.candidate.code: p for p in tracking.projects(source)}
    assert [r.grade for r in projects["01"].ratings] == ["satisfied"]
    assert projects["03"].rectification and not projects["02"].rectification
    assert projects["03"].ratings[0].rated_in_session_id == session.id
    assert projects["04"].ratings == []  # not in the selection
    assert "tracking.rated" in _db.session.execute(select(AuditEntry.action).where(
        AuditEntry.session_id == source.id)).scalars().all()
    # The 测评 session is not a year of chosen projects itself.
    assert [y.session.id for y in tracking.year_overview(source.congress, source.year)] == [
        source.id]

    # A later 测评 re-rates the project under rectification: 满意 ends the 整改.
    again = rating_session(source, codes=["03"], slug="rerate-2028")
    vote(again, rating_ballots({"01": (35, 5, 0)}, 40))
    confirm_again(again)
    results.publish(again, "chairman")
    _db.session.commit()
    _db.session.refresh(projects["03"])
    assert [r.grade for r in projects["03"].ratings] == ["satisfied", "dissatisfied"]
    assert not projects["03"].rectification


def test_roster_basis_judges_against_every_delegate(db):
    source = published()
    session = rating_session(source, codes="1", basis="roster")
    vote(session, rating_ballots({"01": (24, 2, 14)}, 40))
    confirm_again(session)
    results.publish(session, "chairman")
    _db.session.commit()
    graded = json.loads(session.result_document)["ratings"]["01"]
    # 24 of 40 cast would be 满意; of the 50 on the roster it is 基本满意 (26 > 25).
    assert (graded["basis_size"], graded["grade"]) == (50, "basically_satisfied")
    rated = _db.session.execute(select(ProjectRating)).scalar_one()
    assert rated.basis == "roster"


def test_only_a_published_vote_can_be_rated_and_codes_must_be_its_chosen_projects(db):
    source = published()
    with pytest.raises(InvalidInput, match="99"):
        rating_sessions.create_from(source, inputs.rating_plan({"codes": "1,99"}), "staff")
    with pytest.raises(InvalidInput, match="过半数基数"):
        inputs.rating_plan({"basis": "present"})
    session = rating_sessions.create_from(source, RatingPlan(slug="rate-all"), "staff")
    assert len(session.candidates) == 10
    with pytest.raises(WrongState):
        rating_sessions.create_from(session, RatingPlan(), "staff")


def test_the_rating_bundle_verifies_and_a_changed_grade_is_caught(db):
    source = published()
    session = rating_session(source, codes="1,2")
    vote(session, rating_ballots({"01": (30, 6, 4), "02": (5, 10, 25)}, 40))
    confirm_again(session)
    results.publish(session, "chairman")
    _db.session.commit()
    original = export.to_bundle(session)
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(original)).read("manifest.json"))
    assert manifest["session"]["kind"] == "rating"
    report = verify_bundle(io.BytesIO(original), session.key_fingerprint)
    assert report.ok, [str(p) for p in report.problems]

    def regraded(data: bytes) -> bytes:
        document = json.loads(data)
        document["ratings"]["02"]["grade"] = "basically_satisfied"
        return crypto.canonical_json(document)

    found = {p.code for p in verify_bundle(rewritten_bundle(original, "result.json", regraded),
                                           session.key_fingerprint).problems}
    assert found == {"result_signature_invalid", "rating_mismatch"}

    def as_vote(data: bytes) -> bytes:
        changed = json.loads(data)
        del changed["session"]["kind"]
        assert changed != json.loads(data)
        return json.dumps(changed, ensure_ascii=False).encode()

    found = {p.code for p in verify_bundle(rewritten_bundle(original, "manifest.json", as_vote),
                                           session.key_fingerprint).problems}
    assert found == {"manifest_result_mismatch"}

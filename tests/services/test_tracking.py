"""Tracking the chosen projects after publication: records, plans, reports, photos, ratings."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from ballot import inputs, unit_of_work
from ballot.domain.errors import InvalidInput, NotFound
from ballot.domain.fields import RatingCounts, ReportFields
from ballot.extensions import db as _db
from ballot.models import AuditEntry, ProgressReport, ReportPhoto, TrackedProject
from ballot.services import photos, tracking
from tests.factories import codes, image_bytes, published


def actions(session) -> list[str]:
    return list(_db.session.execute(select(AuditEntry.action).where(
        AuditEntry.session_id == session.id).order_by(AuditEntry.id)).scalars())


def test_publication_opens_a_record_per_chosen_project_in_rank_order(db):
    session = published()
    projects = tracking.projects(session)
    assert [p.candidate.code for p in projects] == codes(10)
    assert projects[0].responsible_unit == "镇政府" and projects[0].budget == Decimal("100")
    assert "tracking.opened" in actions(session)
    assert tracking.open_records(session, "again") == []  # idempotent


def test_plan_and_report_are_saved_and_audited(db):
    session = published()
    project = tracking.find_project(session, "3")
    tracking.update_plan(session, project, inputs.tracking_plan({
        "responsible_unit": "镇教育办", "budget": "1,850", "milestones": "2027-03 开工\n2027-09 完工",
        "supervisors": "王建国、李秀英"}), "staff")
    tracking.post_report(session, project, inputs.report({"text": "主体结构封顶。", "percent_done": "60",
                                                          "budget_spent": "920.5"}),
                         [(image_bytes(), "site.jpg"), (image_bytes("PNG"), "plan.png")], "staff")
    db.session.commit()
    assert (project.budget, project.percent_done, project.budget_spent) == (
        Decimal("1850"), 60, Decimal("920.5"))
    report = project.reports[0]
    assert [p.mimetype for p in report.photos] == ["image/jpeg", "image/png"]
    assert actions(session)[-2:] == ["tracking.plan_updated", "tracking.report_posted"]


@pytest.mark.parametrize(("values", "expected"), [
    ({"text": "", "percent_done": "10"}, "请填写报告内容"),
    ({"text": "x", "percent_done": "101"}, "0 到 100"),
    ({"text": "x", "percent_done": "abc"}, "0 到 100"),
    ({"text": "x", "percent_done": "10", "budget_spent": "-5"}, "金额"),
    ({"text": "x", "percent_done": "10", "kind": "rectification"}, "未被要求整改"),
    ({"text": "x" * 4001, "percent_done": "10"}, "内容过长"),
])
def test_bad_reports_are_refused_with_a_reason_and_change_nothing(db, values, expected):
    session = published()
    project = tracking.find_project(session, "01")
    with pytest.raises(InvalidInput) as refused:
        unit_of_work.run(lambda: tracking.post_report(session, project, inputs.report(values), [],
                                                      "staff"))
    assert expected in str(refused.value)
    assert db.session.execute(select(ProgressReport)).first() is None
    assert tracking.find_project(session, "01").percent_done == 0


def test_photos_are_checked_by_content_not_by_name(db):
    session = published()
    project = tracking.find_project(session, "01")
    html = b"<html><script>alert(1)</script></html>"
    gif = b"GIF89a" + b"\x00" * 100
    truncated = image_bytes()[:200]
    for data, name, expected in [
        (html, "photo.jpg", "不是 JPEG 或 PNG"), (gif, "photo.png", "不是 JPEG 或 PNG"),
        (truncated, "photo.jpg", "已损坏"),
        (b"\xff\xd8\xff" + b"\x00" * (photos.MAX_BYTES + 1), "big.jpg", "太大"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            unit_of_work.run(lambda d=data, n=name: tracking.post_report(
                session, project, ReportFields(text="x", percent_done=5), [(d, n)], "staff"))
        assert expected in str(refused.value), name
    with pytest.raises(InvalidInput, match="最多"):
        photos.normalise_all([(image_bytes(), "a.jpg")] * (photos.MAX_PHOTOS + 1))
    assert db.session.execute(select(ReportPhoto)).first() is None


def test_pixel_bombs_are_refused_before_decoding():
    # A PNG of 8000×6000 black pixels: a few kilobytes on disk, 48 million pixels decoded.
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < photos.MAX_BYTES
    with pytest.raises(InvalidInput, match="像素过多"):
        photos.normalise(buffer.getvalue(), "bomb.png")


def test_photos_are_reencoded_small_and_without_metadata():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (10, 120, 30)).save(buffer, "JPEG", exif=exif.tobytes())
    photo = photos.normalise(buffer.getvalue() + b"trailing payload", "big.jpg")
    assert (photo.width, photo.height) == (1600, 1200)
    with Image.open(io.BytesIO(photo.data)) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert b"trailing payload" not in photo.data


def test_dissatisfied_rating_starts_rectification_and_a_later_rating_ends_it(db):
    session = published()
    project = tracking.find_project(session, "02")
    record = tracking.record_rating(session, project, RatingCounts(
        satisfied=15, basically=10, dissatisfied=32, cast=57), "staff")
    assert record.grade == "dissatisfied" and project.rectification
    tracking.post_report(session, project, ReportFields(
        text="已返工路面。", percent_done=100, kind="rectification"), [], "staff")
    tracking.record_rating(session, project, RatingCounts(
        satisfied=40, basically=10, dissatisfied=7, cast=57), "staff")
    db.session.commit()
    assert not project.rectification and project.ratings[0].grade == "satisfied"
    assert project.reports[0].kind == "rectification"
    assert actions(session).count("tracking.rated") == 2


@pytest.mark.parametrize("values", [
    {"satisfied": "30", "basically": "30", "dissatisfied": "0", "cast": "57"},
    {"satisfied": "0", "basically": "0", "dissatisfied": "0", "cast": "0"},
    {"satisfied": "-1", "basically": "0", "dissatisfied": "0", "cast": "5"},
    {"satisfied": "1", "basically": "0", "dissatisfied": "0", "cast": "5", "basis": "present"},
])
def test_impossible_rating_counts_are_refused(db, values):
    session = published()
    project = tracking.find_project(session, "02")
    with pytest.raises(InvalidInput):
        unit_of_work.run(lambda: tracking.record_rating(
            session, project, inputs.rating_counts(values), "staff"))
    assert not tracking.find_project(session, "02").ratings


def test_unknown_project_is_not_found(db):
    session = published()
    with pytest.raises(NotFound):
        tracking.find_project(session, "11")  # a candidate that was not chosen
    with pytest.raises(NotFound):
        tracking.get_project(session, 10**6)


def test_export_lists_the_projects_for_the_office(db):
    session = published()
    project = tracking.find_project(session, "01")
    tracking.post_report(session, project, ReportFields(text="=HYPERLINK(\"x\")", percent_done=30),
                         [], "staff")
    db.session.commit()
    text = tracking.export_file(session, "csv").decode("utf-8-sig")
    assert "完成进度（%）" in text and "'=HYPERLINK" in text
    sheet = load_workbook(io.BytesIO(tracking.export_file(session, "xlsx"))).active
    assert "民生实事项目实施情况" in sheet.cell(1, 1).value  # the title block, then the table
    assert sheet.cell(3, 3).value == "项目名称" and sheet.max_row == 13
    assert sheet.cell(4, 7).value == 30 and sheet.cell(4, 5).value == 100  # numbers stay numbers


def test_year_overview_lists_published_sessions_of_the_congress(db):
    session = published()
    overview = tracking.year_overview(session.congress, session.year)
    assert [entry.session.slug for entry in overview] == [session.slug]
    assert tracking.year_overview(session.congress, session.year + 1) == []
    assert tracking.tracked_years() == [(session.congress, session.year)]
    assert db.session.execute(select(TrackedProject)).scalars().all()


def test_resetting_and_deleting_a_drill_clears_its_tracking(db):
    from flask import current_app

    from ballot.models import ProjectRating
    from ballot.services import rehearsals

    session = published(is_drill=True)
    project = tracking.find_project(session, "01")
    tracking.post_report(session, project, ReportFields(text="x", percent_done=5),
                         [(image_bytes(), "a.jpg")], "staff")
    tracking.record_rating(session, project, RatingCounts(
        satisfied=1, basically=0, dissatisfied=50, cast=57), "staff")
    db.session.commit()
    rehearsals.reset_drill(session, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    db.session.commit()
    for model in (TrackedProject, ProgressReport, ReportPhoto, ProjectRating):
        assert db.session.execute(select(model)).first() is None, model


def test_deleting_a_drill_deletes_its_tracking(db):
    from ballot.models import VoteSession
    from ballot.services import rehearsals

    session = published(is_drill=True)
    tracking.post_report(session, tracking.find_project(session, "01"),
                         ReportFields(text="x", percent_done=5), [(image_bytes(), "a.jpg")], "staff")
    db.session.commit()
    rehearsals.delete_drill(session, "staff")
    db.session.commit()
    for model in (TrackedProject, ProgressReport, ReportPhoto, VoteSession):
        assert db.session.execute(select(model)).first() is None, model

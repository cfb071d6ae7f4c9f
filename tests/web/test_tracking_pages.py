"""Tracking through the screens and /api/v1: staff post progress, the public follows it."""

from __future__ import annotations

import base64
import io
from urllib.parse import quote

from openpyxl import load_workbook
from sqlalchemy import select

from ballot.extensions import db as _db
from ballot.models import AuditEntry, ProgressReport, ReportPhoto, VoteSession
from ballot.services import results, tracking
from tests.factories import image_bytes, published, ready_session, vote

YEAR_PAGE = "/c/" + quote("示范镇人大") + "/2027/"


def project_url(session, code: str = "01") -> str:
    project = tracking.find_project(session, code)
    return f"/admin/sessions/{session.slug}/tracking/{project.id}"


def test_staff_post_a_report_with_photos_and_the_public_sees_it(client, db, login):
    session = published()
    login("staff", "clerk")
    url = project_url(session)
    assert "项目实施跟踪" in client.get(f"/admin/sessions/{session.slug}").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "发布进展" in page and "录入满意度测评结果" in page
    assert "满意票超过收回测评票半数为满意" in page and "收回选票" not in page  # a 测评's form
    answer = client.post(url + "/reports", data={
        "text": "教学楼主体结构封顶。", "percent_done": "60", "budget_spent": "920",
        "photos": [(io.BytesIO(image_bytes()), "现场.jpg")]}, content_type="multipart/form-data")
    assert answer.status_code == 302
    photo = db.session.execute(select(ReportPhoto)).scalar_one()
    public = client.get(YEAR_PAGE).get_data(as_text=True)
    assert "教学楼主体结构封顶。" in public and 'value="60"' in public
    assert f"/s/{session.slug}/photos/{photo.id}" in public
    served = client.get(f"/s/{session.slug}/photos/{photo.id}")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.data.startswith(b"\xff\xd8\xff")
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "tracking.report_posted")).scalar_one()
    assert (entry.actor, entry.detail["photos"], entry.detail["percent_done"]) == ("clerk", 1, 60)


def test_a_disguised_file_is_refused_with_a_message_and_nothing_is_saved(client, db, login):
    session = published()
    login("staff")
    url = project_url(session)
    answer = client.post(url + "/reports", data={
        "text": "进展", "percent_done": "10",
        "photos": [(io.BytesIO(b"<svg onload=alert(1)>"), "photo.jpg")]},
        content_type="multipart/form-data", headers={"Referer": url}, follow_redirects=True)
    assert "不是 JPEG 或 PNG" in answer.get_data(as_text=True)
    assert db.session.execute(select(ProgressReport)).first() is None


def test_dissatisfied_rating_shows_rectification_on_the_public_page(client, db, login):
    session = published()
    login("staff")
    url = project_url(session, "02")
    client.post(url + "/rating", data={"satisfied": "10", "basically": "15", "dissatisfied": "32",
                                       "cast": "57", "source": "纸质测评"})
    client.post(url + "/reports", data={"text": "已组织返工整改。", "percent_done": "100",
                                        "kind": "rectification"},
                content_type="multipart/form-data")
    public = client.get(YEAR_PAGE).get_data(as_text=True)
    assert "整改中" in public and "已组织返工整改。" in public and "不满意" in public
    english = client.get("/lang/en?next=" + quote(YEAR_PAGE), follow_redirects=True)
    text = english.get_data(as_text=True)
    assert "Under rectification" in text and "Dissatisfied" in text


def test_public_page_is_404_for_a_year_without_published_sessions(client, db):
    published()
    assert client.get("/c/" + quote("示范镇人大") + "/2026/").status_code == 404
    assert client.get("/c/" + quote("别的镇人大") + "/2027/").status_code == 404


def test_tracking_before_publication_is_refused_with_a_reason(client, db, login):
    session = ready_session()
    vote(session, [{"01": "for"}] * 57)
    login("staff")
    answer = client.get(f"/admin/sessions/{session.slug}/tracking")
    assert answer.status_code == 409 and "结果公布后" in answer.get_data(as_text=True)


def test_office_export_downloads(client, db, login):
    session = published()
    login("chair")
    answer = client.get(f"/admin/sessions/{session.slug}/tracking/export/xlsx")
    assert answer.status_code == 200
    assert load_workbook(io.BytesIO(answer.data)).active.max_row == 13
    csv_answer = client.get(f"/admin/sessions/{session.slug}/tracking/export/csv")
    assert "项目名称" in csv_answer.data.decode("utf-8-sig")
    assert client.get(f"/admin/sessions/{session.slug}/tracking/export/pdf").status_code == 404


def test_api_posts_a_report_with_a_photo_and_lists_progress(client, db, login):
    session = published()
    login("staff")
    base = f"/api/v1/sessions/{session.slug}/tracking"
    plan = client.post(base + "/03/plan", json={"responsible_unit": "镇教育办", "budget": "1850"})
    assert plan.status_code == 200 and plan.get_json()["budget"] == "1850"
    answer = client.post(base + "/03/reports", json={
        "text": "完成招标。", "percent_done": 15, "budget_spent": "120",
        "photos": [{"name": "a.png", "data": base64.b64encode(image_bytes("PNG")).decode()}]})
    assert answer.status_code == 201, answer.get_json()
    assert len(answer.get_json()["photos"]) == 1
    listed = client.get(base).get_json()
    assert [p["code"] for p in listed][:3] == ["01", "02", "03"]
    assert listed[2]["percent_done"] == 15 and listed[2]["latest_report"]["text"] == "完成招标。"
    rated = client.post(base + "/03/rating", json={"satisfied": 41, "basically": 12,
                                                   "dissatisfied": 4, "cast": 57})
    assert rated.status_code == 201 and rated.get_json()["grade"] == "satisfied"
    assert rated.get_json()["rate"] == "93.0"


def test_api_refuses_bad_bodies_with_clear_messages(client, db, login):
    session = published()
    login("staff")
    base = f"/api/v1/sessions/{session.slug}/tracking"
    for body, expected in [
        ({"text": "x", "percent_done": 5, "photos": [{"data": "***"}]}, "base64"),
        ({"text": "x", "percent_done": 5, "photos": "abc"}, "列表"),
        ({"text": "x", "percent_done": True}, "percent_done”须为数字"),
        ({"text": "x", "percent_done": "abc"}, "0 到 100"),
        ({"text": "x", "percent_done": 5,
          "photos": [{"data": base64.b64encode(b"GIF89a....").decode()}]}, "不是 JPEG 或 PNG"),
    ]:
        answer = client.post(base + "/01/reports", json=body)
        assert answer.status_code == 400, body
        assert expected in answer.get_json()["message"], answer.get_json()
    assert client.post(base + "/99/reports", json={"text": "x", "percent_done": 1}
                       ).status_code == 404
    assert _db.session.execute(select(ProgressReport)).first() is None


def test_api_creates_a_rating_session_on_the_chosen_projects(client, db, login):
    session = published()
    login("staff")
    base = f"/api/v1/sessions/{session.slug}/tracking/rating-sessions"
    refused = client.post(base, json={"codes": ["01", "42"]})
    assert refused.status_code == 400 and "42" in refused.get_json()["message"]
    created = client.post(base, json={"codes": ["01", "03"], "date": "2027-12-20",
                                      "slug": "rate-2027", "basis": "roster"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["kind"], body["rating_basis"], body["quota"], body["mode"]) == (
        "rating", "roster", 2, "uncontested")
    assert [c["title"] for c in body["candidates"]] == ["民生项目1", "民生项目3"]
    assert client.get("/api/v1/sessions/rate-2027").get_json()["kind"] == "rating"


def test_a_published_rating_shows_its_grades_and_the_rectification_publicly(client, db):
    from tests.factories import confirm_again, rating_ballots, rating_session

    source = published()
    session = rating_session(source, codes="1,2")
    vote(session, rating_ballots({"01": (30, 6, 4), "02": (5, 10, 25)}, 40))
    confirm_again(session)
    results.publish(session, "chairman")
    _db.session.commit()
    page = client.get(f"/s/{session.slug}/results").get_data(as_text=True)
    assert "测评结果" in page and "满意率" in page
    assert "<td class=\"num\">90.0</td>" in page and "<strong class=\"warn\">不满意</strong>" in page
    assert "是否入选" not in page and "通过所需赞成票" not in page
    year = client.get(f"/c/{quote(source.congress)}/{source.year}/").get_data(as_text=True)
    assert "整改" in year and "民生项目2" in year


def test_staff_create_a_rating_session_from_the_tracking_page(client, db, login):
    session = published()
    login("staff")
    listing = client.get(f"/admin/sessions/{session.slug}/tracking").get_data(as_text=True)
    assert "创建满意度测评会议" in listing and listing.count('name="codes"') == 10
    url = f"/admin/sessions/{session.slug}/tracking/rating-session"
    none = client.post(url, data={"date": "2027-12-20"})
    assert none.status_code == 400 and "请至少勾选一个" in none.get_data(as_text=True)
    created = client.post(url, data={"date": "2027-12-20", "codes": ["02", "05"],
                                     "basis": "cast"})
    assert created.status_code == 302, created.get_data(as_text=True)
    rated = _db.session.execute(select(VoteSession).where(VoteSession.kind == "rating")
                                ).scalar_one()
    assert created.headers["Location"].endswith(f"/admin/sessions/{rated.slug}")
    assert [c.title for c in rated.candidates] == ["民生项目2", "民生项目5"]
    assert rated.title == "2027年度民生实事项目满意度测评"
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "满意度测评：每个项目评为满意、基本满意或不满意" in page and "票决方式" not in page


def test_a_rating_draft_takes_no_project_typed_in_or_imported(client, db, login):
    # Publishing a 测评 records each grade on the project's tracking record: a project added by
    # hand has none, so the draft refuses it and says where 测评 projects come from.
    session = published()
    login("staff")
    client.post(f"/admin/sessions/{session.slug}/tracking/rating-session",
                data={"date": "2027-12-20", "codes": ["02", "05"], "basis": "cast"})
    rated = _db.session.execute(select(VoteSession).where(VoteSession.kind == "rating")
                                ).scalar_one()
    page = client.get(f"/admin/sessions/{rated.slug}").get_data(as_text=True)
    assert "不能手工添加或导入" in page
    assert f'action="/admin/sessions/{rated.slug}/candidates"' not in page
    assert f'action="/admin/sessions/{rated.slug}/candidates/import"' not in page
    added = client.post(f"/admin/sessions/{rated.slug}/candidates", data={"title": "新建公园"})
    refusal = "满意度测评只能测评票决选出、正在跟踪的项目，不能手工添加或导入项目。"
    assert added.status_code == 400 and refusal in added.get_data(as_text=True)
    api = client.post(f"/api/v1/sessions/{rated.slug}/candidates", json={"title": "新建公园"})
    assert api.status_code == 400 and "项目实施跟踪" in api.get_json()["message"]
    upload = client.post(f"/api/v1/sessions/{rated.slug}/candidates/import",
                         data={"file": (io.BytesIO("项目名称\n新建公园\n".encode()), "p.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 400 and refusal in upload.get_json()["message"]
    _db.session.expire_all()
    assert [(c.title, c.tracked_project_id is not None) for c in rated.candidates] == [
        ("民生项目2", True), ("民生项目5", True)]

"""Admin pages: access, the session page, import through the browser form, lock."""

import io
from pathlib import Path

import pytest

from ballot.models import Delegate, VoteSession
from tests.conftest import make_session

FIXTURES = Path(__file__).parent.parent / "fixtures"


def admin_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith(("/admin", "/api/v1"))]


def test_every_admin_and_api_route_refuses_anonymous_users(app, client, db):
    make_session()
    db.session.commit()
    rules = admin_rules(app)
    assert len(rules) > 20
    for rule in rules:
        url = (rule.rule.replace("<ref>", "test-session").replace("<int:cid>", "1")
               .replace("<int:did>", "1").replace("<int:kid>", "1").replace("<int:pid>", "1")
               .replace("<int:uid>", "1").replace("<int:number>", "1")
               .replace("<int:pass_no>", "1"))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if url.startswith("/api/") or url.endswith(".json"):  # JSON documents answer JSON
                assert response.status_code == 401, (method, url)
                assert response.get_json()["error"] == "unauthorized"
            else:
                assert response.status_code == 302, (method, url)
                assert "/login" in response.headers["Location"]


def test_staff_sees_candidates_with_ratio_locks_and_imports_gbk_roster(client, db, login):
    make_session(delegates=0)
    db.session.commit()
    login("staff")
    page = client.get("/admin/sessions/test-session").get_data(as_text=True)
    assert "候选项目 12 个，应选 10 个，差额比例 20%" in page
    assert page.count("民生项目") >= 12
    response = client.post("/admin/sessions/test-session/transition", data={"target": "locked"},
                           headers={"Referer": "/admin/sessions/test-session"})
    assert response.status_code == 302
    page = client.get("/admin/sessions/test-session").get_data(as_text=True)
    assert "候选名单已锁定" in page and "会议密钥指纹" in page
    data = {"file": (io.BytesIO((FIXTURES / "roster_gbk.csv").read_bytes()), "roster_gbk.csv")}
    response = client.post("/admin/sessions/test-session/delegates/import", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get("/admin/sessions/test-session").get_data(as_text=True)
    assert "已导入 60 名代表" in page and "王建国" in page and "第一代表组（城区）" in page


def test_bad_roster_upload_shows_every_row_and_stores_nothing(client, db, login):
    session = make_session(delegates=0)
    db.session.commit()
    login("staff")
    data = {"file": (io.BytesIO((FIXTURES / "roster_bad.csv").read_bytes()), "roster_bad.csv")}
    response = client.post("/admin/sessions/test-session/delegates/import", data=data,
                           content_type="multipart/form-data",
                           headers={"Referer": "/admin/sessions/test-session"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "导入失败，未保存任何数据" in page
    for line in ("<td>3</td>", "<td>5</td>", "<td>7</td>", "<td>8</td>"):
        assert line in page
    assert db.session.query(Delegate).filter_by(session_id=session.id).count() == 0


def test_locking_eleven_for_ten_is_refused_with_the_missing_count(client, db, login):
    make_session(candidates=11)
    db.session.commit()
    login("staff")
    response = client.post("/admin/sessions/test-session/transition", data={"target": "locked"},
                           headers={"Referer": "http://localhost/admin/sessions/test-session"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "还需至少 1 个" in page
    assert "草稿" in page


def test_staff_of_another_congress_cannot_see_the_session(client, db, login):
    make_session()
    db.session.commit()
    login("staff", congress="另一个镇人大")
    assert client.get("/admin/sessions/test-session").status_code == 404
    assert client.post("/admin/sessions/test-session/transition",
                       data={"target": "locked"}).status_code == 404
    assert b"test-session" not in client.get("/admin/").data


@pytest.mark.parametrize("role", ["chair", "scrutineer"])
def test_read_only_roles_cannot_change_sessions(client, db, login, role):
    make_session()
    db.session.commit()
    login(role)
    assert client.get("/admin/sessions/test-session").status_code == 200
    assert client.post("/admin/sessions/test-session/transition",
                       data={"target": "locked"}).status_code == 403
    assert client.post("/api/v1/sessions/test-session/candidates",
                       json={"title": "x"}).status_code == 403


def test_create_session_through_the_form(client, db, login):
    login("staff")
    response = client.post("/admin/sessions/new", data={
        "title": "示范县第十届人民代表大会第三次会议", "slug": "county-2027", "level": "县",
        "date": "2027-01-20", "quota": "12", "mode": "contested", "min_excess_ratio": "25",
        "pass_basis": "present"})
    assert response.status_code == 302
    page = client.get("/admin/sessions/county-2027").get_data(as_text=True)
    assert "示范县第十届人民代表大会第三次会议" in page and "实到代表过半数" in page
    assert "至少需要 15 个" in page
    assert db.session.query(VoteSession).filter_by(slug="county-2027").one().late_checkin


def test_session_form_sets_whether_late_arrivals_may_check_in(client, db, login):
    login("staff")
    data = {"title": "示范镇会议", "slug": "late-2027", "date": "2027-01-20", "quota": "3",
            "late_checkin": "refused"}
    assert client.post("/admin/sessions/new", data=data).status_code == 302
    session = db.session.query(VoteSession).filter_by(slug="late-2027").one()
    assert session.late_checkin is False
    form = client.get("/admin/sessions/late-2027/settings").text
    assert '<option value="refused" selected>' in form
    response = client.post("/admin/sessions/late-2027/settings", data={**data, "late_checkin": "maybe"},
                           follow_redirects=True)
    assert "投票开始后报到只能是允许或不允许" in response.text
    assert client.get("/api/v1/sessions/late-2027").get_json()["late_checkin"] == "refused"


def test_a_refused_settings_form_comes_back_as_typed(client, db, login):
    login("staff")
    typed = {"title": "示范县第十届人民代表大会第三次会议", "slug": "typed-2027", "level": "县",
             "date": "2027-01-20", "quota": "0", "min_excess_ratio": "25",
             "chief_scrutineer": "陈立", "scrutineers": "赵敏、孙伟", "drill": "1"}
    answer = client.post("/admin/sessions/new", data=typed)
    assert answer.status_code == 400
    assert "应选项目数须为 1 到 500 之间的整数" in answer.text
    for value in ("示范县第十届人民代表大会第三次会议", "typed-2027", "陈立", "赵敏、孙伟"):
        assert f'value="{value}"' in answer.text, value
    assert '<option value="县" selected>' in answer.text and 'name="drill" value="1" checked' in answer.text
    assert db.session.query(VoteSession).filter_by(slug="typed-2027").first() is None
    assert client.post("/admin/sessions/new", data={**typed, "quota": "12"}).status_code == 302
    taken = client.post("/admin/sessions/new", data={**typed, "quota": "12"})
    assert taken.status_code == 400 and "已被使用" in taken.text and 'value="陈立"' in taken.text
    edited = client.post("/admin/sessions/typed-2027/settings",
                         data={**typed, "title": "改过的名称", "quota": "abc"})
    assert edited.status_code == 400 and 'value="改过的名称"' in edited.text
    saved = db.session.query(VoteSession).filter_by(slug="typed-2027").one()
    db.session.refresh(saved)
    assert (saved.title, saved.quota) == ("示范县第十届人民代表大会第三次会议", 12)


def test_login_rejects_wrong_password(client, db):
    from tests.conftest import make_user

    make_user()
    db.session.commit()
    response = client.post("/login", data={"username": "staff", "password": "nope"})
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_login_is_rate_limited_after_repeated_failures(client, db):
    from tests.conftest import make_user

    make_user()
    db.session.commit()
    for _ in range(5):
        assert client.post("/login", data={"username": "staff", "password": "bad"}).status_code == 401
    blocked = client.post("/login", data={"username": "staff", "password": "correct-horse"})
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302

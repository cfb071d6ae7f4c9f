"""账号管理: admins create, scope, disable, enable and reset accounts in the web."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ballot.models import AuditEntry, User
from ballot.services import accounts
from tests.conftest import make_user


def _user(db, name: str) -> User:
    db.session.expire_all()
    return accounts.find_user(name)


def _shown_password(text: str) -> str:
    found = re.search(r'class="one-time-password"[^>]*><code>([^<]+)</code>', text)
    assert found, text
    return found.group(1)


@pytest.mark.parametrize("role", ["staff", "chair", "scrutineer"])
def test_only_admins_manage_accounts(client, db, login, role):
    login(role)
    target = make_user("other-one", "staff")
    db.session.commit()
    assert client.get("/admin/accounts/").status_code == 403
    assert client.post("/admin/accounts/", data={"username": "x", "role": "admin",
                                                 "password_mode": "generate"}).status_code == 403
    for action in ("scope", "disable", "enable", "reset-password"):
        answer = client.post(f"/admin/accounts/{target.id}/{action}", data={"confirmed": "1"})
        assert answer.status_code == 403, action
    assert "账号管理" not in client.get("/admin/").get_data(as_text=True)
    assert accounts.find_user("x") is None and _user(db, "other-one").active


def test_the_list_shows_role_scope_state_and_last_login(client, db, login):
    login("admin", congress=None)
    make_user("li", "staff", congress="示范镇人大")
    quiet = make_user("zhao", "chair", congress=None)
    quiet.active = False
    db.session.commit()
    page = client.get("/admin/accounts/").get_data(as_text=True)
    assert "账号管理" in client.get("/admin/").get_data(as_text=True)  # in the top bar
    row = page[page.index('id="user-' + str(_user(db, "li").id)):]
    row = row[:row.index("</tr>")]
    assert "会务人员" in row and 'value="示范镇人大"' in row and "启用" in row and "从未登录" in row
    zhao = page[page.index(f'id="user-{quiet.id}"'):]
    zhao = zhao[:zhao.index("</tr>")]
    assert "已停用" in zhao and "重新启用" in zhao
    me = page[page.index('id="user-' + str(_user(db, "admin").id)):]
    me = me[:me.index("</tr>")]
    assert "（您自己）" in me and "全部人大" in me and "停用" not in me
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", me)  # the admin's own login just now


def test_a_generated_password_is_shown_once_and_must_be_changed_at_first_login(client, db, login,
                                                                             app):
    login("admin", congress=None)
    created = client.post("/admin/accounts/", data={
        "username": "wangjh", "display_name": "王建华", "role": "chair", "congress": "示范镇人大",
        "password_mode": "generate", "password": "ignored-here"})
    assert created.status_code == 200
    text = created.get_data(as_text=True)
    password = _shown_password(text)
    assert "只显示这一次" in text and "no-store" in created.headers["Cache-Control"]
    user = _user(db, "wangjh")
    assert user.role == "chair" and user.congress == "示范镇人大" and user.must_change_password
    assert user.check_password(password) and password not in client.get(
        "/admin/accounts/").get_data(as_text=True)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "user.create",
                                                        AuditEntry.detail["username"].as_string()
                                                        == "wangjh")).scalar_one()
    assert entry.actor == "admin" and password not in str(entry.detail)

    chair = app.test_client()
    first = chair.post("/login", data={"username": "wangjh", "password": password})
    assert first.headers["Location"] == "/account/password"
    for path in ("/admin/", "/admin/sessions/test-session"):
        held = chair.get(path)
        assert held.status_code == 302 and held.headers["Location"] == "/account/password", path
    api = chair.get("/api/v1/sessions")
    assert api.status_code == 403 and api.get_json()["error"] == "password_change_required"
    form = chair.get("/account/password").get_data(as_text=True)
    assert "临时密码" in form
    changed = chair.post("/account/password", data={"current": password, "new": "battery-staple",
                                                    "repeat": "battery-staple"})
    assert changed.status_code == 302
    assert chair.get("/admin/").status_code == 200
    assert _user(db, "wangjh").must_change_password is False


def test_a_typed_initial_password_and_bad_input_say_what_to_do(client, db, login):
    login("admin", congress=None)
    client.get("/admin/accounts/")
    typed = client.post("/admin/accounts/", data={
        "username": "sun", "role": "staff", "congress": "", "password_mode": "typed",
        "password": "sun-initial-pw"})
    assert _shown_password(typed.get_data(as_text=True)) == "sun-initial-pw"
    sun = _user(db, "sun")
    assert sun.congress is None and sun.must_change_password and sun.check_password("sun-initial-pw")
    for data, message in (
            ({"username": "sun", "role": "staff", "password_mode": "generate"}, "已存在"),
            ({"username": "qian", "role": "boss", "password_mode": "generate"}, "角色只能是"),
            ({"username": "qian", "role": "staff", "password_mode": "typed"}, "请输入初始密码"),
            ({"username": "qian", "role": "staff", "password_mode": "typed", "password": "short"},
             "密码至少 8 位"),
            ({"username": " qian", "role": "staff", "password_mode": "generate"}, "不能以空白开头")):
        answer = client.post("/admin/accounts/", data=data,
                             headers={"Referer": "http://localhost/admin/accounts/"},
                             follow_redirects=True)
        assert answer.status_code == 200 and message in answer.get_data(as_text=True), data
    assert accounts.find_user("qian") is None


def test_disable_asks_first_ends_the_login_and_the_login_page_says_why(client, db, login, app):
    login("admin", congress=None)
    make_user("li", "staff")
    db.session.commit()
    victim = app.test_client()
    assert victim.post("/login", data={"username": "li", "password": "correct-horse"}
                       ).status_code == 302
    assert victim.get("/admin/").status_code == 200
    uid = _user(db, "li").id
    asked = client.post(f"/admin/accounts/{uid}/disable")
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "停用账号“li”" in text and 'name="confirmed"' in text
    assert _user(db, "li").active and victim.get("/admin/").status_code == 200
    done = client.post(f"/admin/accounts/{uid}/disable", data={"confirmed": "1"},
                       follow_redirects=True)
    assert "账号“li”已停用" in done.get_data(as_text=True)
    assert victim.get("/admin/").headers["Location"].startswith("/login")  # ended at once
    assert victim.get("/api/v1/sessions").status_code == 401
    refused = app.test_client().post("/login", data={"username": "li",
                                                     "password": "correct-horse"})
    assert refused.status_code == 403
    assert "此账号已停用，请联系管理员" in refused.get_data(as_text=True)
    wrong = app.test_client().post("/login", data={"username": "li", "password": "guess-guess"})
    assert wrong.status_code == 401 and "已停用" not in wrong.get_data(as_text=True)
    client.post(f"/admin/accounts/{uid}/enable")
    assert app.test_client().post("/login", data={"username": "li", "password": "correct-horse"}
                                  ).status_code == 302
    actions = [(e.actor, e.action, e.detail.get("username")) for e in db.session.execute(
        select(AuditEntry).where(AuditEntry.action.in_(("user.disable", "user.enable")))
    ).scalars()]
    assert actions == [("admin", "user.disable", "li"), ("admin", "user.enable", "li")]


def test_an_admin_cannot_disable_themself_nor_the_last_admin(client, db, login):
    me = login("admin", congress=None)
    listed = "http://localhost/admin/accounts/"
    own = client.post(f"/admin/accounts/{me.id}/disable", data={"confirmed": "1"},
                      headers={"Referer": listed}, follow_redirects=True)
    assert "不能停用自己的账号" in own.get_data(as_text=True)
    assert _user(db, "admin").active


def test_reset_asks_first_shows_the_password_once_and_ends_the_users_logins(client, db, login,
                                                                            app):
    login("admin", congress=None)
    make_user("chen", "scrutineer")
    db.session.commit()
    other = app.test_client()
    other.post("/login", data={"username": "chen", "password": "correct-horse"})
    uid = _user(db, "chen").id
    asked = client.post(f"/admin/accounts/{uid}/reset-password")
    assert "重置“chen”的密码" in asked.get_data(as_text=True)
    assert _user(db, "chen").check_password("correct-horse")
    done = client.post(f"/admin/accounts/{uid}/reset-password", data={"confirmed": "1"})
    password = _shown_password(done.get_data(as_text=True))
    assert "密码已重置" in done.get_data(as_text=True)
    assert other.get("/admin/").headers["Location"].startswith("/login")
    chen = _user(db, "chen")
    assert chen.check_password(password) and chen.must_change_password
    again = app.test_client().post("/login", data={"username": "chen", "password": password})
    assert again.headers["Location"] == "/account/password"
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "user.password_reset")).scalar_one()
    assert entry.actor == "admin" and entry.detail == {"username": "chen"}


def test_scope_is_changed_from_the_list(client, db, login):
    login("admin", congress=None)
    make_user("li", "staff", congress="示范镇人大")
    db.session.commit()
    uid = _user(db, "li").id
    answer = client.post(f"/admin/accounts/{uid}/scope", data={"congress": "另一镇人大"},
                         follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "已更新“li”的可见范围：另一镇人大" in text and "目前还没有“另一镇人大”的会议" in text
    assert _user(db, "li").congress == "另一镇人大"
    client.post(f"/admin/accounts/{uid}/scope", data={"congress": ""})
    assert _user(db, "li").congress is None
    missing = client.post("/admin/accounts/99999/scope", data={"congress": ""})
    assert missing.status_code == 404

"""A staff user changes their own password: checked, audited, other logins ended."""

from __future__ import annotations

from sqlalchemy import select

from ballot.models import AuditEntry


def test_change_own_password(client, db, login, app):
    login("chair", username="chairman")
    other = app.test_client()
    assert other.post("/login", data={"username": "chairman",
                                      "password": "correct-horse"}).status_code == 302
    assert client.get("/account/password").status_code == 200
    refused = client.post("/account/password", data={
        "current": "wrong", "new": "short", "repeat": "short"}, follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert "当前密码不正确" in text and "新密码至少 8 位" in text
    mismatch = client.post("/account/password", data={
        "current": "correct-horse", "new": "battery-staple", "repeat": "battery-stapel"},
        follow_redirects=True)
    assert "两次输入的新密码不一致" in mismatch.get_data(as_text=True)
    done = client.post("/account/password", data={
        "current": "correct-horse", "new": "battery-staple", "repeat": "battery-staple"},
        follow_redirects=True)
    assert "密码已修改" in done.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200  # this browser stays logged in
    assert other.get("/admin/").status_code == 302  # the other login ended
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "chairman",
                                      "password": "correct-horse"}).status_code == 401
    assert fresh.post("/login", data={"username": "chairman",
                                      "password": "battery-staple"}).status_code == 302
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert "user.password_changed" in actions


def test_the_page_needs_a_login(client, db):
    assert client.get("/account/password").headers["Location"].startswith("/login")

"""Login sessions and cookies: flags, rotation at login, logout, the kiosk cookie, the size cap."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
from http.cookies import SimpleCookie
from pathlib import Path

from ballot.models import LoginSession
from ballot.services import accounts, kiosks
from tests.conftest import make_session, make_user

ROOT = Path(__file__).resolve().parents[2]


def _cookie(response, name: str):
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            return cookie[name], header
    raise AssertionError(f"no {name} cookie set")


def _log_in(client) -> object:
    return client.post("/login", data={"username": "staff", "password": "correct-horse"})


def test_session_cookie_is_httponly_and_samesite_and_not_secure_by_default(client, db):
    make_user()
    db.session.commit()
    morsel, header = _cookie(_log_in(client), "session")
    assert morsel["httponly"] and morsel["samesite"] == "Lax"
    assert "Secure" not in header


def test_session_cookie_is_secure_when_configured(app, client, db):
    app.config["SESSION_COOKIE_SECURE"] = True
    make_user()
    db.session.commit()
    _, header = _cookie(_log_in(client), "session")
    assert "Secure" in header and "HttpOnly" in header


def _fresh_settings():
    """A private copy of config/settings.py, whose classes read the environment as it is now."""
    spec = importlib.util.spec_from_file_location("settings_copy", ROOT / "config" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ballot_secure_cookies_turns_secure_on_and_production_has_it_by_default(monkeypatch):
    monkeypatch.delenv("BALLOT_SECURE_COOKIES", raising=False)
    settings = _fresh_settings()
    assert settings.DefaultConfig.SESSION_COOKIE_SECURE is False
    assert settings.ProductionConfig.SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("BALLOT_SECURE_COOKIES", "1")
    assert _fresh_settings().DefaultConfig.SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("BALLOT_SECURE_COOKIES", "0")
    assert _fresh_settings().ProductionConfig.SESSION_COOKIE_SECURE is False


def test_login_starts_a_fresh_session_and_a_cookie_from_before_does_not_carry_it(client, db):
    make_user()
    db.session.commit()
    client.get("/lang/en")
    with client.session_transaction() as before:
        before["planted"] = "set before login"
    old_cookie = client.get_cookie("session").value
    assert _log_in(client).status_code == 302
    with client.session_transaction() as after:
        assert "planted" not in after and after["lang"] == "en" and "login" in after
    assert client.get_cookie("session").value != old_cookie
    replay = client.application.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/admin/").status_code == 302


def test_logout_clears_the_login_and_keeps_the_language(client, db):
    make_user()
    db.session.commit()
    client.get("/lang/en")
    _log_in(client)
    assert client.get("/admin/").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    with client.session_transaction() as after:
        assert "login" not in after and after.get("lang") == "en"
    assert client.get("/admin/").headers["Location"].startswith("/login")


def test_a_copied_login_cookie_stops_working_after_logout(client, db):
    make_user()
    db.session.commit()
    _log_in(client)
    copied = client.get_cookie("session").value
    other = client.application.test_client()
    other.set_cookie("session", copied)
    assert other.get("/admin/").status_code == 200
    client.post("/logout")
    assert other.get("/admin/").status_code == 302


def test_an_expired_login_is_refused(client, db):
    make_user()
    db.session.commit()
    _log_in(client)
    assert client.get("/admin/").status_code == 200
    login = db.session.execute(db.select(LoginSession)).scalar_one()
    login.started_at -= dt.timedelta(hours=accounts.LOGIN_MAX_HOURS, minutes=1)
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_changing_the_password_ends_existing_logins(client, db):
    user = make_user()
    db.session.commit()
    _log_in(client)
    assert client.get("/admin/").status_code == 200
    user.set_password("another-long-password")
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_rate_limit_counts_the_address_across_usernames(client, db):
    """An address trying many names is slowed down too (and only that address)."""
    make_user()
    db.session.commit()
    for n in range(accounts.FREE_TRIES_PER_ADDRESS):
        answer = client.post("/login", data={"username": f"guess{n}", "password": "x"})
        assert answer.status_code == 401
    blocked = _log_in(client)
    assert blocked.status_code == 429
    assert f"这台电脑登录失败次数过多，请 {accounts.BACKOFF_FIRST_SECONDS} 秒后再试" in blocked.text
    other = client.application.test_client()
    assert other.post("/login", data={"username": "staff", "password": "correct-horse"},
                      environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302


def test_kiosk_cookie_is_httponly_strict_and_scoped_to_kiosk_pages(app, client, db):
    session = make_session(delegates=1)
    _, code = kiosks.create_pairing(session, "签到机", "checkin", "staff")
    db.session.commit()
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.post("/kiosk/enrol", data={"code": code})
    morsel, header = _cookie(response, "ballot_kiosk")
    assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/kiosk"
    assert "Secure" in header


def test_a_body_over_the_size_cap_gets_413_with_a_chinese_message(app, client, db, login):
    login("staff")
    make_session()
    db.session.commit()
    app.config["MAX_CONTENT_LENGTH"] = 1024
    big = {"file": (io.BytesIO(b"x" * 4096), "roster.csv")}
    page = client.post("/admin/sessions/test-session/delegates/import", data=big,
                       content_type="multipart/form-data")
    assert page.status_code == 413 and "上传的文件太大，请拆分后重试。" in page.text
    api = client.post("/api/v1/sessions/test-session/delegates", data=b"{" + b" " * 4096 + b"}",
                      content_type="application/json")
    assert api.status_code == 413
    assert api.get_json() == {"error": "request_entity_too_large",
                              "message": "上传的文件太大，请拆分后重试。"}

"""CSRF: every state-changing route refuses a request without the page's token, accepts it with.

The suite's TestConfig turns CSRF off; here the app is built with it on, as in production.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ballot.app import create_app
from ballot.extensions import csrf
from ballot.extensions import db as _db
from ballot.models import AuditEntry
from ballot.services import kiosks, rounds
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import PG_URL, make_session, make_user
from tests.factories import card, cast, issue, session_delegates, ten_for, voting_session

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
CSRF_MESSAGE = "页面已过期或请求来源无效，请刷新页面后重试。"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Exempt on purpose (docs/permissions.md, "CSRF"): a public, read-only lookup.
EXEMPT = {("board.lookup_json", "POST")}


@pytest.fixture
def csrf_app(tmp_path):
    """The test app with CSRF protection on. Requests run outside any app context of the test,
    as in production: Flask-WTF caches the page's token in ``g``, which a shared context keeps."""
    application = create_app({"CONFIG_NAME": "test", "WTF_CSRF_ENABLED": True,
                              "SQLALCHEMY_DATABASE_URI": PG_URL
                              or f"sqlite:///{tmp_path / 'csrf.sqlite'}"})
    with application.app_context():
        if PG_URL:
            _db.drop_all()
        _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        if PG_URL:
            _db.drop_all()
        _db.engine.dispose()


def token_from(html: str) -> str:
    """The CSRF token of a rendered page: the meta tag or a form's hidden field."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def logged_in_staff(app):
    """A browser logged in as staff through the login form (which needs the token too)."""
    with app.app_context():
        make_user("staff", "staff")
        _db.session.commit()
    browser = app.test_client()
    refused = browser.post("/login", data={"username": "staff", "password": "correct-horse"})
    assert refused.status_code == 400 and CSRF_MESSAGE in refused.text
    token = token_from(browser.get("/login").text)
    assert browser.post("/login", data={"username": "staff", "password": "correct-horse",
                                        "csrf_token": token}).status_code == 302
    # The login started a fresh session: the token from before it no longer works.
    stale = browser.post("/api/v1/sessions", json={}, headers={"X-CSRFToken": token})
    assert stale.status_code == 400 and stale.get_json()["error"] == "csrf"
    return browser


def state_changing_routes(app):
    """(rule, method, endpoint) for every state-changing method of every rule."""
    return sorted((rule.rule, method, rule.endpoint) for rule in app.url_map.iter_rules()
                  for method in rule.methods & STATE_CHANGING)


def fill(rule: str, slug: str) -> str:
    return re.sub(r"<([^>]+)>", lambda m: slug if m.group(1) == "ref" else "1", rule)


def audit_count(app) -> int:
    with app.app_context():
        return _db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def draft_session(app) -> str:
    with app.app_context():
        session = make_session(slug="csrf-s", delegates=3)
        _db.session.commit()
        return session.slug


def test_exempt_views_are_exactly_the_documented_ones(csrf_app):
    assert csrf._exempt_views == {"ballot.web.board.lookup_json"}
    assert not csrf._exempt_blueprints
    assert "`POST /s/<ref>/board/lookup.json`" in DOC.read_text(encoding="utf-8")


def test_every_state_changing_route_refuses_a_request_without_the_token(csrf_app):
    slug = draft_session(csrf_app)
    browser = logged_in_staff(csrf_app)
    routes = state_changing_routes(csrf_app)
    assert len(routes) > 40
    before = audit_count(csrf_app)
    for rule, method, endpoint in routes:
        if (endpoint, method) in EXEMPT:
            continue
        path = fill(rule, slug)
        json_path = path.startswith(("/api/", "/kiosk/api/"))
        for kwargs in ({"data": {"x": "1"}}, {"json": {"x": "1"}}):
            response = browser.open(path, method=method, **kwargs)
            assert response.status_code == 400, (method, path, response.status_code)
            if json_path:
                assert response.get_json() == {"error": "csrf", "message": CSRF_MESSAGE}, path
            else:
                assert CSRF_MESSAGE in response.text, path
        wrong = browser.open(path, method=method, headers={"X-CSRFToken": "forged"}, json={})
        assert wrong.status_code == 400, (method, path)
    assert audit_count(csrf_app) == before


def test_every_state_changing_route_accepts_the_token_from_the_page(csrf_app):
    slug = draft_session(csrf_app)
    browser = logged_in_staff(csrf_app)
    token = token_from(browser.get(f"/admin/sessions/{slug}").text)
    for rule, method, endpoint in state_changing_routes(csrf_app):
        if endpoint == "auth.logout":
            continue  # last, below: it ends the login the other requests need
        path = fill(rule, slug)
        response = browser.open(path, method=method, headers={"X-CSRFToken": token}, json={})
        assert response.status_code < 500, (method, path)
        if response.status_code == 400:
            body = response.get_json(silent=True) or {}
            assert body.get("error") != "csrf" and CSRF_MESSAGE not in response.text, path
    form = browser.post(f"/admin/sessions/{slug}/candidates",
                        data={"title": "新建学校", "csrf_token": token})
    assert form.status_code == 302
    assert "新建学校" in browser.get(f"/admin/sessions/{slug}").text
    api = browser.post("/api/v1/sessions", json={"title": "示范县会议", "date": "2027-02-01",
                                                 "quota": 3, "slug": "api-made"},
                       headers={"X-CSRFToken": token})
    assert api.status_code == 201, api.get_json()
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert browser.get("/admin/").status_code == 302


def test_kiosk_calls_need_the_token_from_the_kiosk_page(csrf_app):
    with csrf_app.app_context():
        session, _ = voting_session(delegates=4, slug="vote-csrf")
        _, code = kiosks.create_pairing(session, "投票机2", "voting", "staff")
        _, credential = kiosks.enrol(code)
        _db.session.commit()
        text = card(session, session_delegates(session)[0])
    kiosk = csrf_app.test_client()
    kiosk.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
    refused = kiosk.post("/kiosk/api/vote/issue", json={"card": text})
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf"
    token = token_from(kiosk.get("/kiosk/vote/").text)
    issued = kiosk.post("/kiosk/api/vote/issue", json={"card": text}, headers={"X-CSRFToken": token})
    assert issued.status_code == 200 and issued.get_json()["token"]


def test_the_exempt_board_lookup_changes_nothing(csrf_app):
    def snapshot():
        with csrf_app.app_context():
            return {t.name: _db.session.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in _db.metadata.sorted_tables}

    with csrf_app.app_context():
        session, kiosk = voting_session(delegates=4, slug="lookup-csrf")
        token, _ = issue(session, kiosk, session_delegates(session)[0])
        code = cast(session, kiosk, token, ten_for()).tracking_code
        rounds.close_round(session, "chair")
        _db.session.commit()
        slug = session.slug
    before = snapshot()
    browser = csrf_app.test_client()
    found = browser.post(f"/s/{slug}/board/lookup.json", json={"code": code})
    assert found.status_code == 200 and found.get_json()["found"] is True
    missing = browser.post(f"/s/{slug}/board/lookup.json", json={"code": "0000-0000-0000"})
    assert missing.status_code == 404 and missing.get_json()["found"] is False
    assert snapshot() == before

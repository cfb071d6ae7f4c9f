"""Kiosk enrolment, the kiosk guard, the check-in kiosk API and the staff check-in pages."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from ballot.app import create_app
from ballot.extensions import db as _db
from ballot.models import AuditEntry, Delegate, Kiosk, VoteSession
from ballot.services import credentials, kiosks, roster
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import make_session


def _pair(client, db, session, mode: str = "checkin") -> Kiosk:
    """Create a kiosk as staff would and enrol ``client``'s browser with its code."""
    kiosk, code = kiosks.create_pairing(session, f"{mode}-kiosk", mode, "staff")
    db.session.commit()
    response = client.post("/kiosk/enrol", data={"code": kiosks.format_pairing_code(code)})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert KIOSK_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    return kiosk


def _card(db, session, index: int = 0) -> tuple[Delegate, str]:
    delegate = roster.list_delegates(session)[index]
    text = credentials.issue_card(delegate, "staff")
    db.session.commit()
    return delegate, text


def _scan(client, text: str):
    return client.post("/kiosk/api/checkin/scan", json={"text": text})


def test_enrolled_checkin_kiosk_checks_a_delegate_in(client, db):
    session = make_session(delegates=5, state="checkin")
    _pair(client, db, session)
    assert client.get("/kiosk").headers["Location"].endswith("/kiosk/checkin")
    page = client.get("/kiosk/checkin")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and session.title in html and "请刷代表证签到" in html
    assert "<script>" not in html and "onclick" not in html
    assert "vendor/jsqr/jsQR.js" in html
    delegate, text = _card(db, session, 2)
    body = _scan(client, text).get_json()
    assert body["status"] == "checked_in" and (body["name"], body["seat"]) == (delegate.name, delegate.seat)
    again = _scan(client, text).get_json()
    assert again["status"] == "already" and again["time"] == body["time"]
    status = client.get("/kiosk/api/checkin/status").get_json()
    assert (status["open"], status["present"], status["expected"]) == (True, 1, 5)


@pytest.mark.parametrize("case,code", [
    ("unknown", "unknown_card"), ("other", "card_of_other_session"), ("replaced", "card_replaced"),
])
def test_bad_cards_get_a_clear_message(client, db, case, code):
    session = make_session(delegates=2, state="checkin")
    other = make_session(slug="other-town", delegates=1, state="checkin")
    _pair(client, db, session)
    if case == "unknown":
        text = "hello world"
    elif case == "other":
        _, text = _card(db, other)
    else:
        _, text = _card(db, session)
        _card(db, session)
    response = _scan(client, text)
    assert response.status_code in (404, 409)
    assert response.get_json()["error"] == code and response.get_json()["message"]
    assert _db.session.execute(select(Delegate.attendance).where(
        Delegate.attendance == "present")).first() is None


def test_scan_when_checkin_not_open(client, db):
    session = make_session(delegates=2, state="locked")
    _pair(client, db, session)
    _, text = _card(db, session)
    response = _scan(client, text)
    assert response.status_code == 409 and response.get_json()["error"] == "checkin_not_open"


def test_late_arrival_checks_in_while_voting_and_is_told_to_vote(client, db):
    session = make_session(delegates=2, state="voting")
    _pair(client, db, session)
    page = client.get("/kiosk/checkin").text
    strings = json.loads(html.unescape(re.search(r'data-strings="([^"]*)"', page).group(1)))
    assert strings["late"].startswith("投票已经开始：请现在前往投票机投票")
    status = client.get("/kiosk/api/checkin/status").get_json()
    assert (status["open"], status["voting"]) == (True, True)
    _, text = _card(db, session)
    body = _scan(client, text).get_json()
    assert (body["status"], body["late"]) == ("checked_in", True)
    session.late_checkin = False
    db.session.commit()
    assert client.get("/kiosk/api/checkin/status").get_json()["open"] is False
    _, other = _card(db, session, 1)
    response = _scan(client, other)
    assert response.status_code == 409 and response.get_json()["error"] == "late_checkin_refused"
    assert "投票开始后不再报到" in response.get_json()["message"]


def test_failed_scans_are_rate_limited_and_counted_in_the_database(client, db):
    session = make_session(delegates=1, state="checkin")
    kiosk = _pair(client, db, session)
    for _ in range(kiosks.FAILED_SCAN_LIMIT):
        assert _scan(client, "PJ1.nope.1.1.AAAA").status_code == 404
    _, text = _card(db, session)
    limited = _scan(client, text)
    assert limited.status_code == 429 and limited.get_json()["error"] == "too_many_failed_scans"
    _db.session.expire_all()
    assert _db.session.get(Kiosk, kiosk.id).failed_scans == kiosks.FAILED_SCAN_LIMIT


@pytest.mark.parametrize("path,method", [
    ("/kiosk/api/checkin/scan", "post"), ("/kiosk/api/checkin/status", "get"),
])
def test_unknown_or_revoked_browser_can_do_nothing(client, db, path, method):
    session = make_session(delegates=1, state="checkin")
    _, text = _card(db, session)
    anonymous = getattr(client, method)(path, json={"text": text})
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "kiosk_unknown"
    kiosk = _pair(client, db, session)
    kiosks.revoke(session, _db.session.get(Kiosk, kiosk.id), "staff")
    db.session.commit()
    revoked = getattr(client, method)(path, json={"text": text})
    assert revoked.status_code == 401 and revoked.get_json()["error"] == "kiosk_unknown"
    assert client.get("/kiosk/checkin").headers["Location"].endswith("/kiosk/enrol")
    assert roster.list_delegates(session)[0].attendance == "absent"


def test_voting_kiosk_cannot_check_in(client, db):
    session = make_session(delegates=1, state="checkin")
    _pair(client, db, session, mode="voting")
    _, text = _card(db, session)
    response = _scan(client, text)
    assert response.status_code == 403 and response.get_json()["error"] == "kiosk_wrong_mode"
    assert client.get("/kiosk").status_code == 302  # off to the voting kiosk's own screen


def test_wrong_pairing_code_is_refused_on_the_page(client, db):
    make_session(delegates=1)
    response = client.post("/kiosk/enrol", data={"code": "AAAA-AAAA"})
    assert response.status_code == 400 and "配对码无效" in response.get_data(as_text=True)
    assert KIOSK_COOKIE not in response.headers.get("Set-Cookie", "")


def test_request_bodies_are_capped(app, client, db):
    session = make_session(delegates=1, state="checkin")
    _pair(client, db, session)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/kiosk/api/checkin/scan", data=b"x" * 4096,
                           content_type="application/json")
    assert response.status_code == 413


# --- staff pages ----------------------------------------------------------------------------

def test_staff_pair_a_kiosk_see_it_and_revoke_it(client, db, login):
    login("staff")
    session = make_session(delegates=1)
    db.session.commit()
    page = client.post(f"/admin/sessions/{session.slug}/kiosks",
                       data={"name": "东门签到 1 号", "mode": "checkin"})
    html = page.get_data(as_text=True)
    code = re.search(r'id="pairing-code"[^>]*>([A-Z0-9-]+)<', html).group(1)
    kiosk_browser = client.application.test_client()
    enrolled = kiosk_browser.post("/kiosk/enrol", data={"code": code})
    assert enrolled.status_code == 302
    listing = client.get(f"/admin/sessions/{session.slug}/kiosks").get_data(as_text=True)
    assert "东门签到 1 号" in listing and "已配对" in listing and code not in listing
    kiosk = _db.session.execute(select(Kiosk)).scalar_one()
    asked = client.post(f"/admin/sessions/{session.slug}/kiosks/{kiosk.id}/revoke")
    assert "确认停用" in asked.get_data(as_text=True)  # asks first, nothing revoked yet
    assert kiosk_browser.get("/kiosk/api/checkin/status").status_code == 200
    client.post(f"/admin/sessions/{session.slug}/kiosks/{kiosk.id}/revoke", data={"confirmed": "1"})
    assert kiosk_browser.get("/kiosk/api/checkin/status").status_code == 401
    assert "已停用" in client.get(f"/admin/sessions/{session.slug}/kiosks").get_data(as_text=True)


def test_staff_check_in_undo_and_leave_are_audited(client, db, login):
    login("staff")
    session = make_session(delegates=3, state="checkin")
    db.session.commit()
    base = f"/admin/sessions/{session.slug}/delegates"
    first, second = roster.list_delegates(session)[:2]
    client.post(f"{base}/{first.id}/checkin", data={"reason": "忘带代表证"})
    client.post(f"{base}/{second.id}/leave", data={"leave": "1", "reason": "出差"})
    counts = client.get(f"/api/v1/sessions/{session.slug}/counts").get_json()
    assert (counts["present"], counts["leave"], counts["absent"]) == (1, 1, 1)
    client.post(f"{base}/{first.id}/checkin/undo", data={"reason": "误点", "confirmed": "1"})
    counts = client.get(f"/api/v1/sessions/{session.slug}/counts").get_json()
    assert counts["present"] == 0
    actions = list(_db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())
    assert actions[-3:] == ["checkin.staff", "delegate.leave", "checkin.undo"]
    desk = client.get(f"/admin/sessions/{session.slug}/checkin").get_data(as_text=True)
    assert "人工签到" in desk and "js/live-counts.js" in desk


def test_cards_pdf_button_and_single_card_reissue(client, db, login):
    login("staff")
    session = make_session(delegates=3)
    db.session.commit()
    page = client.get(f"/admin/sessions/{session.slug}").get_data(as_text=True)
    assert f"/admin/sessions/{session.slug}/cards.pdf" in page and "js/live-counts.js" in page
    assert "作废" in page  # the button says printing again replaces every card
    pdf = client.post(f"/admin/sessions/{session.slug}/cards.pdf", data={"confirmed": "1"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    delegate = roster.list_delegates(session)[0]
    png = client.post(f"/admin/sessions/{session.slug}/delegates/{delegate.id}/card.png",
                      data={"confirmed": "1", "reason": "代表证损坏"})
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    _db.session.expire_all()
    assert _db.session.get(Delegate, delegate.id).card_version == 2


def test_kiosk_pages_need_staff(client, db, login):
    session = make_session(delegates=1)
    db.session.commit()
    anonymous = client.application.test_client()
    assert anonymous.get(f"/admin/sessions/{session.slug}/kiosks").status_code == 302
    login("chair", username="chair")
    assert client.get(f"/admin/sessions/{session.slug}/kiosks").status_code == 403
    assert client.post(f"/admin/sessions/{session.slug}/cards.pdf").status_code == 403


def test_cards_command_writes_a_pdf_and_warns(app, db, tmp_path):
    session = make_session(delegates=9)
    db.session.commit()
    out = tmp_path / "cards.pdf"
    result = app.test_cli_runner().invoke(args=["cards", session.slug, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF") and "2 页" in result.output and "作废" in result.output
    refused = app.test_cli_runner().invoke(args=["cards", session.slug, "-o", str(out)], input="n\n")
    assert refused.exit_code != 0


def test_counts_agree_across_app_processes(app, client, db):
    """A second app on the same database (another process) sees the check-in at once."""
    session = make_session(delegates=4, state="checkin")
    _pair(client, db, session)
    _, text = _card(db, session)
    other = create_app({"CONFIG_NAME": "test",
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert _scan(client, text).status_code == 200
    with other.app_context():
        from ballot.services import sessions

        counts = sessions.counts(_db.session.execute(select(VoteSession)).scalar_one())
        assert (counts.present, counts.absent) == (1, 3)
        _db.session.remove()
        _db.engine.dispose()


def test_staff_release_clears_the_issue_mark_and_voids_the_token(app, client, db, login):
    from sqlalchemy import select

    from ballot.models import AuditEntry, BallotIssue, BallotToken, Kiosk
    from ballot.services import candidates, credentials, rounds, sessions, voting
    from tests.conftest import make_session, seal_box

    session = make_session(delegates=3)
    candidates.lock_list(session, "t", app.config["KEY_ENCRYPTION_SECRET"])
    sessions.transition(session, "checkin", "t")
    delegates = session_delegates = list(db.session.execute(
        select(__import__("ballot.models", fromlist=["Delegate"]).Delegate)).scalars())
    for d in session_delegates:
        d.attendance = "present"
    kiosk = Kiosk(session_id=session.id, name="投票机1", mode="voting")
    db.session.add(kiosk)
    db.session.commit()
    seal_box(session)
    rounds.open_voting(session, "t")
    db.session.commit()
    card = credentials.issue_card(delegates[0], "t")
    db.session.commit()
    voting.issue_ballot(session, kiosk, card)
    db.session.commit()
    login("staff")
    page = client.get("/admin/sessions/test-session/checkin").get_data(as_text=True)
    assert "释放选票" in page
    refused = client.post(f"/admin/sessions/test-session/delegates/{delegates[0].id}/release",
                          data={"reason": "", "confirmed": "1"}, headers={"Referer": "/admin/"})
    assert refused.status_code == 302
    assert db.session.execute(select(BallotIssue)).scalars().all() != []
    response = client.post(f"/admin/sessions/test-session/delegates/{delegates[0].id}/release",
                           data={"reason": "投票机故障", "confirmed": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.execute(select(BallotIssue)).scalars().all() == []
    assert {t.state for t in db.session.execute(select(BallotToken)).scalars()} == {"voided"}
    audit = db.session.execute(select(AuditEntry).where(AuditEntry.action == "ballot.release")).scalar_one()
    assert audit.detail["reason"] == "投票机故障"


def test_staff_see_which_kiosks_are_online_during_checkin_and_voting(client, db, login):
    from datetime import timedelta

    from ballot.models import utcnow

    session = make_session(delegates=2, state="checkin")
    desk, booth, never = (kiosks.create_pairing(session, name, mode, "staff")
                          for name, mode in (("东门签到", "checkin"), ("投票机A", "voting"),
                                             ("投票机B", "voting")))
    for _kiosk, code in (desk, booth, never):
        kiosks.enrol(code)
    now = utcnow()
    desk[0].last_seen_at = now - timedelta(seconds=20)
    booth[0].last_seen_at = now - timedelta(minutes=5)
    never[0].last_seen_at = None
    db.session.commit()
    health = {k["name"]: k["online"] for k in kiosks.health(session, now)}
    assert health == {"东门签到": True, "投票机A": False, "投票机B": False}

    login("staff")
    body = client.get(f"/admin/sessions/{session.slug}/kiosks/health.json").get_json()
    assert body["watch"] is True
    assert [(k["name"], k["online"], k["last_seen"] is not None) for k in body["kiosks"]] == [
        ("东门签到", True, True), ("投票机A", False, True), ("投票机B", False, False)]
    for page in ("kiosks", "checkin"):
        text = client.get(f"/admin/sessions/{session.slug}/{page}").text
        assert "设备在线情况" in text and 'id="kiosk-alert"' in text and "kiosk-health.js" in text
    # Never on the projection screen.
    assert "设备在线情况" not in client.get(f"/chair/{session.slug}/projection").text
    # Only while kiosks are at work.
    session.state = "closed"
    db.session.commit()
    assert "设备在线情况" not in client.get(f"/admin/sessions/{session.slug}/kiosks").text
    assert client.get(f"/admin/sessions/{session.slug}/kiosks/health.json").get_json()["watch"] is False


def test_kiosk_health_is_for_staff_only(client, db, login):
    session = make_session(delegates=1, state="checkin")
    url = f"/admin/sessions/{session.slug}/kiosks/health.json"
    assert client.get(url).status_code == 401
    login("chair")
    assert client.get(url).status_code == 403

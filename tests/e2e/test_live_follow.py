"""The chair's screen and an idle voting kiosk follow the session by themselves: pushed as it
changes where the server offers live streams (`ballot serve`, gevent workers), asked for every
few seconds where it does not (sync and threaded gunicorn workers)."""

from __future__ import annotations

import time

import pytest
from flask import current_app
from playwright.sync_api import expect
from sqlalchemy import select

from ballot.extensions import db
from ballot.models import VoteSession
from ballot.services import candidates, credentials, kiosks, roster, rounds, sessions
from tests.conftest import make_session, seal_box
from tests.e2e.conftest import KIOSK_PORTRAIT, PROJECTOR
from tests.e2e.flows import (
    back_to_idle,
    create_users,
    log_in,
    mark,
    ready_to_scan,
    receipt_code,
    review,
    scan,
)

TITLES = {"01": "项目一", "02": "项目二", "03": "项目三"}


def _session_in_checkin(live_server) -> tuple[str, str]:
    """A checked-in session of three delegates and a voting kiosk's pairing code; (card, code)."""
    with live_server.context():
        session = make_session(slug="follow", candidates=3, quota=2, delegates=3)
        for candidate, title in zip(sorted(session.candidates, key=lambda c: c.position),
                                    TITLES.values(), strict=True):
            candidate.title = title
        candidates.lock_list(session, "e2e", current_app.config["KEY_ENCRYPTION_SECRET"])
        sessions.transition(session, "checkin", "e2e")
        delegates = roster.list_delegates(session)
        card = credentials.issue_card(delegates[0], "e2e")
        for delegate in delegates:
            delegate.attendance = "present"
        _, code = kiosks.create_pairing(session, "投票机 1 号", "voting", "e2e")
        db.session.commit()
        seal_box(session)
    return card, code


@pytest.mark.parametrize("streams", ["1", "0"], ids=["pushed", "polled"])
def test_screens_follow_voting_and_ballots_by_themselves(live_server, new_page, streams):
    live_server.app.config["LIVE_STREAM"] = streams
    base = live_server.url
    card, code = _session_in_checkin(live_server)
    create_users(live_server, ("chair", "chair", "主持人"))
    asked: list[str] = []

    chair = new_page(PROJECTOR)
    chair.on("request", lambda request: asked.append(request.url))
    log_in(chair, base, "chair")
    chair.goto(f"{base}/chair/follow")
    expect(chair.locator(".ch-screen")).to_have_attribute("data-state", "checkin")
    kiosk = new_page(KIOSK_PORTRAIT)
    kiosk.on("request", lambda request: asked.append(request.url))
    kiosk.goto(f"{base}/kiosk")
    kiosk.get_by_label("配对码").fill(code)
    kiosk.get_by_role("button", name="配对").click()
    expect(kiosk.get_by_text("投票尚未开始", exact=False)).to_be_visible()

    # Voting is opened elsewhere (the chair's other laptop, the CLI): both screens redraw.
    with live_server.context():
        session = db.session.execute(select(VoteSession).filter_by(slug="follow")).scalar_one()
        rounds.open_voting(session, "e2e")
        db.session.commit()
    expect(kiosk.locator("#round-label")).to_have_text("第 1 轮", timeout=15_000)
    expect(chair.locator(".ch-screen")).to_have_attribute("data-state", "voting", timeout=15_000)
    expect(chair.locator('[data-live="returned"]')).to_have_text("0")

    ready_to_scan(kiosk)
    scan(kiosk, card)
    choices = {"01": "for", "02": "against", "03": "abstain"}
    expect(chair.locator('[data-live="issued"]')).to_have_text("1", timeout=15_000)
    mark(kiosk, TITLES, choices)
    review(kiosk, TITLES, list(choices), choices)
    kiosk.get_by_role("button", name="确认投票").click()
    receipt_code(kiosk)
    expect(chair.locator('[data-live="returned"]')).to_have_text("1", timeout=15_000)
    back_to_idle(kiosk)
    expect(chair.locator('[data-live="connection"]')).to_be_hidden()

    streamed = [url for url in asked if url.endswith(".stream")]
    polled = [url for url in asked if url.endswith(("/live.json", "/api/vote/status"))]
    if streams == "1":
        assert any(url.endswith("/chair/follow/live.stream") for url in streamed)
        assert any(url.endswith("/kiosk/api/vote/status.stream") for url in streamed)
        assert polled == []
    else:
        assert streamed == []
        assert any(url.endswith("/chair/follow/live.json") for url in polled)
        assert any(url.endswith("/kiosk/api/vote/status") for url in polled)


def test_screens_follow_again_at_once_when_the_server_ends_their_stream(live_server, new_page):
    # Each stream ends after LIVE_STREAM_SECONDS (0.75 to 1 s here) with a "reconnect" event:
    # the pages open the next one at once, not after the 2 s a lost connection waits, so a
    # chair screen is never left showing old figures while it reconnects.
    live_server.app.config.update(LIVE_STREAM="1", LIVE_STREAM_SECONDS=1)
    base = live_server.url
    _card, code = _session_in_checkin(live_server)
    create_users(live_server, ("chair", "chair", "主持人"))
    streams: dict[str, int] = {"chair": 0, "kiosk": 0}

    def count(request) -> None:
        if request.url.endswith("/chair/follow/live.stream"):
            streams["chair"] += 1
        elif request.url.endswith("/kiosk/api/vote/status.stream"):
            streams["kiosk"] += 1

    chair = new_page(PROJECTOR)
    chair.on("request", count)
    log_in(chair, base, "chair")
    chair.goto(f"{base}/chair/follow")
    kiosk = new_page(KIOSK_PORTRAIT)
    kiosk.on("request", count)
    kiosk.goto(f"{base}/kiosk")
    kiosk.get_by_label("配对码").fill(code)
    kiosk.get_by_role("button", name="配对").click()
    expect(kiosk.get_by_text("投票尚未开始", exact=False)).to_be_visible()
    # Reconnecting after the 2 s pause would allow three streams at most in 6 s: wait until
    # each page has opened four, or those 6 s are over.
    deadline = time.monotonic() + 6.0
    while min(streams.values()) < 4 and time.monotonic() < deadline:
        chair.wait_for_timeout(100)  # lets Playwright deliver the request events
    assert streams["chair"] >= 4 and streams["kiosk"] >= 4, streams

    with live_server.context():
        session = db.session.execute(select(VoteSession).filter_by(slug="follow")).scalar_one()
        rounds.open_voting(session, "e2e")
        db.session.commit()
    expect(kiosk.locator("#round-label")).to_have_text("第 1 轮", timeout=15_000)
    expect(chair.locator(".ch-screen")).to_have_attribute("data-state", "voting", timeout=15_000)
    expect(chair.locator('[data-live="connection"]')).to_be_hidden()

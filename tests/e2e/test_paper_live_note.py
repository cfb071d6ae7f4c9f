"""Paper ballots handed out while voting is open are named live on the projection and the
chair's console: they are issued (发出) but reach 收回 only once the counting staff enter them
after the close, so the hall is told why the two figures differ."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from ballot.extensions import db
from ballot.models import VoteSession
from ballot.services import voting
from tests.conftest import make_user
from tests.e2e.conftest import PROJECTOR, screenshot
from tests.e2e.flows import PASSWORD, assert_fits
from tests.factories import session_delegates, voting_session


def test_paper_ballots_issued_show_up_live_with_what_happens_to_them(live_server, new_page):
    with live_server.context():
        session, _kiosk = voting_session(delegates=60)
        slug, session_id = session.slug, session.id
        make_user("chair", "chair", PASSWORD)
        db.session.commit()
    page = new_page(PROJECTOR)
    page.goto(live_server.url + "/login")
    page.get_by_label("用户名").fill("chair")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/(admin|chair)/"))
    page.goto(f"{live_server.url}/chair/{slug}/projection")
    note = page.locator(".pj-paper-note")
    expect(note).to_be_hidden()
    with live_server.context():
        session = db.session.get(VoteSession, session_id)
        for delegate in session_delegates(session)[:4]:
            voting.issue_paper(session, delegate, "staff", "代表要求")
        db.session.commit()
    expect(note).to_be_visible()
    expect(note).to_contain_text("其中纸质选票 4 张")
    expect(page.locator('[data-live="issued"]')).to_have_text("4")
    assert_fits(page, "voting with paper")
    screenshot(page, "projection-voting-paper")

"""Staff see which kiosks are online during check-in and voting, with an alert when one drops
(and it clears when the kiosk is back); the projection screen never shows it."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from ballot.extensions import db
from ballot.models import Kiosk, utcnow
from ballot.services import kiosks
from tests.conftest import make_user
from tests.e2e.conftest import DESKTOP, screenshot
from tests.e2e.flows import assert_accessible
from tests.factories import ready_session


def test_staff_are_alerted_when_a_kiosk_drops(live_server, new_page):
    with live_server.context():
        session = ready_session()
        for name, mode in (("东门签到", "checkin"), ("投票机A", "voting")):
            kiosk, code = kiosks.create_pairing(session, name, mode, "staff")
            kiosks.enrol(code)
            kiosk.last_seen_at = utcnow()
        make_user("staff", "staff", "correct-horse")
        db.session.commit()
        slug = session.slug
    page = new_page(DESKTOP)
    page.clock.install()
    page.goto(live_server.url + "/login")
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill("correct-horse")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/admin/sessions/{slug}/checkin")
    panel = page.locator("#kiosk-health")
    expect(panel.get_by_role("row").filter(has_text="投票机A")).to_contain_text("在线")
    alert = page.locator("#kiosk-alert")
    expect(alert).to_be_hidden()

    with live_server.context():
        db.session.query(Kiosk).filter_by(name="投票机A").one().last_seen_at = \
            utcnow() - timedelta(minutes=4)
        db.session.commit()
    page.clock.run_for(10_500)
    expect(alert).to_be_visible()
    expect(alert).to_have_text("设备离线：投票机A。请检查其电源和网络；恢复后此提示自动消失。")
    expect(panel.get_by_role("row").filter(has_text="投票机A")).to_contain_text("离线")
    assert_accessible(page, "check-in desk with a kiosk offline")
    screenshot(page, "kiosk-health-alert")

    with live_server.context():
        db.session.query(Kiosk).filter_by(name="投票机A").one().last_seen_at = utcnow()
        db.session.commit()
    page.clock.run_for(10_500)
    expect(alert).to_be_hidden()
    expect(panel.get_by_role("row").filter(has_text="投票机A")).to_contain_text("在线")

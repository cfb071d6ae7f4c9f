"""The congress office in a real browser: rehearsal clone (and, in later parts, card reprints and
the check-in desk)."""

from __future__ import annotations

from playwright.sync_api import expect

from ballot.extensions import db
from ballot.services import sessions
from tests.e2e.conftest import screenshot
from tests.e2e.flows import create_users, log_in
from tests.services.test_results import ready_session


def test_rehearsal_clone_reset_and_delete(live_server, new_page):
    with live_server.context():
        ready_session()
    create_users(live_server, ("staff", "staff", "会务组 李文"))
    page = new_page()
    log_in(page, live_server.url, "staff")
    page.goto(f"{live_server.url}/admin/sessions/test-session")
    page.get_by_role("button", name="复制为演练场次").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("【演练】")
    expect(page.get_by_role("note")).to_contain_text("演练场次")
    expect(page.get_by_role("status")).to_contain_text("已创建演练场次“test-session-drill”")
    screenshot(page, "drill-session")
    with live_server.context():
        drill = sessions.get_session("test-session-drill")
        assert drill.is_drill and drill.state == "locked"

    page.get_by_role("button", name="删除演练场次…").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("签到机、投票机随之停用")
    page.get_by_role("link", name="取消，返回").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("【演练】")
    page.get_by_role("button", name="删除演练场次…").click()
    page.get_by_role("button", name="确认删除").click()
    expect(page.get_by_role("status")).to_contain_text("已删除")
    with live_server.context():
        assert [s.slug for s in sessions.list_sessions()] == ["test-session"]
        db.session.remove()

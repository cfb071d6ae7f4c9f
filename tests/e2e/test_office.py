"""The congress office in a real browser: rehearsal clone (and, in later parts, card reprints and
the check-in desk)."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from ballot.extensions import db
from ballot.services import credentials, roster, sessions
from tests.conftest import make_session
from tests.e2e.conftest import KIOSK_LANDSCAPE, screenshot
from tests.e2e.flows import create_users, log_in, pair_kiosk, ready_to_scan, scan
from tests.factories import ready_session


def test_card_reprint_asks_for_a_reason_and_the_old_card_is_refused(live_server, new_page):
    with live_server.context():
        session = make_session(delegates=5, state="checkin")
        delegate = roster.list_delegates(session)[2]
        old_card = credentials.issue_card(delegate, "staff")
        name = delegate.name
        db.session.commit()
    create_users(live_server, ("staff", "staff", "会务组 李文"))
    staff = new_page()
    log_in(staff, live_server.url, "staff")
    staff.goto(f"{live_server.url}/admin/sessions/test-session")
    expect(staff.get_by_text("签到已开始，不能再为全体代表重新制卡")).to_be_visible()
    expect(staff.get_by_role("button", name="打印全部代表证…")).to_have_count(0)

    staff.goto(f"{live_server.url}/admin/sessions/test-session/checkin")
    row = staff.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("第 1 版")
    row.get_by_role("link", name=f"办理 {name}").click()
    reason = staff.get_by_label("原因（必填，记入操作日志）")
    staff.get_by_role("button", name="补发代表证…").click()  # no reason yet: the browser asks
    expect(reason).to_be_focused()
    reason.fill("代表证遗失")
    staff.get_by_role("button", name="补发代表证…").click()
    dialog = staff.get_by_role("alertdialog")
    expect(dialog).to_contain_text("现持第 1 版代表证。补发后将生成第 2 版，旧卡立即作废")
    screenshot(staff, "card-reissue-confirm")
    with staff.expect_download() as download:
        staff.get_by_role("button", name="确认并下载新卡").click()
    image = Image.open(io.BytesIO(download.value.path().read_bytes()))
    (new_card,) = [r.text for r in zxingcpp.read_barcodes(image)]
    # The yes cannot be sent twice; back at the desk the delegate holds version 2.
    expect(staff.get_by_role("button", name="确认并下载新卡")).to_be_disabled()
    staff.get_by_role("link", name="取消，返回").click()
    expect(staff.get_by_role("heading", name="签到台")).to_be_visible()
    expect(staff.get_by_role("row").filter(has_text=name)).to_contain_text("第 2 版")

    staff.goto(f"{live_server.url}/admin/sessions/test-session/kiosks")
    desk = new_page(KIOSK_LANDSCAPE)
    pair_kiosk(staff, desk, live_server.url, "东门签到 1 号", "checkin")
    ready_to_scan(desk)
    scan(desk, old_card)
    result = desk.get_by_role("alert")
    expect(result).to_contain_text("此代表证（第 1 版）已作废")
    expect(result).to_contain_text("第 2 版新卡")
    expect(result).to_contain_text("签到台")
    screenshot(desk, "checkin-old-card-refused")
    desk.get_by_role("button", name="返回").click()
    ready_to_scan(desk)
    scan(desk, new_card)
    expect(desk.get_by_role("alert")).to_contain_text(name)


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


def test_desk_search_pick_check_in_and_a_late_list_export(live_server, new_page):
    import csv
    import datetime as dt

    from ballot.models import AuditEntry

    with live_server.context():
        session = make_session(delegates=40, state="checkin")
        people = roster.list_delegates(session)
        people[7].name, people[7].delegation = "张建国", "第三代表组（西片）"
        people[12].name = "曾国华"
        opened = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
        # 周静 arrived after voting opened (late); the others of the first ten before.
        people[20].name = "周静"
        people[20].attendance, people[20].checked_in_at = "present", opened + dt.timedelta(minutes=4)
        for delegate in people[:5]:
            delegate.attendance, delegate.checked_in_at = "present", opened - dt.timedelta(minutes=9)
        db.session.add(AuditEntry(actor="chair", action="round.open", session_id=session.id,
                                  detail={"number": 1}, at=opened))
        db.session.commit()
    create_users(live_server, ("staff", "staff", "会务组 李文"))
    page = new_page()
    log_in(page, live_server.url, "staff")
    page.goto(f"{live_server.url}/admin/sessions/test-session/checkin")
    search = page.get_by_label("查找代表（姓名、座位号、代表团或拼音首字母，如 zjg）")
    search.fill("zjg")
    expect(page.get_by_text("显示 1 / 40 人")).to_be_visible()
    expect(page.locator(".desk-table tbody tr:visible")).to_have_count(1)
    search.fill("zgh")  # 曾 as a surname reads zeng
    expect(page.locator(".desk-table tbody tr:visible")).to_contain_text("曾国华")
    search.fill("")
    page.get_by_label("已到").check()
    expect(page.get_by_text("显示 6 / 40 人")).to_be_visible()
    page.get_by_label("全部").check()
    search.fill("zjg")
    page.get_by_role("link", name="办理 张建国").click()
    panel = page.locator("#desk-panel")
    expect(panel).to_contain_text("张建国（座位 008，第三代表组（西片））：未到")
    reason = page.get_by_label("原因（必填，记入操作日志）")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("")
    page.get_by_role("button", name="人工签到").click()  # empty: the browser refuses to send
    expect(reason).to_be_focused()
    reason.fill("忘带代表证")
    page.get_by_role("button", name="人工签到").click()
    expect(panel.get_by_role("status")).to_contain_text("张建国 代表已签到。")
    expect(panel.get_by_role("status")).to_be_in_viewport()
    # Now present: the panel offers what fits a present delegate, not a second check-in.
    expect(panel.get_by_role("button", name="撤销签到…")).to_be_visible()
    for absent_only in ("人工签到", "请假", "取消请假"):
        expect(panel.get_by_role("button", name=absent_only, exact=True)).to_be_hidden()
    expect(page.get_by_label("查找代表（姓名、座位号、代表团或拼音首字母，如 zjg）")).to_have_value("zjg")
    screenshot(page, "checkin-desk")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    assert download.value.suggested_filename == "test-session-signin-sheet.csv"
    table = list(csv.reader(io.StringIO(download.value.path().read_bytes().decode("utf-8-sig"))))
    header = table[3]
    rows = {row[header.index("姓名")]: dict(zip(header, row, strict=True)) for row in table[4:]}
    assert rows["周静"]["迟到"] == "是" and rows["代表1"]["迟到"] == ""
    assert rows["张建国"]["状态"] == "已到" and rows["张建国"]["说明"] == "人工签到：忘带代表证"
    assert "迟到 2 人" in table[2][0]  # 周静, and 张建国 checked in just now

"""Accessibility of the kiosk, chair and public screens: axe-core in Chromium, touch-target sizes,
a ballot cast with the keyboard alone, and the kiosks' 大字 / 高对比度 toggles.

axe-core is vendored under tests/e2e/vendor/axe-core (a test tool, never served by the app).
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from ballot.extensions import db
from ballot.models import BoardEntry, Kiosk, VoteSession
from ballot.services import results
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import close_and_open, decrypt_ballot, make_user
from tests.e2e.conftest import (
    DESKTOP,
    KIOSK_LANDSCAPE,
    KIOSK_PORTRAIT,
    PROJECTOR,
    Hall,
    screenshot,
    session_by_slug,
)
from tests.e2e.flows import BALLOT_HEADING, assert_accessible, scan
from tests.factories import put_on_board

PASSWORD = "correct-horse"

# Every visible control of a kiosk page that is smaller than 48×48 CSS px, or whose text does
# not fit in it. The scanner's input is kept off-screen on purpose (not a touch target).
SMALL_TARGETS = """() => {
  const found = [];
  const controls = document.querySelectorAll(
    'button, a[href], input:not([type=hidden]), select, textarea, summary, [role=radio]');
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0 || r.bottom <= 0) { continue; }
    const what = `${el.tagName.toLowerCase()} "${el.textContent.trim()}"`;
    if (r.width < 48 || r.height < 48) {
      found.push(`${what} is ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
    if (el.scrollWidth > el.clientWidth + 1) { found.push(`${what}: text overflows`); }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) { found.push('page scrolls sideways'); }
  return found;
}"""

# The focused element as "role:text@group", with whether its focus ring shows and whether
# something (the sticky count bar, the fixed footer) covers its middle.
FOCUSED = """() => {
  const el = document.activeElement;
  const group = el.closest('[role=radiogroup]');
  const label = group ? document.getElementById(group.getAttribute('aria-labelledby')).textContent : '';
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  const style = getComputedStyle(el);
  return {
    name: (el.getAttribute('role') || el.tagName.toLowerCase()) + ':' + el.textContent.trim()
      + (label ? '@' + label : ''),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 3,
    covered: !(hit && (hit === el || el.contains(hit))),
  };
}"""

ALL_ABSTAIN = {f"{i:02d}": "abstain" for i in range(1, 13)}


def kiosk_page(new_page, hall: Hall, credential: str, path: str, viewport: dict):
    """A kiosk's browser (its own context holding the device cookie) showing ``path``."""
    page = new_page(viewport)
    page.context.add_cookies([{"name": KIOSK_COOKIE, "value": credential, "url": hall.url + "/kiosk",
                               "httpOnly": True, "sameSite": "Strict"}])
    page.goto(hall.url + path)
    return page


def logged_in_page(new_page, hall: Hall, role: str, viewport: dict, check_login: bool = False):
    """A browser logged in as the user called ``role``; with ``check_login`` axe checks the
    login page on the way."""
    page = new_page(viewport)
    page.goto(hall.url + "/login")
    if check_login:
        assert_accessible(page, "login")
    page.get_by_label("用户名").fill(role)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/(admin|chair)/"))  # a chair goes straight to the console
    return page


def assert_big_targets(page, where: str) -> None:
    problems = page.evaluate(SMALL_TARGETS)
    assert not problems, f"touch targets on {where}: {problems}"


def display_classes(page) -> list[str]:
    return sorted(c for c in page.evaluate("() => [...document.documentElement.classList]")
                  if c.startswith("kd-"))


def test_kiosk_screens_pass_axe_with_big_targets(hall, live_server, new_page):
    desk = kiosk_page(new_page, hall, hall.checkin_kiosk, "/kiosk/checkin", KIOSK_PORTRAIT)
    expect(desk.get_by_role("heading", name="请刷代表证签到")).to_be_visible()
    expect(desk.locator("html")).to_have_attribute("lang", "zh-CN")
    assert_accessible(desk, "check-in kiosk")
    assert_big_targets(desk, "check-in kiosk")
    desk.get_by_role("button", name="大字").click()
    desk.get_by_role("button", name="高对比度").click()
    assert_accessible(desk, "check-in kiosk, 大字 + 高对比度")
    assert_big_targets(desk, "check-in kiosk, 大字 + 高对比度")
    screenshot(desk, "a11y-checkin-large-contrast")
    scan(desk, hall.cards[-1])
    expect(desk.get_by_role("alert")).to_contain_text("签到成功")
    assert_accessible(desk, "check-in greeting")
    with live_server.context():
        db.session.query(Kiosk).filter_by(name="checkin-1").one().language = "en"
        db.session.commit()
    desk.reload()
    expect(desk.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(desk, "check-in kiosk in English")

    hall.open_voting(live_server)
    live_server.app.config["PUBLIC_URL"] = "https://piaojue.example.gov.cn"
    kiosk = kiosk_page(new_page, hall, hall.voting_kiosk, "/kiosk/vote/", KIOSK_PORTRAIT)
    expect(kiosk.locator("#scan-input")).to_be_focused()
    assert_accessible(kiosk, "voting kiosk, idle")
    assert_big_targets(kiosk, "voting kiosk, idle")
    scan(kiosk, hall.cards[0])
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_focused()
    kiosk.get_by_role("radiogroup", name="民生项目1", exact=True).get_by_role("radio", name="赞成").click()
    kiosk.get_by_role("button", name="简介").click()
    assert_accessible(kiosk, "ballot")
    assert_big_targets(kiosk, "ballot")
    choice = kiosk.get_by_role("radiogroup", name="民生项目1", exact=True).get_by_role("radio", name="赞成")
    height = choice.bounding_box()["height"]
    assert height >= 100, f"赞成 is only {height}px high on a portrait kiosk"
    kiosk.get_by_role("button", name="大字").click()
    kiosk.get_by_role("button", name="高对比度").click()
    assert_accessible(kiosk, "ballot, 大字 + 高对比度")
    assert_big_targets(kiosk, "ballot, 大字 + 高对比度")
    screenshot(kiosk, "a11y-kiosk-ballot-large-contrast")
    kiosk.set_viewport_size(KIOSK_LANDSCAPE)
    assert_big_targets(kiosk, "landscape ballot, 大字 + 高对比度")
    screenshot(kiosk, "a11y-kiosk-ballot-landscape-large-contrast")
    kiosk.get_by_role("button", name="大字").click()
    kiosk.get_by_role("button", name="高对比度").click()
    assert_accessible(kiosk, "landscape ballot")
    assert_big_targets(kiosk, "landscape ballot")
    kiosk.get_by_role("button", name="下一步：核对选票").click()
    expect(kiosk.get_by_role("heading", name="请核对您的选票")).to_be_focused()
    assert_accessible(kiosk, "review")
    assert_big_targets(kiosk, "review")
    kiosk.get_by_role("button", name="确认投票").click()
    expect(kiosk.get_by_role("heading", name="投票成功，您的选票已记录")).to_be_visible()
    expect(kiosk.get_by_text(f"https://piaojue.example.gov.cn/s/{hall.slug}/board/")).to_be_visible()
    expect(kiosk.get_by_role("img", name="公告板网址的二维码")).to_be_visible()
    assert_accessible(kiosk, "receipt")
    assert_big_targets(kiosk, "receipt")
    screenshot(kiosk, "kiosk-receipt-public-address")
    # 再看一会儿 starts the receipt's time again; 完成 ends it.
    countdown = kiosk.locator("#receipt-countdown")
    expect(countdown).not_to_have_text("120 秒后返回", timeout=3000)
    kiosk.get_by_role("button", name="再看一会儿").click()
    expect(countdown).to_have_text("120 秒后返回")
    expect(kiosk.get_by_role("heading", name="投票成功，您的选票已记录")).to_be_visible()


def test_chair_scrutiny_and_public_pages_pass_axe(hall, live_server, new_page):
    with live_server.context():
        chair_user = make_user("chair", "chair", PASSWORD)
        scrutineer = make_user("scrutineer", "scrutineer", PASSWORD)
        scrutineer.display_name = "陈立"  # the session's chief scrutineer
        db.session.commit()
    hall.open_voting(live_server)
    with live_server.context():
        session = session_by_slug(hall.slug)
        fors = {f"{i:02d}": "for" for i in range(1, 11)}
        put_on_board(session, [fors] * 40 + [{"11": "for", "12": "against"}] * 10, issued=52)
    chair = logged_in_page(new_page, hall, "chair", PROJECTOR, check_login=True)
    chair.goto(f"{hall.url}/chair/{hall.slug}")
    expect(chair.locator('[data-live="issued"]')).to_have_text("52")
    assert_accessible(chair, "chair screen, voting")
    with live_server.context():
        close_and_open(session_by_slug(hall.slug))
        db.session.commit()
    chair.goto(f"{hall.url}/chair/{hall.slug}")
    expect(chair.locator(".ch-bars")).to_be_visible()
    assert_accessible(chair, "chair screen, closed")
    screenshot(chair, "a11y-chair-closed")

    desk = logged_in_page(new_page, hall, "scrutineer", DESKTOP)
    desk.goto(f"{hall.url}/chair/{hall.slug}/scrutiny")
    desk.get_by_text("确认计票结果", exact=True).click()
    assert_accessible(desk, "scrutiny page")
    with live_server.context():
        session = session_by_slug(hall.slug)
        results.confirm_as_scrutineer(session, db.session.merge(scrutineer))
        results.confirm_as_chair(session, db.session.merge(chair_user))
        results.publish(session, "chair")
        entry = db.session.query(BoardEntry).filter_by(session_id=session.id).first()
        tracking = "-".join(entry.entry_hash[i:i + 4].upper() for i in (0, 4, 8))
        db.session.commit()

    public = new_page(DESKTOP)
    for path, heading in ((f"/s/{hall.slug}/", "示范镇第十八届人民代表大会第五次会议"),
                          (f"/s/{hall.slug}/board/", "选票公告板"),
                          (f"/s/{hall.slug}/results", "票决结果")):
        public.goto(hall.url + path)
        expect(public.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_accessible(public, path)
    public.goto(f"{hall.url}/s/{hall.slug}/board/lookup")
    public.get_by_label("选票查询码").fill(tracking)
    public.get_by_role("button", name="查询").click()
    expect(public.get_by_text(f"查询码 {tracking}")).to_be_visible()
    assert_accessible(public, "lookup form and answer")


def tab_to(page, target: str, limit: int = 60) -> list[str]:
    """Press Tab until ``target`` ("role:text@project") has the focus; returns the stops passed.

    Every stop must show its focus ring, uncovered by the sticky count bar or the footer."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUSED)
        assert focus["ring"] and not focus["covered"], f"focus hard to see on {focus}"
        if focus["name"] == target:
            return passed
        passed.append(focus["name"])
    raise AssertionError(f"Tab never reached {target}; it went {passed}")


def test_a_delegate_votes_with_the_keyboard_alone(hall, live_server, new_page):
    hall.open_voting(live_server)
    kiosk = kiosk_page(new_page, hall, hall.voting_kiosk, "/kiosk/vote/", KIOSK_LANDSCAPE)
    expect(kiosk.locator("#scan-input")).to_be_focused()
    scan(kiosk, hall.cards[1])
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_focused()
    count = kiosk.locator("#for-count")
    expect(count).to_have_attribute("aria-live", "polite")
    expect(count).to_have_text("赞成 0 / 应选 10")

    def radio(project: str, label: str):
        return kiosk.get_by_role("radiogroup", name=project, exact=True).get_by_role("radio", name=label)

    kiosk.keyboard.press("Shift+Tab")  # the display toggles sit just before the ballot
    assert kiosk.evaluate(FOCUSED)["name"] == "button:高对比度"
    kiosk.keyboard.press("Enter")
    assert display_classes(kiosk) == ["kd-contrast"]
    assert tab_to(kiosk, "radio:赞成@民生项目1") == ["button:简介"]
    kiosk.keyboard.press(" ")
    expect(radio("民生项目1", "赞成")).to_be_checked()
    expect(count).to_have_text("赞成 1 / 应选 10")
    # Each project's choices are one radio group: one Tab stop, arrow keys move and choose.
    assert tab_to(kiosk, "radio:赞成@民生项目2") == []
    kiosk.keyboard.press("ArrowRight")
    expect(radio("民生项目2", "反对")).to_be_checked()
    expect(radio("民生项目2", "反对")).to_be_focused()
    kiosk.keyboard.press("ArrowDown")
    expect(radio("民生项目2", "弃权")).to_be_checked()
    kiosk.keyboard.press("ArrowUp")
    expect(radio("民生项目2", "反对")).to_be_checked()
    expect(radio("民生项目2", "弃权")).not_to_be_checked()
    kiosk.keyboard.press("Shift+Tab")  # back to project 1: its checked choice is its stop
    assert kiosk.evaluate(FOCUSED)["name"] == "radio:赞成@民生项目1"
    kiosk.keyboard.press("Tab")
    assert kiosk.evaluate(FOCUSED)["name"] == "radio:反对@民生项目2"
    tab_to(kiosk, "radio:赞成@民生项目3")
    kiosk.keyboard.press("ArrowLeft")  # wraps round to 弃权
    expect(radio("民生项目3", "弃权")).to_be_checked()
    tab_to(kiosk, "radio:赞成@民生项目12")
    kiosk.keyboard.press("Enter")
    expect(count).to_have_text("赞成 2 / 应选 10")

    stops = tab_to(kiosk, "button:下一步：核对选票")
    assert stops == [], stops  # was 49 Tab stops from the first project to 下一步
    kiosk.keyboard.press("Shift+Tab")
    assert kiosk.evaluate(FOCUSED)["name"] == "radio:赞成@民生项目12"
    kiosk.keyboard.press("Tab")
    kiosk.keyboard.press("Enter")
    expect(kiosk.get_by_role("heading", name="请核对您的选票")).to_be_focused()
    expect(kiosk.get_by_role("listitem").filter(has_text="民生项目2")).to_contain_text("反对")
    assert tab_to(kiosk, "button:确认投票") == ["button:返回修改"]
    kiosk.keyboard.press("Enter")
    expect(kiosk.get_by_role("heading", name="投票成功，您的选票已记录")).to_be_focused()
    expect(kiosk.locator("#tracking-code")).to_have_text(re.compile(r"^[0-9A-F]{4}(-[0-9A-F]{4}){2}$"))

    with live_server.context():
        entries = db.session.query(BoardEntry).all()
        session = db.session.get(VoteSession, entries[0].session_id)
        # Stored encrypted; decrypted here with the test's key cards (unmarked is 弃权).
        assert [decrypt_ballot(session, json.loads(e.payload)) for e in entries] == [
            {**ALL_ABSTAIN, "01": "for", "02": "against", "12": "for"}]


def test_display_toggles_last_one_delegate_and_reset_on_idle(hall, live_server, new_page):
    hall.open_voting(live_server)
    kiosk = kiosk_page(new_page, hall, hall.voting_kiosk, "/kiosk/vote/", KIOSK_PORTRAIT)
    cookies = sorted(c["name"] for c in kiosk.context.cookies())
    large = kiosk.get_by_role("button", name="大字")
    contrast = kiosk.get_by_role("button", name="高对比度")
    root_size = "() => parseFloat(getComputedStyle(document.documentElement).fontSize)"
    normal = kiosk.evaluate(root_size)
    large.click()
    expect(large).to_have_attribute("aria-pressed", "true")
    assert kiosk.evaluate(root_size) >= 1.3 * normal
    large.click()
    expect(large).to_have_attribute("aria-pressed", "false")
    assert display_classes(kiosk) == []
    large.click()
    contrast.click()
    expect(contrast).to_have_attribute("aria-pressed", "true")
    assert display_classes(kiosk) == ["kd-contrast", "kd-large"]
    assert kiosk.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    expect(kiosk.locator("#scan-input")).to_be_focused()

    scan(kiosk, hall.cards[2])
    first = kiosk.get_by_role("radiogroup", name="民生项目1", exact=True).get_by_role("radio", name="赞成")
    first.focus()
    scan(kiosk, hall.cards[3])  # a second card scanned over the ballot presses nothing
    expect(first).not_to_be_checked()
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_visible()
    first.click()
    kiosk.get_by_role("button", name="下一步：核对选票").click()
    kiosk.get_by_role("button", name="确认投票").click()
    expect(kiosk.get_by_role("heading", name="投票成功，您的选票已记录")).to_be_visible()
    assert display_classes(kiosk) == ["kd-contrast", "kd-large"]
    kiosk.get_by_role("button", name="完成").click()
    expect(kiosk.get_by_role("heading", name="请刷代表证领取选票")).to_be_visible()
    assert display_classes(kiosk) == []
    expect(large).to_have_attribute("aria-pressed", "false")
    expect(contrast).to_have_attribute("aria-pressed", "false")
    assert kiosk.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]") \
        == [0, 0, ""]
    assert sorted(c["name"] for c in kiosk.context.cookies()) == cookies

    desk = kiosk_page(new_page, hall, hall.checkin_kiosk, "/kiosk/checkin", KIOSK_LANDSCAPE)
    desk.get_by_role("button", name="大字").click()
    desk.get_by_role("button", name="高对比度").click()
    assert_big_targets(desk, "landscape check-in kiosk, 大字 + 高对比度")
    screenshot(desk, "a11y-checkin-landscape-large-contrast")
    scan(desk, hall.cards[-2])
    expect(desk.get_by_role("alert")).to_be_visible()
    assert display_classes(desk) == ["kd-contrast", "kd-large"]
    desk.get_by_role("button", name="返回").click()
    expect(desk.get_by_role("heading", name="请刷代表证签到")).to_be_visible()
    assert display_classes(desk) == []


def test_keyboard_reaches_the_idle_controls_and_the_walkaway_dialog_holds_focus(hall, live_server,
                                                                                new_page):
    hall.open_voting(live_server)
    kiosk = new_page(KIOSK_PORTRAIT)
    kiosk.clock.install()
    kiosk.context.add_cookies([{"name": KIOSK_COOKIE, "value": hall.voting_kiosk,
                                "url": hall.url + "/kiosk", "httpOnly": True, "sameSite": "Strict"}])
    kiosk.goto(hall.url + "/kiosk/vote/")
    expect(kiosk.locator("#scan-input")).to_be_focused()
    # The hidden scanner input no longer pulls the focus back from a control (it did in 50 ms).
    kiosk.keyboard.press("Shift+Tab")
    contrast = kiosk.get_by_role("button", name="高对比度")
    expect(contrast).to_be_focused()
    kiosk.clock.run_for(1000)
    expect(contrast).to_be_focused()
    kiosk.keyboard.press("Enter")
    assert display_classes(kiosk) == ["kd-contrast"]
    expect(contrast).to_be_focused()
    # A card scanned while the button has the focus still reaches the scanner's input, and its
    # Enter does not press the button.
    scan(kiosk, hall.cards[0])
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_focused()
    assert display_classes(kiosk) == ["kd-contrast"]

    first = kiosk.get_by_role("radiogroup", name="民生项目1", exact=True).get_by_role("radio", name="赞成")
    first.focus()
    kiosk.clock.run_for(181_000)  # nobody touched the ballot for 3 minutes
    stay = kiosk.get_by_role("button", name="继续投票")
    expect(stay).to_be_focused()
    for key in ("Tab", "Shift+Tab", "Tab"):
        kiosk.keyboard.press(key)
        expect(stay).to_be_focused()
    kiosk.keyboard.press("Enter")
    expect(kiosk.get_by_role("alertdialog")).to_be_hidden()
    expect(first).to_be_focused()


def test_checkin_kiosk_keyboard_and_a_greeting_that_can_be_kept(hall, new_page):
    desk = new_page(KIOSK_PORTRAIT)
    desk.clock.install()
    desk.context.add_cookies([{"name": KIOSK_COOKIE, "value": hall.checkin_kiosk,
                               "url": hall.url + "/kiosk", "httpOnly": True, "sameSite": "Strict"}])
    desk.goto(hall.url + "/kiosk/checkin")
    expect(desk.get_by_label("代表证", exact=True)).to_be_focused()
    desk.keyboard.press("Shift+Tab")
    focused = desk.evaluate("() => document.activeElement.textContent.trim()")
    assert focused in ("大字", "高对比度", "使用摄像头扫码"), focused
    desk.clock.run_for(1000)
    assert desk.evaluate("() => document.activeElement.textContent.trim()") == focused
    scan(desk, hall.cards[-1])
    expect(desk.get_by_role("alert")).to_contain_text("签到成功")
    desk.get_by_role("button", name="再看一会儿").click()
    desk.clock.run_for(20_000)  # the greeting would have gone after 6 s
    expect(desk.get_by_role("alert")).to_contain_text("签到成功")
    desk.clock.run_for(11_000)
    expect(desk.get_by_role("heading", name="请刷代表证签到")).to_be_visible()


ZOOM_200 = {"width": 540, "height": 960}  # a 1080×1920 kiosk at 200% browser zoom

# What stops a page from reflowing: sideways scrolling, and a header taller than a third of the screen.
REFLOW = """() => {
  const found = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1) { found.push('page scrolls sideways'); }
  const header = document.querySelector('.vk-header, .k-header');
  if (header && header.getBoundingClientRect().height > window.innerHeight / 3) {
    found.push(`header is ${Math.round(header.getBoundingClientRect().height)} px high`);
  }
  return found;
}"""


def reachable(page, locator) -> bool:
    """The control can be tapped: scrolled into view, nothing (sticky bar, footer) covers it."""
    locator.scroll_into_view_if_needed()
    return page.evaluate("""el => { const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return r.width > 0 && r.right <= window.innerWidth && !!hit && (hit === el || el.contains(hit)); }""",
                         locator.element_handle())


def test_kiosk_reflows_at_200_percent_zoom_with_large_text(hall, live_server, new_page):
    hall.open_voting(live_server)
    kiosk = kiosk_page(new_page, hall, hall.voting_kiosk, "/kiosk/vote/", ZOOM_200)
    kiosk.get_by_role("button", name="大字").click()
    assert kiosk.evaluate(REFLOW) == []
    screenshot(kiosk, "a11y-zoom200-idle")
    scan(kiosk, hall.cards[0])
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_visible()
    assert kiosk.evaluate(REFLOW) == []
    first = kiosk.get_by_role("radiogroup", name="民生项目1", exact=True).get_by_role("radio", name="赞成")
    assert reachable(kiosk, first)
    first.click()
    expect(first).to_be_checked()
    last = kiosk.get_by_role("radiogroup", name="民生项目12", exact=True).get_by_role("radio", name="弃权")
    assert reachable(kiosk, last)
    screenshot(kiosk, "a11y-zoom200-ballot")
    assert_accessible(kiosk, "ballot at 200% zoom, 大字")
    kiosk.get_by_role("button", name="下一步：核对选票").click()
    assert kiosk.evaluate(REFLOW) == []
    assert reachable(kiosk, kiosk.get_by_role("button", name="确认投票"))
    kiosk.get_by_role("button", name="确认投票").click()
    code = kiosk.locator("#tracking-code")
    expect(code).to_be_visible()
    assert kiosk.evaluate(REFLOW) == []
    box = code.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= ZOOM_200["width"], box
    assert reachable(kiosk, kiosk.get_by_role("button", name="完成"))
    screenshot(kiosk, "a11y-zoom200-receipt")
    assert_accessible(kiosk, "receipt at 200% zoom, 大字")

    desk = kiosk_page(new_page, hall, hall.checkin_kiosk, "/kiosk/checkin", ZOOM_200)
    desk.get_by_role("button", name="大字").click()
    assert desk.evaluate(REFLOW) == []
    screenshot(desk, "a11y-zoom200-checkin")


def test_staff_and_english_pages_pass_axe(hall, live_server, new_page):
    with live_server.context():
        make_user("staff", "staff", PASSWORD)
        make_user("chair", "chair", PASSWORD)
        db.session.commit()
    staff = logged_in_page(new_page, hall, "staff", DESKTOP)
    pages = {"sessions list": "/admin/", "session page": f"/admin/sessions/{hall.slug}",
             "check-in desk": f"/admin/sessions/{hall.slug}/checkin",
             "kiosks page": f"/admin/sessions/{hall.slug}/kiosks",
             "projection screen": f"/chair/{hall.slug}/projection",
             "new session form": "/admin/sessions/new"}
    for where, path in pages.items():
        staff.goto(hall.url + path)
        assert_accessible(staff, where)
    # The browser's own "Please fill out this field." would be English on an English browser.
    staff.get_by_role("button", name="保存").click()
    message = staff.evaluate("() => document.querySelector('input[name=title]').validationMessage")
    assert message == "请填写此项。"

    staff.goto(f"{hall.url}/lang/en?next=/admin/")
    for where, path in pages.items():
        staff.goto(hall.url + path)
        expect(staff.locator("html")).to_have_attribute("lang", "en")
        assert_accessible(staff, f"{where} in English")
    staff.goto(f"{hall.url}/admin/sessions/{hall.slug}")
    expect(staff.locator('h1 [lang="zh-CN"]')).to_have_text("示范镇第十八届人民代表大会第五次会议")
    staff.goto(hall.url + "/admin/sessions/new")
    staff.get_by_role("button", name="Save").click()
    message = staff.evaluate("() => document.querySelector('input[name=title]').validationMessage")
    assert message == "Please fill in this field."

    chair = logged_in_page(new_page, hall, "chair", PROJECTOR)
    chair.goto(f"{hall.url}/lang/en?next=/chair/{hall.slug}")
    expect(chair.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(chair, "chair console in English")
    chair.goto(f"{hall.url}/chair/{hall.slug}/projection")
    assert_accessible(chair, "projection screen in English")

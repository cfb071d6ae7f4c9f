"""What people do on the screens, as small steps the browser tests combine.

Locators are by role and visible text (the Chinese labels of the pages) so that restyling the
templates does not break them; the few data attributes used are the ones the page scripts read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page, expect

from ballot import demo
from ballot.extensions import db
from ballot.services import accounts

PASSWORD = "e2e-correct-horse"
CHOICE_LABELS = {"for": "赞成", "against": "反对", "abstain": "弃权"}
UNMARKED_LABEL = "未表态（计为弃权）"
TRACKING_CODE = re.compile(r"^[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}$")
PAIRING_CODE = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}")


def create_users(live_server, *users: tuple[str, str, str]) -> None:
    """Create staff accounts (username, role, display name) in the live server's database."""
    with live_server.context():
        for username, role, display_name in users:
            accounts.create_user(username, PASSWORD, role, "e2e", display_name=display_name)
        db.session.commit()


def log_in(page: Page, base_url: str, username: str) -> None:
    """Log in through the login form and wait for the sessions list (a chair goes straight to
    the console of the session under way)."""
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    if username == "chair":
        page.wait_for_url(re.compile(r"/chair/[^/]+$"))
        expect(page.locator(".ch-screen")).to_be_visible()
        return
    expect(page.get_by_role("heading", name="会议", exact=True)).to_be_visible()


def upload(page: Page, summary: str, path) -> None:
    """Open the import panel titled ``summary`` and upload ``path`` through it."""
    panel = page.locator("details", has=page.get_by_text(summary, exact=True))
    panel.get_by_text(summary, exact=True).click()
    panel.locator("input[type=file]").set_input_files(str(path))
    panel.get_by_role("button", name="导入").click()


def confirm(page: Page, summary: str, button: str) -> None:
    """Open a two-step confirmation (a <details> whose summary reads ``summary``) and confirm."""
    page.locator("summary", has_text=summary).click()
    page.get_by_role("button", name=button).click()


def pair_kiosk(staff: Page, kiosk: Page, base_url: str, name: str, mode: str) -> None:
    """Staff creates a pairing code on the kiosks page; the kiosk's browser enrols with it."""
    staff.get_by_label("设备名称").fill(name)
    staff.get_by_label("用途").select_option(mode)
    staff.get_by_role("button", name="生成配对码").click()
    notice = staff.get_by_role("status").filter(has_text=name)
    expect(notice).to_contain_text("配对码")
    code = PAIRING_CODE.search(notice.inner_text()).group(0)
    kiosk.goto(f"{base_url}/kiosk")
    expect(kiosk.get_by_role("heading", name="设备配对")).to_be_visible()
    kiosk.get_by_label("配对码").fill(code)
    kiosk.get_by_role("button", name="配对").click()


def ready_to_scan(page: Page) -> None:
    """Wait until the page's script has put the focus in the (hidden) scanner input."""
    expect(page.get_by_label("代表证", exact=True)).to_be_focused()


def scan(page: Page, card_text: str) -> None:
    """What a USB QR scanner does: type the card text into the focused page, then Enter."""
    page.keyboard.type(card_text)
    page.keyboard.press("Enter")


def candidate(page: Page, title: str):
    """The visible ballot entry of the project called ``title``."""
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=title))


def mark(page: Page, titles: Mapping[str, str], choices: Mapping[str, str]) -> None:
    """Press 赞成/反对/弃权 for each project in ``choices`` (codes not listed stay unmarked)."""
    for code, choice in choices.items():
        button = candidate(page, titles[code]).get_by_role("radio", name=CHOICE_LABELS[choice])
        button.click()
        expect(button).to_be_checked()


def review(page: Page, titles: Mapping[str, str], codes, choices: Mapping[str, str]) -> None:
    """Go to the review screen and check it lists every project with the choice made."""
    page.get_by_role("button", name="下一步：核对选票").click()
    expect(page.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    for code in codes:
        label = CHOICE_LABELS[choices[code]] if code in choices else UNMARKED_LABEL
        row = page.get_by_role("listitem").filter(has_text=titles[code])
        expect(row).to_have_text(re.compile(rf"{re.escape(titles[code])}\s*{re.escape(label)}$"))


def receipt_code(page: Page) -> str:
    """Wait for the receipt and read its tracking code."""
    expect(page.get_by_role("heading", name="投票成功，您的选票已记录")).to_be_visible()
    code = page.get_by_text(TRACKING_CODE)
    expect(code).to_be_visible()
    return code.inner_text().strip()


def back_to_idle(page: Page) -> None:
    """Press 完成 on the receipt and wait for the fresh idle screen."""
    page.get_by_role("button", name="完成").click()
    expect(page.get_by_role("heading", name="请刷代表证领取选票")).to_be_visible()
    ready_to_scan(page)


# --- checks and viewports the browser tests share ------------------------------------------------


AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")


BLOCKING = ("serious", "critical")


BALLOT_HEADING = "请对每个项目选择“赞成”“反对”或“弃权”"


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n" + "\n".join(
            f"    {json.dumps(n['target'], ensure_ascii=False)}: {n['failureSummary']}"
            for n in v["nodes"])
        for v in violations)


def assert_accessible(page, where: str) -> None:
    """axe-core finds nothing serious or critical on the page as it is now."""
    # The CSP forbids inline script, and add_script_tag(path=...) injects an inline <script>: so
    # the axe source is evaluated through the DevTools protocol (page.evaluate), which the page's
    # CSP does not govern. The pages keep their real CSP (no bypass_csp) throughout.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    violations = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})"
                               ".then(r => r.violations)")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe on {where}:\n{describe(blocking)}"



PHONE = {"width": 390, "height": 844}


WIDE = {"width": 1440, "height": 900}


YEAR_PAGE = "/c/" + quote(demo.CONGRESS) + "/2026/"


# Everything that must be on screen: what sticks out below or to the right, and panels whose
# content is cut off inside them (the page itself never scrolls: overflow is hidden).
FITS = """() => {
  const h = window.innerHeight, w = window.innerWidth, bad = [];
  const sel = '.pj-head, .pj-row, .pj-tile, .pj-mini, .pj-announce, .pj-cutoff, .pj-status, .pj-quorum,'
    + ' .pj-elapsed, .pj-delegations tr, .pj-message, .pj-chart-head';
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('[hidden]')) { continue; }
    const r = el.getBoundingClientRect();
    if (r.bottom > h + 0.5 || r.right > w + 0.5) {
      bad.push(`${el.className || el.tagName}: ${Math.round(r.right)}×${Math.round(r.bottom)}`);
    }
  }
  for (const el of document.querySelectorAll('.pj-left, .pj-right, .pj-name, .pj-title')) {
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) {
      const box = el.getBoundingClientRect();
      const out = [...el.querySelectorAll('*')].filter(c => !c.closest('[hidden]')
        && c.getBoundingClientRect().right > box.right + 1).map(c => c.className || c.tagName);
      bad.push(`${el.className} cut off: "${el.textContent.trim().slice(0, 30)}" `
        + `${el.scrollWidth}×${el.scrollHeight} in ${el.clientWidth}×${el.clientHeight} ${out}`);
    }
  }
  return bad;
}"""


def assert_fits(page, where: str) -> None:
    problems = page.evaluate(FITS)
    assert not problems, f"{where} at {page.viewport_size}: {problems}"

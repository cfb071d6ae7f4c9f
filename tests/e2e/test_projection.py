"""The projection screen (大屏) through a session: check-in with arrival per 代表团, voting with the
time since it opened, the count with the 入选线 and the announcement, publication. No controls;
readable from the back row (names and counts ≥ 48 px at 1920×1080); the whole screen fits
1920×1080 and 1280×720 without scrolling, and a count of 20 projects is shown page by page.
"""

from __future__ import annotations

import random
import re

from playwright.sync_api import expect

from ballot.extensions import db
from ballot.models import Candidate, Delegate, VoteSession
from ballot.services import checkin, results, rounds
from tests.conftest import close_and_open, make_user
from tests.crypto.bundle_builder import ballots_with
from tests.e2e.conftest import PROJECTOR, screenshot
from tests.e2e.flows import assert_fits
from tests.factories import codes, confirm_both, put_on_board, ready_session

PASSWORD = "correct-horse"
SMALL_PROJECTOR = {"width": 1280, "height": 720}
TITLES = ["城东片区老旧小区改造", "镇中心幼儿园扩建", "农村饮水安全提升工程", "敬老院适老化改造",
          "主干道路灯亮化", "卫生院发热门诊建设", "集贸市场升级改造", "中小学食堂明厨亮灶",
          "河道清淤与护岸", "村级文化广场建设", "公交候车亭新建", "农村生活污水治理",
          "社区养老服务中心", "校园周边交通安全设施", "便民服务中心改造", "农贸市场冷链设施",
          "乡村道路硬化", "残疾人康复站", "全民健身步道", "垃圾分类收集点"]
DELEGATIONS = ["城关代表团", "东湖代表团", "西山代表团", "南岭代表团", "北港代表团"]

FONT_PX = "sel => [...document.querySelectorAll(sel)].filter(e => !e.closest('[hidden]'))" \
          ".map(e => parseFloat(getComputedStyle(e).fontSize))"


def _session(slug: str) -> VoteSession:
    return db.session.query(VoteSession).filter_by(slug=slug).one()


def seed(live_server, candidates: int = 12, present: int = 57) -> str:
    """A session in check-in with real-looking titles and five 代表团, and a chair account."""
    with live_server.context():
        session = ready_session(present=present, candidates=candidates)
        for candidate in db.session.query(Candidate).filter_by(session_id=session.id):
            candidate.title = TITLES[candidate.position - 1]
        for delegate in db.session.query(Delegate).filter_by(session_id=session.id):
            delegate.delegation = DELEGATIONS[(delegate.roster_order - 1) // 12]
        make_user("chair", "chair", PASSWORD)
        db.session.commit()
        return session.slug


def projector(new_page, url: str, slug: str, viewport: dict = PROJECTOR):
    page = new_page(viewport)
    page.goto(url + "/login")
    page.get_by_label("用户名").fill("chair")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/(admin|chair)/"))
    page.goto(f"{url}/chair/{slug}/projection")
    return page


def assert_readable(page, selector: str, where: str) -> None:
    sizes = page.evaluate(FONT_PX, selector)
    assert sizes and min(sizes) >= 48, f"{where}: {selector} at {sizes} px"


def assert_no_controls(page) -> None:
    assert page.locator("button, form, input, select, textarea, summary, details").count() == 0
    expect(page.get_by_text("会议密钥指纹")).to_have_count(0)


def test_projection_screen_through_a_whole_session(live_server, new_page):
    slug = seed(live_server)
    page = projector(new_page, live_server.url, slug)

    # Check-in: attendance tiles and arrival per 代表团, updated live.
    expect(page.locator('[data-live="present"]')).to_have_text("57")
    expect(page.locator("#pj-delegations tr")).to_have_count(5)
    expect(page.locator("#pj-delegations tr").last).to_have_text(re.compile(r"北港代表团\s*9 / 12"))
    assert_no_controls(page)
    assert_readable(page, ".pj-tile dd", "check-in tiles")
    assert_fits(page, "check-in")
    screenshot(page, "projection-checkin")
    with live_server.context():
        session = _session(slug)
        late = db.session.query(Delegate).filter_by(session_id=session.id, roster_order=58).one()
        checkin.staff_check_in(session, late, "staff", "e2e")
        db.session.commit()
    expect(page.locator('[data-live="present"]')).to_have_text("58")
    expect(page.locator("#pj-delegations tr").last).to_have_text(re.compile(r"北港代表团\s*10 / 12"))
    page.set_viewport_size(SMALL_PROJECTOR)
    assert_fits(page, "check-in")
    page.set_viewport_size(PROJECTOR)

    # Voting: the screen follows by itself; the time since opening runs; 发出/收回 live.
    with live_server.context():
        rounds.open_voting(_session(slug), "chair")
        db.session.commit()
    expect(page.get_by_text("投票已进行")).to_be_visible()
    elapsed = page.locator("#pj-elapsed")
    expect(elapsed).to_have_text(re.compile(r"^0:0[0-9]$"))
    first = elapsed.inner_text()
    expect(elapsed).not_to_have_text(first, timeout=5000)
    fors = [52, 50, 48, 47, 45, 44, 42, 40, 38, 36, 33, 20]  # 11 pass (30 needed), 10 chosen
    ballots = ballots_with(random.Random(4), codes(12), dict(zip(codes(12), fors, strict=True)), 58, 10)
    with live_server.context():
        put_on_board(_session(slug), ballots[:40], issued=58)
    expect(page.locator('[data-live="issued"]')).to_have_text("58")
    expect(page.locator('[data-live="returned"]')).to_have_text("40")
    # A late arrival (allowed by default) checks in while voting is open: 实到 and 迟到 follow live.
    with live_server.context():
        session = _session(slug)
        late = db.session.query(Delegate).filter_by(session_id=session.id, roster_order=59).one()
        assert checkin.staff_check_in(session, late, "staff", "迟到").late
        db.session.commit()
    expect(page.locator('[data-live="present"]')).to_have_text("59")
    expect(page.locator('[data-live="late"]')).to_have_text("1")  # 其中迟到, live too
    assert_no_controls(page)
    assert_readable(page, ".pj-tile dd", "voting tiles")
    assert_fits(page, "voting")
    screenshot(page, "projection-voting")
    page.set_viewport_size(SMALL_PROJECTOR)
    assert_fits(page, "voting")
    page.set_viewport_size(PROJECTOR)

    # The count: 12 rows at ≥ 48 px, the 入选线 between the 10 chosen and the 11th that passed.
    with live_server.context():
        session = _session(slug)
        put_on_board(session, ballots[40:], issued=0)
        close_and_open(session)
        db.session.commit()
    rows = page.locator(".pj-row")
    expect(rows).to_have_count(12)
    expect(rows.first).to_contain_text("城东片区老旧小区改造")
    assert_readable(page, ".pj-name", "project names")
    assert_readable(page, ".pj-count", "counts")
    cutoff = page.locator(".pj-cutoff")
    expect(cutoff).to_have_count(1)
    assert page.evaluate("() => document.querySelector('.pj-cutoff').previousElementSibling"
                         ".classList.contains('is-chosen')")
    assert page.evaluate("() => document.querySelector('.pj-cutoff').nextElementSibling"
                         ".querySelector('.pj-mark').textContent") == "通过"
    expect(page.locator(".pj-announce")).to_contain_text("实到59名（其中1名在投票开始后报到）")
    expect(page.locator(".pj-announce")).to_contain_text("下列10个项目确定为2027年度民生实事项目")
    expect(page.locator(".pj-status")).to_have_text("等待总监票人和主持人确认")
    assert_no_controls(page)
    assert_fits(page, "results")
    screenshot(page, "projection-results")
    page.set_viewport_size(SMALL_PROJECTOR)
    assert_fits(page, "results")
    page.set_viewport_size(PROJECTOR)

    # Publication: the screen stays on the results.
    with live_server.context():
        session = _session(slug)
        confirm_both(session)
        results.publish(session, "chair")
        db.session.commit()
    expect(page.locator(".pj-status")).to_have_text("结果已公布")
    expect(rows).to_have_count(12)
    expect(page.locator(".pj-announce")).to_contain_text("经过票决")
    assert_fits(page, "published")
    screenshot(page, "projection-published")
    page.set_viewport_size(SMALL_PROJECTOR)
    assert_fits(page, "published")

    # In English (longer announcement) it fits too.
    page.goto(f"{live_server.url}/lang/en?next=/chair/{slug}/projection")
    expect(page.locator(".pj-status")).to_have_text("Result published")
    for viewport in (PROJECTOR, SMALL_PROJECTOR):
        page.set_viewport_size(viewport)
        assert_fits(page, "published, in English")
    screenshot(page, "projection-published-en")


def test_cutoff_line_only_where_it_separates_chosen_from_passed(live_server, new_page):
    """2 of 12 pass for 10 slots: no 入选线 above eight failed projects, on the projection
    screen and on the chair's console."""
    slug = seed(live_server)
    fors = [40, 35, 20, 18, 17, 15, 14, 12, 10, 8, 6, 4]
    with live_server.context():
        session = _session(slug)
        rounds.open_voting(session, "chair")
        db.session.commit()
        put_on_board(session, ballots_with(random.Random(5), codes(12),
                                   dict(zip(codes(12), fors, strict=True)), 57, 10))
        close_and_open(session)
        db.session.commit()
    page = projector(new_page, live_server.url, slug)
    expect(page.locator(".pj-row.is-chosen")).to_have_count(2)
    expect(page.locator(".pj-cutoff")).to_have_count(0)
    page.goto(f"{live_server.url}/chair/{slug}")
    expect(page.locator(".ch-bar")).to_have_count(12)
    expect(page.locator(".ch-cutoff")).to_have_count(0)


def test_twenty_projects_are_shown_page_by_page(live_server, new_page):
    slug = seed(live_server, candidates=20)
    fors = [45 - 2 * i for i in range(20)]
    with live_server.context():
        session = _session(slug)
        rounds.open_voting(session, "chair")
        db.session.commit()
        put_on_board(session, ballots_with(random.Random(6), codes(20),
                                   dict(zip(codes(20), fors, strict=True)), 57, 10))
        close_and_open(session)
        db.session.commit()
    for viewport in (PROJECTOR, SMALL_PROJECTOR):
        page = projector(new_page, live_server.url, slug, viewport)
        page.clock.install()
        page.reload()
        visible = page.locator(".pj-row:visible")
        expect(visible).to_have_count(12)
        expect(page.locator("#pj-pager")).to_have_text("1 / 2")
        assert_fits(page, "20 projects, page 1")
        if viewport is PROJECTOR:
            screenshot(page, "projection-results-20-page1")
        page.clock.run_for(10_500)
        expect(page.locator("#pj-pager")).to_have_text("2 / 2")
        expect(visible).to_have_count(8)
        expect(visible.first).to_contain_text("社区养老服务中心")
        assert_fits(page, "20 projects, page 2")
        page.clock.run_for(10_000)
        expect(page.locator("#pj-pager")).to_have_text("1 / 2")

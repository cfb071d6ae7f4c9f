"""A 满意度测评 in a real browser: the demo's open 测评 drill on last year's chosen projects, a
delegate rating every project 满意 / 基本满意 / 不满意 at a voting kiosk, the box opened and the
result published, then the grades on the result page and the tracking page (phone and desktop):
the project under rectification re-rated, one newly 不满意."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from ballot import demo, unit_of_work
from ballot.domain import rating
from ballot.extensions import db
from ballot.models import Delegate, Kiosk
from ballot.services import (
    accounts,
    checkin,
    credentials,
    opening,
    results,
    rounds,
    sessions,
    tracking,
    voting,
)
from tests.e2e.conftest import DESKTOP, KIOSK_LANDSCAPE, PROJECTOR, screenshot
from tests.e2e.flows import (
    PASSWORD,
    PHONE,
    WIDE,
    YEAR_PAGE,
    assert_fits,
    candidate,
    create_users,
    log_in,
    pair_kiosk,
    ready_to_scan,
    scan,
)

LABELS = {rating.SATISFIED: "满意", rating.BASICALLY_SATISFIED: "基本满意",
          rating.DISSATISFIED: "不满意"}


def test_a_rating_session_from_the_kiosk_to_the_tracking_page(live_server, new_page):
    with live_server.context():
        def ready() -> list[str]:
            demo.seed()
            session = sessions.get_session(demo.RATING_SLUG)
            present = list(db.session.execute(
                select(Delegate).where(Delegate.session_id == session.id)
                .order_by(Delegate.roster_order)).scalars())[:40]
            for delegate in present:
                checkin.staff_check_in(session, delegate, "staff", "测评演示")
            rounds.open_voting(session, "chair")
            return credentials.issue_cards(session, present, "staff")

        cards = unit_of_work.run(ready)
        titles = [c.title for c in sessions.get_session(demo.RATING_SLUG).candidates]
    create_users(live_server, ("clerk", "staff", "会务组 李文"))
    base = live_server.url
    staff = new_page()
    log_in(staff, base, "clerk")
    staff.goto(f"{base}/admin/sessions/{demo.RATING_SLUG}/kiosks")
    kiosk = new_page(KIOSK_LANDSCAPE)
    pair_kiosk(staff, kiosk, base, "测评机 1 号", "voting")
    expect(kiosk.get_by_role("heading", name="请刷代表证领取选票")).to_be_visible()
    expect(kiosk.locator(".vk-sub")).to_contain_text("民生实事项目满意度测评")

    # Three delegates at the kiosk: the first rates 社区文化活动中心 (under 整改) 满意 and the
    # rest as shown; the others by keypad (1 满意 2 基本满意 3 不满意).
    ready_to_scan(kiosk)
    scan(kiosk, cards[0])
    expect(kiosk.get_by_role("heading", name="请对每个项目选择“满意”“基本满意”或“不满意”")
           ).to_be_visible()
    first = candidate(kiosk, titles[0])
    expect(first.get_by_role("radio")).to_have_text(["满意", "基本满意", "不满意"])
    for index, title in enumerate(titles):
        grade = LABELS[[rating.SATISFIED, rating.BASICALLY_SATISFIED, rating.DISSATISFIED][index % 3]]
        button = candidate(kiosk, title).get_by_role("radio", name=grade, exact=True)
        button.click()
        expect(button).to_be_checked()
    expect(kiosk.locator("#for-count")).to_contain_text(f"满意 4 个 / 共 {len(titles)} 个项目")
    screenshot(kiosk, "rating-kiosk-ballot")
    kiosk.get_by_role("button", name="下一步：核对选票").click()
    expect(kiosk.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    row = kiosk.locator("#review-list li").filter(has_text=titles[1])
    expect(row).to_have_text(re.compile(rf"{re.escape(titles[1])}\s*基本满意$"))
    kiosk.get_by_role("button", name="确认投票").click()
    expect(kiosk.get_by_role("heading", name="投票成功，您的选票已记录")).to_be_visible()
    kiosk.get_by_role("button", name="完成").click()
    expect(kiosk.get_by_role("heading", name="请刷代表证领取选票")).to_be_visible()

    # The rest vote over the kiosk's JSON as the page does (the hall, quickly): 社区文化活动中心
    # (rank 8) 满意 by most, 残疾人康复服务 (rank 10) 不满意 by most.
    with live_server.context():
        def the_hall() -> None:
            session = sessions.get_session(demo.RATING_SLUG)
            paired = db.session.execute(select(Kiosk).where(
                Kiosk.session_id == session.id, Kiosk.name == "测评机 1 号")).scalar_one()
            for number, card in enumerate(cards[1:], start=1):
                choices = {f"{i:02d}": "for" for i in range(1, 11)}
                if number % 4 == 0:
                    choices["08"] = "abstain"
                choices["10"] = "against" if number % 5 else "abstain"
                token, _ = voting.issue_ballot(session, paired, card)
                voting.cast_ballot(session, paired, token, choices)
            rounds.close_round(session, "chair")
            opening.open_with_drill_shares(session, "scrutineer")

        unit_of_work.run(the_hall)

    # The count on the chair's console and the projection: 满意/基本满意/不满意, 满意率, grade.
    create_users(live_server, ("rating-chair", "chair", "主任 王芳"))
    chair = new_page(PROJECTOR)
    chair.goto(f"{base}/login")
    chair.get_by_label("用户名").fill("rating-chair")
    chair.get_by_label("密码").fill(PASSWORD)
    chair.get_by_role("button", name="登录").click()
    chair.wait_for_url(re.compile(r"/(admin|chair)/"))
    chair.goto(f"{base}/chair/{demo.RATING_SLUG}")
    bars = chair.locator(".ch-rating .ch-bar")
    expect(bars).to_have_count(len(titles))
    expect(chair.locator(".ch-bar.grade-dissatisfied")).to_contain_text("残疾人康复服务")
    expect(chair.locator(".ch-chart-head")).to_contain_text("发出测评票40张，收回40张")
    expect(chair.locator(".ch-legend")).to_contain_text("半数线：收回测评票数 40 的一半")
    expect(chair.locator(".ch-announce")).to_contain_text("测评结果为不满意")
    expect(chair.locator(".ch-main")).not_to_contain_text("赞成")
    screenshot(chair, "rating-chair-console")
    chair.set_viewport_size(DESKTOP)  # a laptop at the chair's desk: every bar still drawn
    assert chair.evaluate("Math.min(...[...document.querySelectorAll('.ch-rating .ch-svg')]"
                          ".map(e => e.getBoundingClientRect().width))") >= 90
    projection = new_page(PROJECTOR)
    projection.goto(f"{base}/login")
    projection.get_by_label("用户名").fill("rating-chair")
    projection.get_by_label("密码").fill(PASSWORD)
    projection.get_by_role("button", name="登录").click()
    projection.wait_for_url(re.compile(r"/(admin|chair)/"))
    projection.goto(f"{base}/chair/{demo.RATING_SLUG}/projection")
    expect(projection.locator(".pj-rating .pj-row")).to_have_count(len(titles))
    expect(projection.locator(".pj-row.grade-dissatisfied .pj-mark")).to_have_text("不满意")
    expect(projection.locator(".pj-main")).not_to_contain_text("赞成")
    assert_fits(projection, "rating results")
    screenshot(projection, "rating-projection")

    with live_server.context():
        def publish() -> None:
            session = sessions.get_session(demo.RATING_SLUG)
            results.confirm_as_scrutineer(session, accounts.find_user("scrutineer"))
            results.publish_as_chair(session, accounts.find_user("chair"))

        unit_of_work.run(publish)

    page = new_page(WIDE)
    page.goto(f"{base}/s/{demo.RATING_SLUG}/results")
    expect(page.get_by_role("heading", level=1)).to_contain_text("测评结果")
    table = page.locator("#ratings")
    expect(table.get_by_role("row", name=re.compile("^08 社区文化活动中心 .* 满意$"))).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("^10 残疾人康复服务 .* 不满意$"))).to_be_visible()
    expect(page.locator(".announcement")).to_contain_text("满意率")
    screenshot(page, "rating-result")

    phone = new_page(PHONE)
    phone.goto(base + YEAR_PAGE)
    culture = phone.locator("article", has=phone.get_by_text("社区文化活动中心"))
    expect(culture).not_to_contain_text("整改中")
    expect(culture).to_contain_text("满意度测评：满意")
    rehab = phone.locator("article", has=phone.get_by_text("残疾人康复服务"))
    expect(rehab).to_contain_text("整改中")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    rehab.scroll_into_view_if_needed()
    screenshot(phone, "rating-tracking-phone")
    desktop = new_page(WIDE)
    desktop.goto(base + YEAR_PAGE)
    expect(desktop.locator("article", has=desktop.get_by_text("残疾人康复服务"))
           ).to_contain_text("整改中")
    screenshot(desktop, "rating-tracking-desktop")
    with live_server.context():
        past = sessions.get_session(demo.PAST_SLUG)
        rated = tracking.find_project(past, "08").ratings
        assert [r.grade for r in rated] == ["satisfied", "dissatisfied"]
        assert rated[0].rated_in_session_id == sessions.get_session(demo.RATING_SLUG).id

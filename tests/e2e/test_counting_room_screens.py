"""A mixed session in the browser (issue 22): some delegates voted at a kiosk, some on paper.
After the close two counting staff enter the paper ballots in the counting room, one misreads a
sheet; the scrutineer sees the mismatch side by side, resolves it against the paper and
finishes; one paper ballot over the quota counts as invalid; the box opens and the count, per
kind and reason, is what the ballots say. Screenshots of the counting-room pages."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ballot.extensions import db
from ballot.models import VoteSession
from ballot.services import accounts, rounds, voting
from tests.conftest import open_box
from tests.e2e.conftest import screenshot
from tests.e2e.flows import PASSWORD
from tests.factories import cast, issue, session_delegates, voting_session

CODES = ["01", "02", "03", "04", "05"]


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _enter(page: Page, marks: dict[str, str] | None) -> None:
    if marks is None:
        page.get_by_role("button", name="无法辨认").click()
        return
    for code, mark in marks.items():
        page.locator(f'input[name="mark-{code}"][value="{mark}"]').check()
    page.get_by_role("button", name="录入这一张，下一张").click()


def test_counting_room_double_entry_mismatch_and_invalid_ballot(live_server, new_page):
    with live_server.context():
        session, kiosk = voting_session(delegates=8, candidates=5, quota=4)
        slug = session.slug
        people = session_delegates(session)
        for delegate in people[:3]:
            token, _ = issue(session, kiosk, delegate)
            cast(session, kiosk, token, {"01": "for", "02": "for", "05": "against"})
        for delegate in people[3:6]:
            voting.issue_paper(session, delegate, "staff", "代表要求")
        db.session.commit()
        rounds.close_round(session, "chair")
        for username, role, label in (("jp1", "counter", "计票人甲"),
                                      ("jp2", "counter", "计票人乙"),
                                      ("jianpiao", "scrutineer", "孙伟")):
            accounts.create_user(username, PASSWORD, role, "e2e", display_name=label,
                                 congress=session.congress)
        db.session.commit()
    base = live_server.url
    pile = [
        {"01": "for", "03": "against"},
        dict.fromkeys(CODES, "for"),  # 5 赞成 for 4 slots: 超过应选数
        {"02": "for", "04": "for"},
    ]

    first = new_page()
    _log_in(first, base, "jp1")
    first.wait_for_url(re.compile(r"/count/$"))
    first.get_by_role("link", name="第 1 轮纸质选票").click()
    first.get_by_role("link", name="录入第 1 遍").click()
    expect(first.locator(".count-sheet-no")).to_have_text("第 1 张")
    for marks in pile:
        _enter(first, marks)
    expect(first.get_by_role("heading", name=re.compile("已录入 3 张"))).to_be_visible()
    screenshot(first, "counting-pass")

    second = new_page()
    _log_in(second, base, "jp2")
    second.get_by_role("link", name="第 1 轮纸质选票").click()
    expect(second.get_by_role("link", name="录入第 1 遍")).to_be_hidden()
    second.get_by_role("link", name="录入第 2 遍").click()
    _enter(second, pile[0])
    _enter(second, pile[1])
    _enter(second, {"02": "for", "04": "against"})  # misread: 04 is 赞成 on the paper
    expect(second.locator("a.count-chip.count-diff")).to_have_text("3")

    chief = new_page()
    _log_in(chief, base, "jianpiao")
    chief.goto(f"{base}/chair/{slug}/scrutiny")
    expect(chief.get_by_role("heading", name="等待纸质选票录入")).to_be_visible()
    chief.get_by_role("link", name="纸质选票录入").click()
    mismatch = chief.locator("#sheet-3")
    expect(mismatch.locator("tr.count-diff")).to_have_count(1)
    expect(mismatch.locator("tr.count-diff td").nth(1)).to_have_text("赞成")
    expect(mismatch.locator("tr.count-diff td").nth(2)).to_have_text("反对")
    expect(chief.get_by_role("button", name=re.compile("完成录入"))).to_be_disabled()
    screenshot(chief, "counting-mismatch")
    mismatch.locator('input[name="mark-04"][value="for"]').check()
    mismatch.get_by_role("button", name="按上面的标记核定").click()
    expect(chief.get_by_text("第 3 张已按纸质选票核定。")).to_be_visible()
    chief.get_by_role("button", name="完成录入（共 3 张）").click()
    expect(chief.get_by_text(re.compile(
        "纸质选票录入完成：共 3 张，有效 2 张，无效 1 张（超过应选数 1 张，无法辨认 0 张）"))).to_be_visible()
    screenshot(chief, "counting-finished")

    with live_server.context():
        session = db.session.query(VoteSession).filter_by(slug=slug).one()
        result = open_box(session)
        assert result.issued_by_kind == {"kiosk": 3, "paper": 3}
        assert result.returned_by_kind == {"kiosk": 3, "paper": 3}
        assert result.invalid_by_reason == {"over_quota": 1, "unreadable": 0}
        assert (result.valid, result.invalid) == (5, 1)
        assert result.counts["01"].for_ == 4 and result.counts["04"].for_ == 1
        assert result.counts["03"].against == 1
        assert rounds.get_round(session, 1).paper_finished

"""Paper ballots in the browser (issue 22, items 1 and 2): at the desk, staff pick a delegate,
give a reason and hand them a paper ballot after a confirmation; the desk then shows it and
offers no second ballot. The round's ballot paper downloads as a PDF, rendered and looked at."""

from __future__ import annotations

import pypdfium2
from playwright.sync_api import expect

from ballot.extensions import db
from ballot.services import accounts, rounds
from tests.e2e.conftest import save_picture, screenshot
from tests.e2e.flows import PASSWORD, log_in
from tests.factories import session_delegates, voting_session


def test_desk_hands_out_a_paper_ballot_and_prints_the_ballot_paper(live_server, new_page):
    with live_server.context():
        session, _kiosk = voting_session(delegates=8)
        slug = session.slug
        delegate = session_delegates(session)[2]
        name, did = delegate.name, delegate.id
        accounts.create_user("desk", PASSWORD, "staff", "e2e", congress=session.congress)
        db.session.commit()
    base = live_server.url
    page = new_page()
    log_in(page, base, "desk")
    page.goto(f"{base}/admin/sessions/{slug}/checkin")
    page.locator(f"#d{did} a.desk-pick").click()
    paper = page.get_by_role("button", name="发纸质选票…")
    expect(paper).to_be_visible()
    page.get_by_label("原因（必填，记入操作日志）").fill("代表要求纸质选票")
    paper.click()
    expect(page.get_by_text("本轮改用纸质选票")).to_be_visible()
    page.get_by_role("button", name="确认发放纸质选票").click()
    expect(page.get_by_text(f"已为 {name} 代表发放第 1 轮纸质选票。")).to_be_visible()
    expect(page.locator(f"#d{did} .ballot-state")).to_have_text("已领取纸质选票")
    expect(page.get_by_text("已发出纸质选票 1 张")).to_be_visible()
    screenshot(page, "desk-paper-ballot")
    # Picked again, the delegate is offered no paper and no release.
    page.locator(f"#d{did} a.desk-pick").click()
    expect(page.get_by_role("button", name="发纸质选票…")).to_be_hidden()
    expect(page.get_by_role("button", name="释放选票…")).to_be_hidden()
    with live_server.context():
        from ballot.models import VoteSession

        session = db.session.query(VoteSession).filter_by(slug=slug).one()
        assert rounds.issued_by_kind(session, 1) == {"kiosk": 0, "paper": 1}

    with page.expect_download() as download:
        page.get_by_role("link", name="第 1 轮选票 PDF").click()
    pdf = download.value.path().read_bytes()
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    text = document[0].get_textpage().get_text_range()
    assert "选" in text and "每张选票赞成不超过" in text.replace(" ", "")
    assert name not in text
    save_picture(document[0].render(scale=1.2).to_pil(), "ballot-paper")
    document.close()

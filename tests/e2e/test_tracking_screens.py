"""After the vote in a real browser: the demo's past year on the public tracking page (phone and
desktop), and staff posting a progress report with a photo from the tracking page."""

from __future__ import annotations

from playwright.sync_api import expect

from ballot import demo, unit_of_work
from ballot.services import sessions, tracking
from tests.e2e.conftest import screenshot
from tests.e2e.flows import PHONE, WIDE, YEAR_PAGE, create_users, log_in
from tests.factories import image_bytes


def test_public_tracking_page_on_a_phone_and_a_desktop(live_server, new_page):
    with live_server.context():
        unit_of_work.run(demo.seed)
    phone = new_page(PHONE)
    phone.goto(live_server.url + "/")
    phone.get_by_role("link", name="示范镇人大 2026 年民生实事项目实施情况").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("2026 年民生实事项目实施情况")
    rectified = phone.locator("article", has=phone.get_by_text("社区文化活动中心"))
    expect(rectified).to_contain_text("整改中")
    expect(rectified).to_contain_text("延长开放时间至晚九点")
    expect(phone.locator("article.project")).to_have_count(10)
    # Readable on a phone: nothing wider than the screen, body text at least 16 px.
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.report-text')).fontSize)") >= 16
    screenshot(phone, "tracking-phone")
    rectified.locator(".report-rectification").scroll_into_view_if_needed()
    screenshot(phone, "tracking-phone-rectification")
    phone.get_by_role("link", name="English").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("livelihood projects")
    expect(rectified).to_contain_text("Under rectification")

    desktop = new_page(WIDE)
    desktop.goto(live_server.url + YEAR_PAGE)
    expect(desktop.locator("img").first).to_be_visible()
    screenshot(desktop, "tracking-desktop")


def test_staff_post_progress_with_a_photo(live_server, new_page, tmp_path):
    with live_server.context():
        unit_of_work.run(demo.seed)
        project_id = tracking.find_project(sessions.get_session(demo.PAST_SLUG), "10").id
    create_users(live_server, ("clerk", "staff", "会务组 李文"))
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(image_bytes())
    page = new_page()
    log_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/admin/sessions/{demo.PAST_SLUG}")
    page.get_by_role("link", name="项目实施跟踪").click()
    page.get_by_role("link", name="残疾人康复服务").click()
    page.get_by_label("完成进度（百分比）").fill("80")
    page.get_by_label("报告内容").fill("新增上门康复服务 60 人次。")
    page.locator("input[type=file][name=photos]").set_input_files(str(photo))
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("报告已发布")
    expect(page.locator("#reports .report").first).to_contain_text("新增上门康复服务 60 人次。")
    expect(page.locator("#reports .report img").first).to_be_visible()
    screenshot(page, "tracking-staff-project")
    with live_server.context():
        project = tracking.get_project(sessions.get_session(demo.PAST_SLUG), project_id)
        assert project.percent_done == 80 and project.reports[0].author == "clerk"

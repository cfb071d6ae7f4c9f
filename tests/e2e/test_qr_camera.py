"""The device camera reads QR codes (static/js/qr-camera.js): a delegate's card at the check-in
kiosk and a scrutineer's key card on the scrutiny page, through Chromium's fake camera playing a
video of the card's QR code."""

from __future__ import annotations

from pathlib import Path

import pytest
import qrcode
from playwright.sync_api import expect

from ballot.extensions import db
from ballot.models import BoxPartial, Delegate
from ballot.services import rounds
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import KEY_CARDS, make_user, skip_or_fail
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, KIOSK_PORTRAIT, session_by_slug
from tests.factories import put_on_board

WIDTH, HEIGHT = 640, 480
PASSWORD = "correct-horse"


def write_qr_video(path: Path, text: str) -> None:
    """A Y4M video (what Chromium's fake camera plays) of ``text``'s QR code on white."""
    image = qrcode.make(text, border=4).get_image().convert("L")
    side = min(WIDTH, HEIGHT) - 20
    image = image.resize((side, side))
    frame = bytearray(b"\xff" * (WIDTH * HEIGHT))
    left, top = (WIDTH - side) // 2, (HEIGHT - side) // 2
    pixels = image.tobytes()
    for y in range(side):
        start = (top + y) * WIDTH + left
        frame[start:start + side] = pixels[y * side:(y + 1) * side]
    chroma = b"\x80" * (WIDTH * HEIGHT // 2)  # grey: both 4:2:0 chroma planes
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + bytes(frame) + chroma)


@pytest.fixture(scope="module")
def camera(tmp_path_factory):
    """A Chromium whose camera plays the video at the returned path (written before each use:
    the file is opened when a page starts the camera); yields (browser, path)."""
    import os

    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"Chromium not found at {CHROMIUM} (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    video = tmp_path_factory.mktemp("camera") / "card.y4m"
    write_qr_video(video, "nothing yet")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
        yield browser, video
        browser.close()


def _page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(20_000)
    return context.new_page()


def test_a_card_held_to_the_checkin_kiosk_camera_checks_the_delegate_in(hall, live_server,
                                                                       camera):
    browser, video = camera
    write_qr_video(video, hall.cards[-1])  # an absent delegate's card
    page = _page(browser, KIOSK_PORTRAIT)
    page.context.add_cookies([{"name": KIOSK_COOKIE, "value": hall.checkin_kiosk,
                               "url": hall.url + "/kiosk", "httpOnly": True, "sameSite": "Strict"}])
    page.goto(hall.url + "/kiosk/checkin")
    page.get_by_role("button", name="使用摄像头扫码").click()
    expect(page.get_by_role("alert")).to_contain_text("签到成功")
    with live_server.context():
        session = session_by_slug(hall.slug)
        present = db.session.query(Delegate).filter_by(session_id=session.id,
                                                       attendance="present").count()
        assert present == 58  # the hall's 57 and this delegate
    page.context.close()


def test_a_key_card_held_to_the_scrutiny_page_camera_is_presented_once(hall, live_server, camera):
    browser, video = camera
    hall.open_voting(live_server)
    with live_server.context():
        make_user("scrutineer", "scrutineer", PASSWORD)
        session = session_by_slug(hall.slug)
        put_on_board(session, [{"01": "for"}] * 5)
        rounds.close_round(session, "chair")
        db.session.commit()
        card = KEY_CARDS[session.id][0]
    write_qr_video(video, card)
    page = _page(browser, DESKTOP)
    page.goto(hall.url + "/login")
    page.get_by_label("用户名").fill("scrutineer")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{hall.url}/chair/{hall.slug}/scrutiny")
    expect(page.get_by_text("等待监票人开箱（0/")).to_be_visible()
    page.get_by_role("button", name="使用摄像头扫码").click()
    # The form is submitted once, by itself: the next page counts one card presented.
    expect(page.get_by_text("等待监票人开箱（1/")).to_be_visible()
    assert card not in page.content()
    with live_server.context():
        assert db.session.query(BoxPartial).count() == 1
    page.context.close()

"""The spoken ballot (语音): a delegate who cannot read the screen hears the ballot and votes with
a keypad alone. The browser's speech synthesis is stubbed in the page to record what would be
said (the kiosk's own Chinese voice); without one, the kiosk plays clips made on the server,
all fetched before the delegate marks anything."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect

from ballot.extensions import db
from ballot.models import BoardEntry, VoteSession
from ballot.services import speech
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import decrypt_ballot, skip_or_fail
from tests.e2e.conftest import KIOSK_LANDSCAPE, KIOSK_PORTRAIT, screenshot
from tests.e2e.flows import BALLOT_HEADING, scan

# The kiosk's own Chinese voice, recorded instead of heard: each utterance's text, and "|" where
# what was being said is cut short for something new.
LOCAL_VOICE = """
window.__spoken = [];
const voice = { lang: "zh-CN", name: "录音", localService: true, voiceURI: "stub", default: true };
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  getVoices: () => [voice],
  speak: (u) => { window.__spoken.push(u.text); },
  cancel: () => { window.__spoken.push("|"); },
  addEventListener: () => {},
}});
"""

# A browser with no Chinese voice of its own (a network voice does not count), whose audio
# element records what it plays.
NO_VOICE = """
window.__played = [];
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  getVoices: () => [{ lang: "zh-CN", name: "network", localService: false }],
  speak: () => { throw new Error("a network voice must never be used"); },
  cancel: () => {},
  addEventListener: () => {},
}});
HTMLMediaElement.prototype.play = function () {
  window.__played.push(this.src);
  setTimeout(() => this.dispatchEvent(new Event("ended")), 5);
  return Promise.resolve();
};
"""

ALL_ABSTAIN = {f"{i:02d}": "abstain" for i in range(1, 13)}


def spoken_page(new_page, hall, viewport, init_script):  # noqa: F811
    """The voting kiosk's page with ``init_script`` run before the page's own scripts."""
    page = new_page(viewport)
    page.add_init_script(init_script)
    page.context.add_cookies([{"name": KIOSK_COOKIE, "value": hall.voting_kiosk,
                               "url": hall.url + "/kiosk", "httpOnly": True, "sameSite": "Strict"}])
    page.goto(hall.url + "/kiosk/vote/")
    return page


def said(page) -> list[str]:
    return page.evaluate("() => window.__spoken")


def last_said(page) -> list[str]:
    """What was said since the last interruption."""
    spoken = said(page)
    cut = len(spoken) - 1 - spoken[::-1].index("|") if "|" in spoken else -1
    return spoken[cut + 1:]


def expect_said(page, *texts: str) -> None:
    """The last thing said is ``texts`` (waits for it)."""
    page.wait_for_function("(texts) => { const s = window.__spoken; const i = s.lastIndexOf('|');"
                           " return JSON.stringify(s.slice(i + 1)) === JSON.stringify(texts); }",
                           arg=list(texts), timeout=5000)


def radio(page, project: str, label: str):
    return page.get_by_role("radiogroup", name=project, exact=True).get_by_role("radio", name=label)


def test_a_whole_spoken_ballot_by_keypad_alone(hall, live_server, new_page):  # noqa: F811
    hall.open_voting(live_server)
    speech_requests = []
    kiosk = spoken_page(new_page, hall, KIOSK_PORTRAIT, LOCAL_VOICE)
    kiosk.on("request", lambda r: speech_requests.append(r.url) if "/speech/" in r.url else None)
    expect(kiosk.locator("#scan-input")).to_be_focused()
    toggle = kiosk.get_by_role("button", name="语音")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    expect(kiosk.locator("#speech-help")).to_be_hidden()

    # The keypad's * turns speech on, even on the idle screen (the scanner never sends it).
    kiosk.keyboard.press("NumpadMultiply")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(kiosk.locator("#speech-help")).to_be_visible()
    expect_said(kiosk, "语音已开启。", "请刷代表证领取选票：将代表证上的二维码对准扫码器。")
    expect(kiosk.locator("#scan-input")).to_be_focused()
    assert kiosk.locator("#scan-input").input_value() == ""

    # A card refused (not checked in): the reason is read out by the kiosk's own voice.
    scan(kiosk, hall.cards[4])
    refusal = kiosk.locator("#idle-message")
    expect(refusal).to_contain_text("签到")
    expect_said(kiosk, refusal.inner_text())

    scan(kiosk, hall.cards[0])
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_focused()
    expect_said(kiosk, "请对每个项目选择赞成、反对或弃权。共 12 个项目，应选 10 个。",
                "按上下方向键逐个听项目；按 1 赞成，按 2 反对，按 3 弃权；按回车键进入下一步；按 0 重听；按星号键关闭语音。",
                "第 1 项", "民生项目1", "当前选择：", "未表态")

    kiosk.keyboard.press("1")
    expect(radio(kiosk, "民生项目1", "赞成")).to_be_checked()
    expect(radio(kiosk, "民生项目1", "赞成")).to_be_focused()
    expect_said(kiosk, "已选择：", "赞成", "已赞成", "1", "个，应选 10 个。")

    kiosk.keyboard.press("ArrowDown")
    expect_said(kiosk, "第 2 项", "民生项目2", "当前选择：", "未表态")
    kiosk.keyboard.press("2")
    expect(radio(kiosk, "民生项目2", "反对")).to_be_checked()
    expect_said(kiosk, "已选择：", "反对", "已赞成", "1", "个，应选 10 个。")
    kiosk.keyboard.press("ArrowDown")
    kiosk.keyboard.press("3")
    expect(radio(kiosk, "民生项目3", "弃权")).to_be_checked()
    kiosk.keyboard.press("ArrowUp")
    expect_said(kiosk, "第 2 项", "民生项目2", "当前选择：", "反对")
    kiosk.keyboard.press("0")  # again, please
    expect_said(kiosk, "第 2 项", "民生项目2", "当前选择：", "反对")
    kiosk.keyboard.press("ArrowUp")
    kiosk.keyboard.press("ArrowUp")
    expect_said(kiosk, "已是第一项。")
    screenshot(kiosk, "kiosk-spoken-ballot")

    # A card scanned over the ballot (digits and an Enter) neither marks nor moves anything.
    scan(kiosk, hall.cards[3])
    kiosk.wait_for_timeout(1100)  # a key within a second of a scan counts as the scanner's
    expect(kiosk.locator("#screen-ballot")).to_be_visible()
    expect(kiosk.locator("#for-count")).to_have_text("赞成 1 / 应选 10")
    for label in ("反对", "弃权"):
        expect(radio(kiosk, "民生项目1", label)).not_to_be_checked()

    kiosk.keyboard.press("Enter")  # 下一步：核对选票
    expect(kiosk.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    review = last_said(kiosk)
    assert review[:1] == ["请核对您的选票。"]
    assert review[1:10] == ["第 1 项", "民生项目1", "赞成", "第 2 项", "民生项目2", "反对",
                            "第 3 项", "民生项目3", "弃权"]
    assert review[-7:] == ["已赞成", "1", "个，应选 10 个。", "还有", "9",
                           "个项目未表态，未表态的项目计为弃权。",
                           "确认无误请按回车键投票；要修改请按减号键或退格键返回；按 0 重听。"]
    assert "民生项目12" in review and review.count("未表态") == 9

    kiosk.keyboard.press("-")  # 返回修改
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_visible()
    kiosk.keyboard.press("Enter")
    expect(kiosk.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    kiosk.keyboard.press("Enter")  # 确认投票
    expect(kiosk.get_by_role("heading", name="投票成功，您的选票已记录")).to_be_visible()
    code = kiosk.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){2}", code)
    expect_said(kiosk, "投票成功，您的选票已记录。", "您的查询码是：", *code.replace("-", ""),
                "查询码只在屏幕上显示，不打印。按 0 重听，按回车键完成。")

    # Spoken through the kiosk's own voice: nothing was asked of the server's speech.
    assert speech_requests == []
    with live_server.context():
        entries = db.session.query(BoardEntry).all()
        session = db.session.get(VoteSession, entries[0].session_id)
        # Stored encrypted; decrypted here with the test's key cards (unmarked is 弃权).
        assert [decrypt_ballot(session, json.loads(e.payload)) for e in entries] == [
            {**ALL_ABSTAIN, "01": "for", "02": "against"}]
    kiosk.keyboard.press("Enter")  # 完成: the next delegate starts without speech
    expect(kiosk.get_by_role("heading", name="请刷代表证领取选票")).to_be_visible()
    expect(kiosk.get_by_role("button", name="语音")).to_have_attribute("aria-pressed", "false")


def test_without_a_local_voice_the_server_clips_are_all_fetched_before_any_choice(
        hall, live_server, new_page):  # noqa: F811
    if not speech.available():
        skip_or_fail("espeak-ng is not installed (make test installs it: tests/setup_env.py)")
    hall.open_voting(live_server)
    requests = []
    kiosk = spoken_page(new_page, hall, KIOSK_LANDSCAPE, NO_VOICE)
    kiosk.on("request", lambda r: requests.append(r.url.split("/speech/")[1])
             if "/speech/" in r.url else None)
    scan(kiosk, hall.cards[1])
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_focused()
    kiosk.get_by_role("button", name="语音").click()
    expect(kiosk.locator("#speech-status")).to_have_text("")
    kiosk.wait_for_function("() => window.__played.length >= 6")
    asked = sorted(requests)
    assert {"on.wav", "for.wav", "against.wav", "abstain.wav", "chosen.wav", "cand-01.wav",
            "cand-12.wav", "item-12.wav", "num-10.wav", "char-F.wav"} <= set(asked)

    played = kiosk.evaluate("() => window.__played.length")
    kiosk.keyboard.press("1")
    expect(radio(kiosk, "民生项目1", "赞成")).to_be_checked()
    kiosk.keyboard.press("ArrowDown")
    kiosk.keyboard.press("3")
    expect(radio(kiosk, "民生项目2", "弃权")).to_be_checked()
    kiosk.wait_for_function(f"() => window.__played.length > {played}")
    kiosk.keyboard.press("Enter")
    expect(kiosk.get_by_role("heading", name="请核对您的选票")).to_be_visible()
    # Choosing asked the server for nothing more: it never learns what was chosen.
    assert sorted(requests) == asked
    assert all(url.startswith("blob:") for url in kiosk.evaluate("() => window.__played"))


def test_no_voice_and_no_server_audio_is_said_on_screen(hall, live_server, new_page,  # noqa: F811
                                                         monkeypatch):
    hall.open_voting(live_server)
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    kiosk = spoken_page(new_page, hall, KIOSK_PORTRAIT, NO_VOICE)
    kiosk.get_by_role("button", name="语音").click()
    expect(kiosk.locator("#speech-status")).to_contain_text("本投票机无法朗读")
    expect(kiosk.locator("#speech-status")).to_contain_text("请联系工作人员")
    scan(kiosk, hall.cards[2])  # the screen still works
    expect(kiosk.get_by_role("heading", name=BALLOT_HEADING)).to_be_focused()

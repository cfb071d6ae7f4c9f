"""The spoken ballot's audio clips (/kiosk/api/vote/speech/<clip>.wav): only the kiosk's fixed
phrases, numbers, tracking-code characters and the open round's project titles, as WAV made by
espeak-ng, bounded in rate and size; never arbitrary text."""

from __future__ import annotations

import json
import re

import pytest

from ballot.models import Kiosk
from ballot.services import kiosks, rounds, speech
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import skip_or_fail
from tests.factories import voting_session


@pytest.fixture
def espeak():
    if not speech.available():
        skip_or_fail("espeak-ng is not installed (make test installs it: tests/setup_env.py)")


@pytest.fixture
def booth(app, db, client):
    """A client enrolled as a voting kiosk of an open round; returns (client, session)."""
    session, _ = voting_session()
    _, code = kiosks.create_pairing(session, "语音投票机", "voting", "staff")
    _, credential = kiosks.enrol(code)
    db.session.commit()
    client.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
    speech.limiter._events.clear()
    return client, session


def clip(client, name: str):
    return client.get(f"/kiosk/api/vote/speech/{name}.wav")


def assert_wav(response) -> bytes:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "audio/wav"
    audio = response.get_data()
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    # The sizes in the header are the real ones (espeak-ng streams "unknown" ones).
    assert int.from_bytes(audio[4:8], "little") == len(audio) - 8
    data = audio.index(b"data")
    assert int.from_bytes(audio[data + 4:data + 8], "little") == len(audio) - data - 8 > 1000
    return audio


def test_fixed_phrases_titles_numbers_and_code_characters_are_spoken(espeak, booth):
    client, session = booth
    for name in ("on", "keys", "for", "chosen", "ballot", "too_many", "item-12", "num-0",
                 "num-10", "char-A", "char-7", "cand-01", "cand-12"):
        response = clip(client, name)
        assert_wav(response)
        assert response.headers["Cache-Control"] == "no-store", name  # as all of /kiosk
    # The same clip again comes from the cache, byte for byte.
    assert clip(client, "cand-01").get_data() == clip(client, "cand-01").get_data()


def test_clip_texts_are_the_kiosk_phrases_and_the_open_round_titles(app, booth):
    _client, session = booth
    round_ = rounds.open_round(session)
    with app.test_request_context():
        _assert_texts(session, round_)


def _assert_texts(session, round_):
    assert speech.clip_text("for", session, round_) == "赞成"
    assert speech.clip_text("ballot", session, round_) == \
        f"请对每个项目选择赞成、反对或弃权。共 {len(round_.candidates)} 个项目，应选 {round_.quota} 个。"
    assert speech.clip_text("item-3", session, round_) == "第 3 项"
    title = next(c.title for c in session.candidates if c.code == "01")
    assert speech.clip_text("cand-01", session, round_) == title
    assert speech.clip_text("num-42", session, round_) == "42"
    # Texts that need the open round are refused without one.
    for name in ("ballot", "item-1", "cand-01"):
        assert speech.clip_text(name, session, None) is None
    assert speech.clip_text("for", session, None) == "赞成"


@pytest.mark.parametrize("name", [
    "hello", "item", "item-0", "item-13", "item-01", "cand-99", "cand-", "num-01", "num-1000",
    "num--1", "char-G", "char-a", "char-AB", "%E4%BD%A0%E5%A5%BD", "%E8%B5%9E%E6%88%90",
    "x" * 41, "for%20you",
])
def test_anything_else_is_refused_in_chinese_without_speaking_it(booth, name):
    client, _session = booth
    response = clip(client, name)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.json["error"] == "phrase_unknown"
    assert "没有这段语音" in response.json["message"]
    assert response.headers["Cache-Control"] == "no-store"


def test_only_an_enrolled_voting_kiosk_may_ask(app, db, client):
    session, _ = voting_session()
    assert clip(client, "for").status_code == 401
    _, code = kiosks.create_pairing(session, "签到机1", "checkin", "staff")
    _, credential = kiosks.enrol(code)
    db.session.commit()
    client.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
    assert clip(client, "for").status_code == 403


def test_a_kiosk_asking_too_often_is_told_to_wait(booth, monkeypatch):
    client, _session = booth
    monkeypatch.setattr(speech.limiter, "limit", 3)
    monkeypatch.setattr(speech, "synthesize", lambda text, voice: b"RIFF")
    assert [clip(client, "for").status_code for _ in range(3)] == [200, 200, 200]
    refused = clip(client, "for")
    assert refused.status_code == 429 and refused.json["error"] == "speech_too_frequent"
    assert "语音请求过于频繁" in refused.json["message"]


def test_the_limiter_forgets_after_a_minute():
    limiter = speech._Limiter(2, period=60)
    assert [limiter.allow("k", now=t) for t in (0, 1, 2)] == [True, True, False]
    assert limiter.allow("other", now=2)
    assert limiter.allow("k", now=61)


def test_without_espeak_the_server_says_so_and_the_kiosk_speaks_with_its_browser_only(
        booth, monkeypatch):
    client, _session = booth
    speech.cache.clear()
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    response = clip(client, "for")
    assert response.status_code == 503 and response.json["error"] == "speech_unavailable"
    assert "espeak-ng" in response.json["message"]
    page = client.get("/kiosk/vote/").get_data(as_text=True)
    assert 'data-speech-url=""' in page
    strings = json.loads(re.search(r'data-strings="([^"]*)"', page).group(1).replace("&#34;", '"'))
    assert "浏览器没有中文语音" in strings["speechNone"]


def test_the_kiosk_page_offers_speech_and_its_keys(espeak, booth):
    client, _session = booth
    page = client.get("/kiosk/vote/").get_data(as_text=True)
    assert 'data-speech-url="/kiosk/api/vote/speech/CLIP.wav"' in page
    assert 'id="speech-toggle"' in page and ">语音<" in page
    assert "逐个听项目" in page and "<kbd>0</kbd> 重听" in page


def test_text_is_bounded_and_passed_on_stdin(espeak, monkeypatch):
    with pytest.raises(speech.PhraseUnknown):
        speech.synthesize("长" * (speech.MAX_TEXT + 1), "cmn")
    # A title that starts with "-" is text, not an espeak-ng option.
    audio = speech.synthesize("-v en 修建老年食堂", speech.VOICES["zh"])
    assert audio[:4] == b"RIFF"


def test_wav_sizes_are_fixed_and_junk_is_refused():
    streamed = b"RIFF" + b"\xff\xff\xff\x7f" + b"WAVE" + b"fmt " + (16).to_bytes(4, "little") \
        + bytes(16) + b"data" + b"\xff\xff\xff\x7f" + bytes(100)
    fixed = speech._fix_wav_sizes(streamed)
    assert int.from_bytes(fixed[4:8], "little") == len(streamed) - 8
    assert int.from_bytes(fixed[40:44], "little") == 100
    with pytest.raises(speech.SpeechFailed):
        speech._fix_wav_sizes(b"<html>not audio</html>" * 3)


def test_the_kiosk_language_picks_the_voice(app, db, booth, monkeypatch):
    client, session = booth
    heard = []
    monkeypatch.setattr(speech, "synthesize", lambda text, voice: heard.append((text, voice)) or b"RIFF")
    kiosk = db.session.query(Kiosk).filter_by(session_id=session.id, name="语音投票机").one()
    assert clip(client, "for").status_code == 200
    assert clip(client, "char-A").status_code == 200
    kiosk.language = "en"
    db.session.commit()
    assert clip(client, "for").status_code == 200
    assert heard == [("赞成", "cmn-latn-pinyin"), ("A", "cmn"), ("For", "en")]


def test_staff_are_told_when_the_server_cannot_make_clips(espeak, booth, login, monkeypatch):
    client, session = booth
    login("staff")
    page = client.get(f"/admin/sessions/{session.slug}/kiosks")
    assert page.status_code == 200, page.status_code
    assert "设备在线情况" in page.text and 'id="speech-missing"' not in page.text
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    page = client.get(f"/admin/sessions/{session.slug}/kiosks").text
    assert "本服务器未安装 espeak-ng" in page and "apt-get install espeak-ng" in page

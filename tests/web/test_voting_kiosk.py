"""The voting kiosk page and its JSON calls: the token travels only in JSON bodies."""

from __future__ import annotations

import base64
import html
import io
import json
import re

import pytest
import zxingcpp
from PIL import Image

from ballot.services import kiosks, rounds
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.factories import card, read_events, session_delegates, ten_for, voting_session


@pytest.fixture
def kiosk_client(app, db, client):
    """A test client enrolled as a voting kiosk of an open round; returns (client, session)."""
    session, _ = voting_session()
    kiosk, code = kiosks.create_pairing(session, "投票机1", "voting", "staff")
    _, credential = kiosks.enrol(code)
    db.session.commit()
    client.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
    return client, session


def test_idle_page_needs_an_enrolled_voting_kiosk(client, kiosk_client):
    kiosk_client_, _ = kiosk_client
    response = kiosk_client_.get("/kiosk/vote/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "请刷代表证领取选票" in page and 'id="scan-input"' in page
    assert "<script>" not in page and "onclick" not in page
    kiosk_client_.delete_cookie(KIOSK_COOKIE, path="/kiosk")
    assert kiosk_client_.post("/kiosk/api/vote/issue", json={"card": "x"}).status_code == 401


def test_issue_cast_and_retry_over_json(db, kiosk_client):
    client, session = kiosk_client
    delegate = session_delegates(session)[0]
    response = client.post("/kiosk/api/vote/issue", json={"card": card(session, delegate)})
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers or "token" not in response.headers["Set-Cookie"]
    token = response.json["token"]
    assert len(base64.urlsafe_b64decode(token)) == 32
    assert [c["code"] for c in response.json["ballot"]["candidates"]][-1] == "12"

    too_many = {f"{i:02d}": "for" for i in range(1, 12)}
    refused = client.post("/kiosk/api/vote/cast", json={"token": token, "choices": too_many})
    assert refused.status_code == 400 and refused.json["error"] == "too_many_approvals"

    first = client.post("/kiosk/api/vote/cast", json={"token": token, "choices": ten_for()})
    assert first.status_code == 200, first.json
    again = client.post("/kiosk/api/vote/cast", json={"token": token, "choices": ten_for()})
    assert again.json["tracking_code"] == first.json["tracking_code"]
    other = client.post("/kiosk/api/vote/cast", json={"token": token, "choices": {"01": "against"}})
    # The token is used: whatever a second submission says, it records nothing and is answered
    # with the receipt of the ballot on the board (no choices are kept to compare it with).
    assert other.status_code == 200 and other.json["tracking_code"] == first.json["tracking_code"]
    assert rounds.returned_count(session, 1) == 1

    repeat = client.post("/kiosk/api/vote/issue", json={"card": card(session, delegate)})
    assert repeat.status_code == 409 and repeat.json["error"] == "already_cast"


def test_return_and_bad_input(db, kiosk_client):
    client, session = kiosk_client
    delegate = session_delegates(session)[1]
    text = card(session, delegate)
    token = client.post("/kiosk/api/vote/issue", json={"card": text}).json["token"]
    assert client.post("/kiosk/api/vote/return",
                       json={"token": token, "card": text}).json == {"returned": True}
    assert rounds.issued_count(session, 1) == 0
    gone = client.post("/kiosk/api/vote/cast", json={"token": token, "choices": ten_for()})
    assert gone.status_code == 409 and gone.json["error"] == "ballot_token_invalid"
    garbage = client.post("/kiosk/api/vote/cast", json={"token": "%%%", "choices": {}})
    assert garbage.status_code == 409
    unknown = client.post("/kiosk/api/vote/issue", json={"card": "PJ1.nope.1.1.AAAA"})
    assert unknown.status_code >= 400 and "message" in unknown.json
    assert client.post("/kiosk/api/vote/issue", data="x").status_code == 400


def test_status_names_the_open_round_so_an_idle_kiosk_can_follow_it(db, kiosk_client):
    client, session = kiosk_client
    page = client.get("/kiosk/vote/").get_data(as_text=True)
    assert 'data-round="1"' in page and 'data-status-url="/kiosk/api/vote/status"' in page
    assert client.get("/kiosk/api/vote/status").json == {"round": 1}
    rounds.close_round(session, "chair")
    db.session.commit()
    assert client.get("/kiosk/api/vote/status").json == {"round": None}
    assert 'data-round=""' in client.get("/kiosk/vote/").get_data(as_text=True)


def test_status_is_pushed_to_the_idle_kiosk_where_streams_are_offered(app, db, kiosk_client):
    client, session = kiosk_client
    app.config.update(LIVE_STREAM="1", LIVE_PERIOD=0.05, LIVE_STREAM_SECONDS=10)
    page = client.get("/kiosk/vote/").get_data(as_text=True)
    assert 'data-status-stream-url="/kiosk/api/vote/status.stream"' in page
    stream = client.get("/kiosk/api/vote/status.stream", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    assert read_events(stream, 1) == [{"round": 1}]
    rounds.close_round(session, "chair")
    db.session.commit()
    # The feed reads once per period and pushes the change; nothing else is sent.
    assert read_events(stream, 1) == [{"round": None}]
    stream.close()
    # Streams off: the page has no stream to follow and the stream is refused (the page polls).
    app.config["LIVE_STREAM"] = "0"
    assert 'data-status-stream-url=""' in client.get("/kiosk/vote/").get_data(as_text=True)
    assert client.get("/kiosk/api/vote/status.stream").status_code == 204
    client.delete_cookie(KIOSK_COOKIE, path="/kiosk")
    assert client.get("/kiosk/api/vote/status.stream").status_code == 401


def _vote_once(client, session, index: int = 0) -> dict:
    delegate = session_delegates(session)[index]
    token = client.post("/kiosk/api/vote/issue", json={"card": card(session, delegate)}).json["token"]
    return client.post("/kiosk/api/vote/cast", json={"token": token, "choices": ten_for()}).json


def test_receipt_names_no_address_when_no_public_url_is_configured(app, db, kiosk_client):
    client, session = kiosk_client
    app.config["PUBLIC_URL"] = ""
    page = client.get("/kiosk/vote/").get_data(as_text=True)
    assert "vk-qr" not in page and "/board/" not in page and "127.0.0.1" not in page
    assert "可在会议公布的公告板上输入查询码" in page
    assert _vote_once(client, session)["board_url"] is None
    app.config["PUBLIC_URL"] = "piaojue.example.gov.cn"  # no scheme: not a usable address either
    assert "vk-qr" not in client.get("/kiosk/vote/").get_data(as_text=True)


def test_receipt_shows_the_public_address_as_text_and_a_qr_code(app, db, kiosk_client):
    client, session = kiosk_client
    app.config["PUBLIC_URL"] = "https://piaojue.example.gov.cn/"
    address = f"https://piaojue.example.gov.cn/s/{session.slug}/board/"
    page = client.get("/kiosk/vote/").get_data(as_text=True)
    assert f'<span class="vk-url" id="board-url">{address}</span>' in page
    match = re.search(r'<img class="vk-qr" src="data:image/png;base64,([^"]+)"', page)
    image = Image.open(io.BytesIO(base64.b64decode(match.group(1))))
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [address]
    assert _vote_once(client, session)["board_url"] == address
    # Shown until 完成, with a timeout that 再看一会儿 starts again.
    assert 'id="receipt-more"' in page and 'data-receipt-seconds="120"' in page


def test_a_rating_kiosk_offers_the_three_grades_and_takes_every_project_satisfied(app, db,
                                                                                  client):
    from decimal import Decimal

    session, _ = voting_session(kind="rating", contested=False, quota=4, candidates=4,
                                min_excess_ratio=Decimal("0"), slug="rate-kiosk")
    _, code = kiosks.create_pairing(session, "测评机1", "voting", "staff")
    _, credential = kiosks.enrol(code)
    db.session.commit()
    client.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
    page = client.get("/kiosk/vote/").get_data(as_text=True)
    assert "民生实事项目满意度测评" in page and "请对每个项目选择“满意”“基本满意”或“不满意”" in page
    assert "民生实事项目票决" not in page
    # 满意, 基本满意, 不满意 in that order, the keypad's 1 2 3 too.
    buttons = re.findall(r'data-choice="(\w+)"', page)
    assert buttons == ["for", "abstain", "against"]
    strings = json.loads(html.unescape(re.search(r'data-strings="([^"]*)"', page).group(1)))
    assert (strings["for"], strings["abstain"], strings["against"]) == ("满意", "基本满意", "不满意")
    assert strings["keys"] == {"1": "for", "2": "abstain", "3": "against"}
    token = client.post("/kiosk/api/vote/issue", json={
        "card": card(session, session_delegates(session)[0])}).json["token"]
    every = {f"{i:02d}": "for" for i in range(1, 5)}
    cast = client.post("/kiosk/api/vote/cast", json={"token": token, "choices": every})
    assert cast.status_code == 200, cast.json


def test_a_rating_kiosk_speaks_the_grades_not_the_vote(app, db):
    from decimal import Decimal

    from ballot.services import speech

    session, _ = voting_session(kind="rating", contested=False, quota=3, candidates=3,
                                min_excess_ratio=Decimal("0"), slug="rate-speech")
    round_ = rounds.open_round(session)
    with app.test_request_context():
        spoken(speech, session, round_)


def spoken(speech, session, round_) -> None:
    assert [speech.clip_text(c, session, round_) for c in ("for", "abstain", "against")] == [
        "满意", "基本满意", "不满意"]
    assert speech.clip_text("ballot", session, round_) == "请对每个项目选择满意、基本满意或不满意。共 3 个项目。"
    assert "按 1 满意，按 2 基本满意，按 3 不满意" in speech.phrases(session)["keys"]
    assert speech.phrases()["for"] == "赞成"  # a 票决 kiosk is unchanged

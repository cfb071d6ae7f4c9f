"""The chair's screen: who may see and act, opening with a quorum, closing, ties, publication."""

from __future__ import annotations

import io
import logging
import random

import pytest

from ballot.extensions import db as db_
from ballot.models import AuditEntry, BoxPartial, Delegate, Round, VoteSession
from ballot.services import rounds
from ballot.verify import verify_bundle
from tests.conftest import KEY_CARDS, make_user
from tests.crypto.bundle_builder import ballots_with
from tests.factories import codes, put_on_board, ready_session, tied_round1, vote

ACTIONS = ("open", "close", "tie-break", "leave-empty", "publish")


def test_anonymous_users_are_sent_to_login(client, db):
    session = ready_session()
    for path in ("", "/scrutiny"):
        response = client.get(f"/chair/{session.slug}{path}")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    # The figures the screen polls answer JSON, like every *.json document.
    response = client.get(f"/chair/{session.slug}/live.json")
    assert response.status_code == 401 and response.json["error"] == "unauthorized"
    assert response.json["message"] == "请先登录。"


@pytest.mark.parametrize("role", ["staff", "scrutineer"])
def test_staff_and_scrutineers_may_watch_but_not_act(client, db, login, role):
    session = ready_session()
    login(role)
    page = client.get(f"/chair/{session.slug}")
    assert page.status_code == 200
    assert "应到" in page.text and "确认开始投票" not in page.text
    for action in ACTIONS:
        assert client.post(f"/chair/{session.slug}/{action}").status_code == 403, action
    assert db.session.get(VoteSession, session.id).state == "checkin"


def test_chair_screen_shows_attendance_quorum_and_fingerprint(client, db, login):
    session = ready_session(present=57)
    login("chair")
    page = client.get(f"/chair/{session.slug}")
    assert page.status_code == 200
    spoken = session.key_fingerprint[:4].upper()
    assert spoken in page.text and "已达到法定人数" in page.text
    assert 'src="/static/js/chair.js"' in page.text and "<script>" not in page.text
    live = client.get(f"/chair/{session.slug}/live.json").get_json()
    assert live == {"state": "checkin", "expected": 60, "present": 57, "leave": 0, "late": 0,
                    "quorum_met": True, "quorum_needed": 31, "round": None,
                    "round_state": None, "issued": 0, "issued_paper": 0, "returned": 0, "confirmations": 0,
                    "box_presented": 0}


def test_opening_without_quorum_is_refused_with_the_reason(client, db, login):
    session = ready_session(present=30)
    login("chair")
    page = client.get(f"/chair/{session.slug}")
    assert "未达到法定人数：应到 60 人，实到 30 人" in page.text
    response = client.post(f"/chair/{session.slug}/open",
                           headers={"Referer": f"http://localhost/chair/{session.slug}"},
                           follow_redirects=True)
    assert "未达到法定人数" in response.text
    assert db.session.get(VoteSession, session.id).state == "checkin"


def test_chair_opens_closes_and_sees_the_count_live(client, db, login, caplog):
    caplog.set_level(logging.DEBUG)
    session = ready_session()
    login("chair")
    assert client.post(f"/chair/{session.slug}/open").status_code == 302
    session = db.session.get(VoteSession, session.id)
    assert session.state == "voting"
    put_on_board(session, ballots_with(random.Random(1), codes(12),
                               dict(zip(codes(12), [38] * 10 + [3, 2], strict=True)), 40, 10),
         issued=45)
    live = client.get(f"/chair/{session.slug}/live.json").get_json()
    assert (live["round"], live["round_state"], live["issued"], live["returned"]) == (1, "open",
                                                                                      45, 40)
    assert client.post(f"/chair/{session.slug}/close").status_code == 302
    db.session.expire_all()
    assert db.session.query(Round).one().result is None  # sealed until the box is opened
    for path in (f"/chair/{session.slug}", f"/chair/{session.slug}/projection"):
        assert "等待监票人开箱（0/2）" in client.get(path).text
    client.post("/logout")

    login("scrutineer", username="chen")
    cards = KEY_CARDS[session.id]
    scrutiny = client.get(f"/chair/{session.slug}/scrutiny").text
    assert "出示密钥卡" in scrutiny and 'type="password"' in scrutiny
    open_box = f"/chair/{session.slug}/scrutiny/open-box"
    # A mistyped card is refused with what to do; nothing is recorded.
    typo = cards[0][:-1] + ("A" if cards[0][-1] != "A" else "B")
    refused = client.post(open_box, data={"card": typo}, follow_redirects=True)
    assert "校验码不符" in refused.text
    assert typo.split("-")[4] not in refused.text  # a card's text is never echoed back
    first = client.post(open_box, data={"card": cards[0].lower()}, follow_redirects=True)
    assert "已出示 1 张密钥卡（陈立），还需 1 位监票人出示。" in first.text
    assert client.get(f"/chair/{session.slug}/live.json").get_json()["box_presented"] == 1
    again = client.post(open_box, data={"card": cards[0]}, follow_redirects=True)
    assert "不能使用两次" in again.text
    db.session.expire_all()
    assert db.session.query(Round).one().result is None
    opened = client.post(open_box, data={"card": cards[1]}, follow_redirects=True)
    assert "票箱已开启，计票完成。" in opened.text
    db.session.expire_all()
    assert db.session.query(Round).one().result["returned"] == 40
    page = client.get(f"/chair/{session.slug}")
    assert "过半数: 31 票" in page.text and "<svg" in page.text
    # No card text was kept anywhere: not in the audit log, not in the partial decryptions.
    stored = " ".join(str(e.detail) for e in db.session.query(AuditEntry))
    stored += " ".join(str(p.partial) for p in db.session.query(BoxPartial))
    assert not any(card.split("-")[4] in stored for card in cards)
    assert not any(card.split("-")[4] in caplog.text for card in cards)  # nor in any log


def test_live_figures_follow_the_latest_round_and_stay_within_the_congress(client, db, login):
    session = ready_session()
    delegate = db.session.query(Delegate).filter_by(session_id=session.id,
                                                    attendance="absent").first()
    delegate.attendance = "leave"
    db.session.commit()
    vote(session, tied_round1())
    login("chair")
    assert client.post(f"/chair/{session.slug}/tie-break").status_code == 302
    by_slug = client.get(f"/chair/{session.slug}/live.json").get_json()
    # Round 2 is the latest: its (still empty) counts, not round 1's.
    assert by_slug == {"state": "voting", "expected": 60, "present": 57, "leave": 1, "late": 0,
                       "quorum_met": True, "quorum_needed": 31, "round": 2,
                       "round_state": "open", "issued": 0, "issued_paper": 0, "returned": 0, "confirmations": 0,
                       "box_presented": 0}
    assert client.get(f"/chair/{session.id}/live.json").get_json() == by_slug
    client.post("/logout")
    login("staff", username="other-town", congress="别的镇人大")
    for ref in (session.slug, session.id):
        response = client.get(f"/chair/{ref}/live.json")
        assert response.status_code == 404 and "找不到会议" in response.json["message"]


def test_late_arrivals_are_counted_live_on_both_screens(client, db, login):
    """迟到 among 实到, live: a delegate checked in after voting opened (at the desk or a kiosk)
    counts once, however many times they are scanned, as the announcement will count them."""
    from ballot.services import checkin, live, roster

    session = ready_session()
    login("chair")
    assert client.post(f"/chair/{session.slug}/open").status_code == 302
    assert client.get(f"/chair/{session.slug}/live.json").get_json()["late"] == 0
    absent = [d for d in roster.list_delegates(session) if d.attendance == "absent"]
    checkin.staff_check_in(session, absent[0], "staff", "迟到")
    checkin.staff_check_in(session, absent[0], "staff", "迟到")  # already present: not again
    checkin.staff_check_in(session, absent[1], "staff", "堵车")
    db.session.commit()
    figures = client.get(f"/chair/{session.slug}/live.json").get_json()
    assert (figures["late"], figures["present"]) == (2, 59)
    assert live.figures_of_sessions([session.id])[session.id]["late"] == checkin.late_arrivals(session)
    screen = client.get(f"/chair/{session.slug}").text
    assert '迟到（投票开始后报到）：<b data-live="late">2</b>' in screen
    projection = client.get(f"/chair/{session.slug}/projection").text
    assert '其中迟到：<b data-live="late">2</b>' in projection


def test_tie_then_tie_break_from_the_screen(client, db, login):
    session = ready_session()
    vote(session, tied_round1())
    login("chair")
    page = client.get(f"/chair/{session.slug}")
    assert "同票跨越入选线" in page.text and "再次投票" in page.text
    assert client.post(f"/chair/{session.slug}/tie-break").status_code == 302
    db.session.expire_all()
    current = rounds.current_round(db.session.get(VoteSession, session.id))
    assert (current.number, current.quota, current.candidates) == (2, 2, ["09", "10", "11"])


def test_leave_empty_needs_a_reason(client, db, login):
    session = ready_session()
    vote(session, tied_round1())
    login("chair")
    referer = {"Referer": f"http://localhost/chair/{session.slug}"}
    refused = client.post(f"/chair/{session.slug}/leave-empty", data={"reason": ""},
                          headers=referer, follow_redirects=True)
    assert "请填写名额空缺的理由" in refused.text
    client.post(f"/chair/{session.slug}/leave-empty", data={"reason": "主席团决定"})
    db.session.expire_all()
    assert rounds.get_round(session, 1).decision == "leave_empty"


def logged_in(app, role: str, username: str | None = None, name: str = ""):
    """A fresh client logged in as a new ``role`` user (one browser per person)."""
    user = make_user(username or role, role)
    user.display_name = name
    db_.session.commit()
    browser = app.test_client()
    assert browser.post("/login", data={"username": username or role,
                                        "password": "correct-horse"}).status_code == 302
    return browser


def test_scrutineer_confirms_then_chair_publishes(app, db):
    session = ready_session()
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), [50] * 10 + [3, 2], strict=True)), 57, 10))
    client = chair = logged_in(app, "chair")
    scrutineer = logged_in(app, "scrutineer", name="陈立")  # the session's chief scrutineer
    referer = {"Referer": f"http://localhost/chair/{session.slug}"}
    early = client.post(f"/chair/{session.slug}/publish", headers=referer, follow_redirects=True)
    assert "总监票人尚未确认" in early.text
    assert client.post(f"/chair/{session.slug}/scrutiny/confirm").status_code == 403
    # Another scrutineer of the congress may watch but not confirm (issue 17, item 12).
    other = logged_in(app, "scrutineer", username="zhao", name="赵敏")
    refused = other.post(f"/chair/{session.slug}/scrutiny/confirm",
                         headers={"Referer": f"http://localhost/chair/{session.slug}/scrutiny"},
                         follow_redirects=True)
    assert "只有本次会议登记的总监票人陈立本人才能确认计票结果" in refused.text
    assert other.post(f"/chair/{session.slug}/scrutiny/confirm").status_code == 403

    page = scrutineer.get(f"/chair/{session.slug}/scrutiny")
    assert "确认计票结果" in page.text
    assert 'data-confirmations="0"' in chair.get(f"/chair/{session.slug}").text
    assert scrutineer.post(f"/chair/{session.slug}/scrutiny/confirm").status_code == 302
    # The chair's screen sees the confirmation on its next poll and redraws (chair.js).
    assert chair.get(f"/chair/{session.slug}/live.json").get_json()["confirmations"] == 1
    assert 'data-confirmations="1"' in chair.get(f"/chair/{session.slug}").text
    assert "已确认计票结果" in scrutineer.get(f"/chair/{session.slug}/scrutiny").text

    response = chair.post(f"/chair/{session.slug}/publish")
    # Back to the console (it shows the published result); the projection stays on the results.
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/chair/{session.slug}")
    db.session.expire_all()
    published = db.session.get(VoteSession, session.id)
    assert published.state == "published"
    assert published.scrutineer_confirmed_by == "陈立"
    assert published.chair_confirmed_by == "chair"
    bundle = client.get(f"/s/{session.slug}/audit-bundle.zip")
    assert bundle.status_code == 200
    assert verify_bundle(io.BytesIO(bundle.data), published.key_fingerprint).ok


def test_live_figures_are_pushed_where_streams_are_offered(app, client, db, login):
    from tests.factories import read_events

    session = ready_session()
    login("chair")
    app.config.update(LIVE_STREAM="1", LIVE_PERIOD=0.05, LIVE_STREAM_SECONDS=10)
    url = f"/chair/{session.slug}/live.stream"
    assert f'data-stream-url="{url}"' in client.get(f"/chair/{session.slug}").text
    stream = client.get(url, buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    assert stream.headers["Cache-Control"] == "no-store"
    assert read_events(stream, 1) == [client.get(f"/chair/{session.slug}/live.json").get_json()]
    assert client.post(f"/chair/{session.slug}/open").status_code == 302
    session = db.session.get(VoteSession, session.id)
    put_on_board(session, ballots_with(random.Random(1), codes(12),
                               dict(zip(codes(12), [38] * 10 + [3, 2], strict=True)), 40, 10),
         issued=45)
    # The feed reads once per period: the screen sees voting open, then every ballot (put_on_board()
    # commits them together, and closes the round after).
    seen = read_events(stream, 3)
    assert seen[0]["state"] == "voting" and seen[-1]["returned"] == 40
    stream.close()
    # Other congresses' sessions stay hidden; streams off are refused, so the page polls.
    client.post("/logout")
    login("staff", username="other-town", congress="别的镇人大")
    assert client.get(url).status_code == 404
    client.post("/logout")
    assert client.get(url).status_code == 401
    login("chair", username="chair-2")
    app.config["LIVE_STREAM"] = "0"
    assert 'data-stream-url=""' in client.get(f"/chair/{session.slug}").text
    assert client.get(url).status_code == 204


def test_chair_login_leads_to_the_console_of_the_session_under_way(app, db):
    session = ready_session()
    make_user("chair", "chair")
    db.session.commit()
    response = app.test_client().post("/login", data={"username": "chair", "password": "correct-horse"})
    assert response.headers["Location"].endswith(f"/chair/{session.slug}")
    # With two sessions under way the chair picks one from the sessions list.
    ready_session(slug="second")
    response = app.test_client().post("/login", data={"username": "chair", "password": "correct-horse"})
    assert response.headers["Location"].endswith("/admin/")
    # Another role is unchanged.
    make_user("staff", "staff")
    db.session.commit()
    response = app.test_client().post("/login", data={"username": "staff", "password": "correct-horse"})
    assert response.headers["Location"].endswith("/admin/")


def test_projection_screen_has_no_controls_and_links_from_the_console(client, db, login):
    session = ready_session(present=57)
    login("chair")
    console = client.get(f"/chair/{session.slug}").text
    assert f'href="/chair/{session.slug}/projection"' in console and "确认开始投票" in console
    page = client.get(f"/chair/{session.slug}/projection")
    assert page.status_code == 200
    for control in ("<form", "<button", "<details", "<input", session.key_fingerprint[:4].upper()):
        assert control not in page.text
    assert "各代表团报到" in page.text and 'data-live-url="/chair/' in page.text
    assert client.get(f"/chair/{session.slug}/projection/delegations.json").get_json() == [
        {"name": "第一代表组", "expected": 60, "present": 57, "leave": 0}]


def test_projection_screen_is_for_staff_only(client, db, login):
    session = ready_session()
    response = client.get(f"/chair/{session.slug}/projection")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/chair/{session.slug}/projection/delegations.json").status_code == 401
    login("staff", congress="别的镇人大")
    assert client.get(f"/chair/{session.slug}/projection").status_code == 404


def test_chinese_names_are_marked_on_english_pages_and_bars_differ_without_colour(client, db, login):
    session = ready_session()
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), [50] * 10 + [3, 2], strict=True)), 57, 10))
    login("chair")
    page = client.get(f"/chair/{session.slug}").text
    assert 'lang="zh-CN"><span' not in page and "<span lang=\"zh-CN\">" not in page  # a Chinese page
    # 反对 hatched and 弃权 dotted: the segments differ by pattern and position, not only colour.
    assert 'fill="url(#ch-against-1)"' in page and 'fill="url(#ch-abstain-1)"' in page
    assert '<pattern id="ch-against-1"' in page
    client.get("/lang/en")
    page = client.get(f"/chair/{session.slug}").text
    assert '<h1 class="ch-title"><span lang="zh-CN">示范镇第十八届人民代表大会第五次会议</span></h1>' in page
    assert '<span lang="zh-CN">民生项目1</span>' in page


def test_publishing_too_early_names_the_step_not_a_state(app, db):
    session = ready_session()
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), [50] * 10 + [3, 2], strict=True)), 57, 10))
    chair = logged_in(app, "chair")
    early = chair.post(f"/chair/{session.slug}/publish", follow_redirects=True)
    assert "还不能确认并公布结果，请先解决以下问题。" in early.text
    assert "阶段" not in early.text.split("还不能")[1][:20]

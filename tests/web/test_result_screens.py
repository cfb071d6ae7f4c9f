"""The chair console, the projection screen, the scrutiny page and the results page for a 测评
(满意 / 基本满意 / 不满意, 满意率, grade, basis) and with paper figures (per kind, invalid with
reasons, a void round naming its kind); and a 测评's session settings form."""

from __future__ import annotations

import datetime as dt
import json
import re

from ballot.domain.fields import RatingPlan
from ballot.extensions import db as _db
from ballot.models import VoteSession
from ballot.services import rating_sessions, results
from tests.factories import (
    PAPER_KEYS,
    PAPER_ROUND,
    confirm_again,
    published,
    published_rating,
    rating_ballots,
    rating_session,
    ready_session,
    tied_round1,
    vote,
    with_paper,
)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _counted_rating():
    source = published()
    session = rating_session(source, codes="1,2,3")
    vote(session, rating_ballots({"01": (30, 6, 4), "02": (15, 10, 15), "03": (5, 10, 25)}, 40))
    return session


def test_a_rating_on_the_console_and_projection_shows_grades_not_votes(client, db, login):
    session = _counted_rating()
    login("chair")
    console = client.get(f"/chair/{session.slug}").text
    text = _text(console)
    assert "测评结果" in text and "90.0%" in text and "37.5%" in text
    assert "发出测评票40张，收回40张，有效票40张，无效票0张" in text
    assert "半数线：收回测评票数 40 的一半" in text
    assert 'class="ch-bar grade-dissatisfied' in console and "✔ 满意" in text
    assert "赞成" not in text and "入选线" not in text and "应选" not in text
    projection = client.get(f"/chair/{session.slug}/projection").text
    text = _text(projection)
    assert 'class="pj-left pj-results pj-rating"' in projection
    assert "90.0%" in text and "基本满意" in text and "不满意" in text
    assert "测评以收回测评票数（40）为基数" in text
    assert "赞成" not in text and "过半数: " not in text
    scrutiny = _text(client.get(f"/chair/{session.slug}/scrutiny").text)
    assert "62.5%" in scrutiny and "赞成" not in scrutiny


def test_a_published_rating_result_page_says_its_basis_and_drops_the_quota(client, db):
    session = _counted_rating()
    confirm_again(session)
    results.publish(session, "chairman")
    _db.session.commit()
    page = client.get(f"/s/{session.slug}/results").text
    text = _text(page)
    assert "过半数的基数：收回测评票数（40）" in text
    assert "应选" not in text and "通过所需赞成票" not in text
    assert "测评以收回测评票数为基数" in text  # the announcement


def test_paper_figures_on_the_console_projection_and_scrutiny_page(client, db, login):
    session = ready_session()
    vote(session, tied_round1())
    login("chair")
    plain = _text(client.get(f"/chair/{session.slug}").text)
    assert "发出选票57张，收回57张，有效票57张，无效票0张" in plain and "纸质" not in plain
    with_paper(session)
    expected = ("发出选票57张（投票机50张，纸质7张），收回57张（投票机50张，纸质7张），"
                "有效票55张，无效票2张（其中超过应选数1张、无法辨认1张）")
    for path in ("", "/projection", "/scrutiny"):
        assert expected in _text(client.get(f"/chair/{session.slug}{path}").text), path


def test_a_void_round_says_which_kind_returned_too_many(client, db, login):
    session = ready_session()
    vote(session, tied_round1())
    with_paper(session, returned_within_issued=False,
           returned_by_kind={"kiosk": 50, "paper": 8})
    login("chair")
    for path in ("", "/projection"):
        text = _text(client.get(f"/chair/{session.slug}{path}").text)
        assert "纸质收回选票多于发出选票，本轮投票无效，须重新投票。" in text, path


def test_paper_figures_on_the_results_page(client, db):
    from tests.factories import published_session

    session = published_session(db)
    page = _text(client.get(f"/s/{session.slug}/results").text)
    assert "纸质" not in page
    document = json.loads(session.result_document)
    document["rounds"][0].update({"valid": 55, "invalid": 2,
                                  **{k: PAPER_ROUND[k] for k in PAPER_KEYS}})
    session.result_document = json.dumps(document, ensure_ascii=False).encode()
    _db.session.commit()
    page = _text(client.get(f"/s/{session.slug}/results").text)
    assert "57 投票机 50 · 纸质 7" in page and "2 超过应选数 1 无法辨认 1" in page
    assert "发出选票57张（投票机50张，纸质7张）" in page  # the announcement


def test_a_rating_settings_form_has_the_basis_not_the_quota(client, db, login):
    source = published()
    session = rating_sessions.create_from(
        source, RatingPlan(date=dt.date(2027, 12, 20), slug="rate-form"), "staff")
    _db.session.commit()
    login("staff")
    form = client.get(f"/admin/sessions/{session.slug}/settings").text
    assert 'name="rating_basis"' in form and "满意度测评：每个项目评为满意" in form
    for field in ('name="quota"', 'name="mode"', 'name="min_excess_ratio"', 'name="pass_basis"'):
        assert field not in form, field
    values = {"title": session.title, "congress": session.congress, "level": session.level,
              "date": "2027-12-21", "year": str(session.year), "late_checkin": "allowed",
              "rating_basis": "roster"}
    client.post(f"/admin/sessions/{session.slug}/settings", data=values)
    saved = _db.session.get(VoteSession, session.id)
    _db.session.refresh(saved)
    assert (saved.rating_basis, saved.date.isoformat()) == ("roster", "2027-12-21")
    assert (saved.quota, saved.contested, saved.kind) == (10, False, "rating")
    answer = client.post(f"/admin/sessions/{session.slug}/settings",
                         data={**values, "rating_basis": "present"}, follow_redirects=True)
    assert "测评的过半数基数只能是收回测评票数或全体代表数" in answer.text
    _db.session.refresh(saved)
    assert saved.rating_basis == "roster"


def test_a_rating_session_page_shows_a_ratings_facts(client, db, login):
    source = published()
    session = rating_sessions.create_from(
        source, RatingPlan(date=dt.date(2027, 12, 20), slug="rate-page", basis="roster"), "staff")
    _db.session.commit()
    login("staff")
    text = _text(client.get(f"/admin/sessions/{session.slug}").text)
    assert "测评项目数 10" in text and "过半数的基数 全体代表数" in text
    assert "测评项目 10 个，每个项目评为满意、基本满意或不满意" in text
    for word in ("应选项目数", "通过规则", "差额比例", "票决方式"):
        assert word not in text, word
    vote_page = _text(client.get(f"/admin/sessions/{source.slug}").text)
    assert "应选项目数" in vote_page and "测评项目数" not in vote_page


def test_paper_ballots_issued_during_voting_are_named_live(client, db, login):
    from ballot.services import voting
    from tests.factories import session_delegates, voting_session

    session, _kiosk = voting_session()
    login("chair", congress=session.congress)
    page = client.get(f"/chair/{session.slug}").text
    assert 'class="ch-paper-note" data-live-show="issued_paper" hidden' in page
    for delegate in session_delegates(session)[:3]:
        voting.issue_paper(session, delegate, "staff", "代表要求")
    _db.session.commit()
    live = client.get(f"/chair/{session.slug}/live.json").get_json()
    assert (live["issued"], live["issued_paper"], live["returned"]) == (3, 3, 0)
    for path in ("", "/projection"):
        text = _text(client.get(f"/chair/{session.slug}{path}").text)
        assert "其中纸质选票 3 张：投票结束后由计票人录入，录入后计入收回选票。" in text, path


def test_a_rating_in_voting_counts_rating_ballots_on_the_console_and_projection(client, db,
                                                                                 login):
    from ballot.services import rounds, voting
    from tests.factories import session_delegates

    session = rating_session(published(), codes="1,2,3")
    rounds.open_voting(session, "chair")
    _db.session.commit()
    voting.issue_paper(session, session_delegates(session)[0], "staff", "代表要求")
    _db.session.commit()
    login("chair")
    for path in ("", "/projection"):
        page = client.get(f"/chair/{session.slug}{path}").text
        text = _text(page)
        assert re.search(r"<dt>发出测评票</dt><dd data-live=\"issued\">1</dd>", page), path
        assert re.search(r"<dt>收回测评票</dt><dd data-live=\"returned\">0</dd>", page), path
        assert "其中纸质测评票 1 张：投票结束后由计票人录入，录入后计入收回测评票。" in text, path
        assert "选票" not in text, path
    client.get("/lang/en")
    text = _text(client.get(f"/chair/{session.slug}").text)
    assert "选票" not in text and "测评票" not in text


def test_a_published_rating_result_page_counts_rating_ballots(client, db):
    source = published()
    session = published_rating(source)
    page = client.get(f"/s/{session.slug}/results").text
    assert '<th class="num">发出测评票</th><th class="num">收回测评票</th>' in page
    assert "发出选票" not in page and "收回选票" not in page  # nor 收回选票数, the basis
    page = client.get(f"/s/{source.slug}/results").text  # the 票决 it rates
    assert '<th class="num">发出选票</th><th class="num">收回选票</th>' in page
    assert "测评票" not in page
    client.get("/lang/en")
    page = client.get(f"/s/{session.slug}/results").text
    assert "Rating ballots issued" in page and "Rating ballots returned" in page

"""Translations: every message in the code has an English translation, the committed .mo matches
the .po, English pages hold no Chinese beyond the data shown on them, and Chinese stays the
default. A string added without a translation fails here, named with where it comes from; run
`make translations`, translate the new entries, and run it again to compile.
"""

from __future__ import annotations

import html
import io
import itertools
import random
import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import current_app

from ballot.domain.errors import InvalidInput
from ballot.extensions import db as db_
from ballot.models import AuditEntry, BoardEntry, Delegate, Kiosk
from ballot.services import candidates, kiosks, results, rounds, sessions
from tests.conftest import close_and_open, make_session, make_user, seal_box
from tests.crypto.bundle_builder import ballots_with
from tests.factories import put_on_board, tied_round1, vote

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "ballot" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# Ideographs plus CJK and full-width punctuation (“：”, “（”, “、”): none belongs in English text.
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# The switch back to Chinese names the language in Chinese, as language switches do.
CHINESE_SWITCH = re.compile(r'(<a href="/lang/zh[^"]*">)中文(</a>)')
CONGRESS = "Demo Town People's Congress"
# The session form posts the level back as stored (乡镇/县/市); only its label is translated.
LEVEL_VALUES = ('value="乡镇"', 'value="县"', 'value="市"')


def _catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the tree now, extracted exactly as `make translations` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"),
                                "-k", "N_", "-c", "TRANSLATORS:", "-o", str(pot), str(ROOT)])
    return _catalog(pot)


def test_every_message_in_the_code_has_an_english_translation(extracted):
    catalog = _catalog(PO)
    missing = [f"{m.id!r} ({', '.join(f'{Path(path).relative_to(ROOT)}:{line}' for path, line in m.locations)})"
               for m in extracted if m.id and not getattr(catalog.get(m.id), "string", None)]
    assert not missing, ("untranslated messages; run `make translations` and translate them in "
                         f"{PO.relative_to(ROOT)}:\n" + "\n".join(missing))
    assert len(extracted) > 500  # the extraction really read the code and templates


def test_catalog_entries_are_complete_english_with_the_same_placeholders():
    catalog = _catalog(PO)
    entries = [m for m in catalog if m.id]
    assert [m.id for m in entries if not m.string] == []
    assert [m.id for m in entries if m.fuzzy] == []
    assert [(m.id, m.string) for m in entries if CJK.search(m.string)] == []
    problems = [(m.id, [str(e) for e in m.check(catalog)]) for m in entries]
    assert [p for p in problems if p[1]] == []
    for message in entries:
        assert (sorted(set(re.findall(r"%\(\w+\)s", message.id)))
                == sorted(set(re.findall(r"%\(\w+\)s", message.string)))), message.id


def test_compiled_catalog_matches_the_po_file():
    catalog = _catalog(PO)
    with MO.open("rb") as handle:
        compiled = read_mo(handle)
    expected = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    actual = {m.id: m.string for m in compiled if m.id}
    stale = sorted(set(expected.items()) ^ set(actual.items()))
    assert not stale, "the .mo is out of date: run `make translations` (pybabel compile)"


# --- English pages ---------------------------------------------------------------------------


def assert_english(response, *data: str, status: int = 200) -> str:
    """The page as text, after checking it holds no Chinese except ``data`` and the 中文 switch."""
    assert response.status_code == status, (response.request.path, response.status_code)
    text = response.get_data(as_text=True)
    assert response.is_json or '<html lang="en">' in text, response.request.path
    plain = CHINESE_SWITCH.sub(r"\1\2", html.unescape(text))
    plain = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), plain)
    for item in data:
        plain = plain.replace(item, "")
    left = [plain[max(0, m.start() - 60):m.end() + 20] for m in CJK.finditer(plain)]
    assert not left, f"{response.request.path}: untranslated text near: {left[:5]}"
    return text


def english_session(slug: str = "en-session", **overrides):
    """A session whose data (title, projects, delegates, scrutineers) is all ASCII."""
    session = make_session(slug=slug, title=f"Fifth Session ({slug})", congress=CONGRESS,
                           chief_scrutineer="Chen Li", scrutineers="Zhao Min, Sun Wei",
                           counters="Zhou Jing, Wu Lei", **overrides)
    for candidate in session.candidates:
        candidate.title = f"Project {candidate.position}"
        candidate.department = "Town office"
        candidate.category = "Schools"
        candidate.summary = "A short summary."
    for delegate in db_.session.query(Delegate).filter_by(session_id=session.id):
        delegate.name = f"Delegate {delegate.roster_order}"
        delegate.delegation = "Group One"
    return session


def checked_in(db, session, present: int = 57):
    """Lock the list, open check-in and mark the first ``present`` delegates present."""
    candidates.lock_list(session, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    sessions.transition(session, "checkin", "staff")
    for delegate in db.session.query(Delegate).filter_by(session_id=session.id):
        if delegate.roster_order <= present:
            delegate.attendance = "present"
    db.session.commit()
    seal_box(session)
    return session


@pytest.fixture
def english(client, db, login):
    """The browser chose English; returns a login helper for the test congress."""
    assert client.get("/lang/en").status_code == 302

    accounts = itertools.count(1)

    def _login(role: str):
        client.post("/logout")
        return login(role, username=f"{role}-{next(accounts)}", congress=CONGRESS)

    return _login


def test_staff_pages_in_english(client, db, english):
    draft = english_session("en-draft", candidates=11)
    db.session.commit()
    assert_english(client.get("/login"))
    assert_english(client.get("/kiosk/enrol"))
    english("staff")
    assert_english(client.get("/admin/"))
    page = assert_english(client.get("/admin/sessions/en-draft"))
    assert "Contested (more candidates than slots)" in page and "Township" in page
    assert "Lock the candidate list" in page
    assert ">Township</option>" in assert_english(client.get("/admin/sessions/new"), *LEVEL_VALUES)
    assert_english(client.get("/admin/sessions/en-draft/settings"), *LEVEL_VALUES)
    first = draft.candidates[0]
    assert_english(client.get(f"/admin/sessions/en-draft/candidates/{first.id}"))
    delegate = db.session.query(Delegate).filter_by(session_id=draft.id).first()
    assert_english(client.get(f"/admin/sessions/en-draft/delegates/{delegate.id}"))
    assert_english(client.get("/s/en-draft/"))
    assert_english(client.get("/"))
    assert_english(client.get("/admin/sessions/en-draft/kiosks"))
    created = client.post("/admin/sessions/en-draft/kiosks", data={"name": "East door",
                                                                   "mode": "checkin"})
    page = assert_english(created)
    assert "Pairing code of the device “East door” (Check-in kiosk):" in page
    page = assert_english(client.get("/admin/audit/"))
    assert "East door" in page


def test_refused_actions_explain_themselves_in_english(client, db, english):
    english_session("en-short", candidates=11)
    db.session.commit()
    english("staff")
    refused = client.post("/api/v1/sessions/en-short/transition", json={"target": "locked"})
    assert refused.status_code == 409
    body = refused.get_json()
    assert_english(refused, status=409)
    assert body["message"].startswith("Cannot proceed to “Candidate list locked” yet.")
    assert any(p["message"].startswith("Not enough candidate projects: 10 slots")
               for p in body["problems"])

    back = {"Referer": "/admin/sessions/en-short"}
    client.post("/admin/sessions/en-short/transition", data={"target": "locked"}, headers=back)
    page = assert_english(client.get("/admin/sessions/en-short"))
    assert "there are 11, so at least 1 more are needed." in page

    # A refused form comes back at once, as typed, with the reason (issue 18.3).
    page = assert_english(client.post("/admin/sessions/new", data={
        "title": "", "date": "soon", "quota": "0"}, headers={"Referer": "/admin/sessions/new"}),
        *LEVEL_VALUES, status=400)
    assert ("The session settings are invalid: Please enter the session title.; Please enter the "
            "session date in the form 2027-01-15.; The number of slots") in page

    locked = english_session("en-locked")
    candidates.lock_list(locked, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    db.session.commit()
    wrong = client.post("/api/v1/sessions/en-locked/candidates", json={"title": "Late project"})
    assert wrong.status_code == 409
    assert wrong.get_json()["message"] == ("The session is in the “Candidate list locked” stage; "
                                          "this action is not possible now.")

    bad = client.post("/api/v1/sessions/en-short/delegates",
                      json={"name": "", "seat": "=1+1", "delegation": "x" * 200})
    assert bad.status_code == 400
    assert bad.get_json()["message"] == (
        "The text is too long (200 characters); at most 120 characters are allowed.; "
        "The text must not start with “=” (it looks like a formula); please enter plain text.; "
        "The delegate’s name is missing.")
    assert "could not be found" in assert_english(client.get("/no-such-page"), status=404)
    page = assert_english(client.get("/admin/sessions/nope"), status=404)
    assert "The session “nope” could not be found." in page


def test_import_errors_in_english_name_line_and_column(client, db, english):
    english_session("en-import", delegates=0)
    db.session.commit()
    english("staff")
    bad = io.BytesIO(b"name,seat,colour\nLi Lei,,red\n")
    response = client.post("/admin/sessions/en-import/delegates/import",
                           data={"file": (bad, "roster.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Import failed" in page
    assert "Line 1, column “colour”: Unknown column “colour”. The columns you can use: " in page
    assert "座位号 (seat), 电话 (phone)." in page  # the file's headers: data, shown as written
    response = client.post("/admin/sessions/en-import/delegates/import",
                           data={"file": (io.BytesIO(b"name,seat\nLi Lei,\n"), "roster.csv")},
                           content_type="multipart/form-data")
    assert "Line 2, column “seat”: The seat number is missing." in response.get_data(as_text=True)


def test_session_day_pages_in_english(app, client, db, english):
    session = checked_in(db, english_session())
    english("chair")
    page = assert_english(client.get("/chair/en-session"))
    assert "Quorum reached" in page and "Open voting" in page
    assert_english(client.get("/chair/en-session/scrutiny"))
    english("staff")
    assert_english(client.get("/admin/sessions/en-session"))
    assert_english(client.get("/admin/sessions/en-session/checkin"))

    rounds.open_voting(session, "chair")
    db.session.commit()
    put_on_board(session, [{"01": "for"}], issued=1)
    assert_english(client.get("/chair/en-session"))
    assert_english(client.get("/s/en-session/board/"))
    page = assert_english(client.get("/s/en-session/results"))
    assert "The result has not been published yet (current stage: Voting)." in page
    close_and_open(session)
    db.session.commit()
    english("chair")
    page = assert_english(client.get("/chair/en-session"))
    assert "Count of round 1" in page and "No majority" in page
    assert "By ballot, no project passed, so no livelihood projects are chosen for 2027 for now." in page


def test_tie_and_published_result_in_english(client, db, english):
    session = checked_in(db, english_session())
    vote(session, tied_round1())
    english("chair")
    page = assert_english(client.get("/chair/en-session"))
    assert "Tie across the cutoff" in page and "Start the further round" in page
    english("scrutineer")
    assert_english(client.get("/chair/en-session/scrutiny"))
    rounds.start_tie_break(session, "chair")
    db.session.commit()
    english("chair")
    page = assert_english(client.get("/chair/en-session"))
    assert "Round 2 (further round), choosing 2: " in page
    vote(session, ballots_with(random.Random(5), ["09", "10", "11"],
                               {"09": 40, "10": 30, "11": 38}, 56, 2))
    chief = make_user("scrut", "scrutineer", congress=CONGRESS)
    chief.display_name = "Chen Li"  # the session's chief scrutineer
    results.confirm_as_scrutineer(session, chief)
    results.confirm_as_chair(session, make_user("chairman", "chair", congress=CONGRESS))
    results.publish(session, "chair")
    db.session.commit()

    page = assert_english(client.get("/s/en-session/results"))
    assert ("Delegates on the roster: 60; present: 57. Ballots issued: 57; returned: 57; "
            "valid: 57; invalid: 0. Because projects tied across the cutoff in round 1, a further "
            "round (round 2) was held") in page
    assert "were chosen as the livelihood projects for 2027: 1. Project" in page
    assert "Tie (further round)" in page and "Chief scrutineer: Chen Li&emsp;Chair: chairman" in page
    assert_english(client.get("/chair/en-session"))
    assert_english(client.get("/chair/en-session/scrutiny"))
    assert_english(client.get("/s/en-session/"))
    assert_english(client.get("/s/en-session/board/"))
    assert_english(client.get("/s/en-session/board/round/2"))
    entry = db.session.query(BoardEntry).filter_by(session_id=session.id, round_number=1).first()
    code = entry.entry_hash[:12].upper()
    found = assert_english(client.post("/s/en-session/board/lookup", data={"code": code}))
    assert "Inclusion proof (RFC 6962)" in found
    assert_english(client.post("/s/en-session/board/lookup", data={"code": "0000-0000-0000"}))
    assert_english(client.get("/admin/sessions/en-session"))
    assert_english(client.get("/admin/"))


# --- kiosks: staff choose the language, delegates cannot -----------------------------------


def _enrol(app, db, session, mode: str):
    """A fresh browser (which never chose a language) enrolled as a kiosk of ``session``."""
    kiosk, code = kiosks.create_pairing(session, f"{mode} kiosk", mode, "staff")
    db.session.commit()
    browser = app.test_client()
    assert browser.post("/kiosk/enrol", data={"code": code}).status_code == 302
    return browser, kiosk


def test_staff_set_a_kiosks_language_and_it_is_audited(app, client, db, login):
    session = english_session()
    db.session.commit()
    browser, kiosk = _enrol(app, db, session, "checkin")
    assert "请刷代表证签到" in browser.get("/kiosk/checkin").get_data(as_text=True)
    login("staff", congress=CONGRESS)
    page = client.get("/admin/sessions/en-session/kiosks").get_data(as_text=True)
    assert f'/admin/sessions/en-session/kiosks/{kiosk.id}/language' in page
    response = client.post(f"/admin/sessions/en-session/kiosks/{kiosk.id}/language",
                           data={"language": "en"})
    assert response.status_code == 302
    assert "设备“checkin kiosk”的语言已设为英文。" in client.get(response.headers["Location"]).text
    assert db.session.get(Kiosk, kiosk.id).language == "en"
    entry = db.session.query(AuditEntry).filter_by(action="kiosk.language").one()
    assert entry.actor == "staff" and entry.session_id == session.id
    assert entry.detail == {"kiosk_id": kiosk.id, "name": "checkin kiosk", "source": "zh",
                            "target": "en"}
    page = assert_english(browser.get("/kiosk/checkin"))
    assert "Please scan your delegate card to check in" in page
    kiosk_page = "/admin/sessions/en-session/kiosks"
    refused = client.post(f"{kiosk_page}/{kiosk.id}/language", data={"language": "fr"},
                          headers={"Referer": kiosk_page})
    assert refused.status_code == 302 and db.session.get(Kiosk, kiosk.id).language == "en"
    assert "设备语言只能是中文或英文。" in client.get(kiosk_page).text
    kiosks.revoke(session, db.session.get(Kiosk, kiosk.id), "staff")
    db.session.commit()
    assert "设定语言" not in client.get(kiosk_page).text  # no form for a revoked device
    with pytest.raises(InvalidInput):
        kiosks.set_language(session, db.session.get(Kiosk, kiosk.id), "zh", "staff")


def test_kiosk_pages_follow_the_kiosk_language_not_the_browser(app, db):
    session = checked_in(db, english_session(), present=0)
    checkin, checkin_kiosk = _enrol(app, db, session, "checkin")
    voting, voting_kiosk = _enrol(app, db, session, "voting")
    for kiosk in (checkin_kiosk, voting_kiosk):
        kiosks.set_language(session, db.session.get(Kiosk, kiosk.id), "en", "staff")
    db.session.commit()
    page = assert_english(checkin.get("/kiosk/checkin"))
    assert "Present %(present)s / on the roster %(expected)s" in page
    scan = checkin.post("/kiosk/api/checkin/scan", json={"text": "not a card"})
    assert scan.status_code >= 400 and not CJK.search(scan.get_json()["message"])
    status = checkin.get("/kiosk/api/checkin/status").get_json()
    assert status["state_label"] == "Check-in open"
    page = assert_english(voting.get("/kiosk/vote/"))
    assert "Please scan your delegate card to receive a ballot" in page
    refused = voting.post("/kiosk/api/vote/issue", json={"card": "PJ1.nope.1.1.AAAA"})
    assert refused.status_code >= 400 and not CJK.search(refused.get_json()["message"])

    # A Chinese kiosk stays Chinese even in a browser that once chose English.
    checkin.get("/lang/en")
    kiosks.set_language(session, db.session.get(Kiosk, checkin_kiosk.id), "zh", "staff")
    db.session.commit()
    assert "请刷代表证签到" in checkin.get("/kiosk/checkin").get_data(as_text=True)


# --- Chinese is the default ------------------------------------------------------------------


def test_chinese_is_the_default_whatever_the_browser_says(client, db):
    for headers in ({}, {"Accept-Language": "en-US,en;q=0.9"}):
        page = client.get("/login", headers=headers).get_data(as_text=True)
        assert '<html lang="zh-CN">' in page and "工作人员登录" in page and "Staff login" not in page
    client.get("/lang/en")
    assert "Staff login" in client.get("/login").get_data(as_text=True)
    client.get("/lang/zh")
    assert "工作人员登录" in client.get("/login").get_data(as_text=True)
    client.get("/lang/xx")
    assert "工作人员登录" in client.get("/login").get_data(as_text=True)
    assert current_app.config["BABEL_DEFAULT_LOCALE"] == "zh"


def test_domain_messages_stay_chinese_without_a_translator():
    from ballot.domain.errors import MESSAGE_SEPARATOR, N_, Listing, WrongState
    from ballot.domain.rules import STATE_LABELS

    assert WrongState(state=STATE_LABELS["locked"]).render() == \
        "当前会议状态为“候选名单已锁定”，不能执行此操作。"
    listing = Listing([(N_("缺少座位号。"), {}), (N_("内容过长（%(length)s 字），最多 %(max)s 字。"),
                                                 {"length": 3, "max": 2})], MESSAGE_SEPARATOR)
    assert InvalidInput(listing).render() == "缺少座位号。；内容过长（3 字），最多 2 字。"
    assert InvalidInput(N_("再次投票的项目不在上一轮候选项目中：%(codes)s"),
                        codes=Listing(["01", "02"])).render() == \
        "再次投票的项目不在上一轮候选项目中：01、02"

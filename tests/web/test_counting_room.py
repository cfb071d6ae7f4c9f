"""The counting room's screens (issue 22.7) and the counter role's guards: two counters enter
the paper ballots sheet after sheet, one corrects a sheet, the scrutineer sees the mismatch side
by side, resolves it and finishes; a counter reaches the counting room and nothing else."""

from __future__ import annotations

import re

from ballot.services import paper_count, rounds
from tests.conftest import open_box
from tests.factories import mixed_round

CODES = [f"{i:02d}" for i in range(1, 13)]


def _client(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "correct-horse"})
    assert response.status_code == 302, response.data
    return client, response.headers["Location"]


def _sheet(client, ref, pass_no, marks: dict | None, sheet: int):
    data = {"sheet": str(sheet)}
    if marks is None:
        data["unreadable"] = "1"
    else:
        data.update({f"mark-{code}": mark for code, mark in marks.items()})
    return client.post(f"/count/{ref}/rounds/1/passes/{pass_no}", data=data)


def test_two_counters_enter_the_pile_and_a_scrutineer_resolves_and_finishes(app, db):
    session, *_people = mixed_round(kiosk_voters=1, paper_voters=3)
    ref = session.slug
    one, landing = _client(app, "jp1")
    assert landing.endswith("/count/")
    home = one.get("/count/").get_data(as_text=True)
    assert f"/count/{ref}/rounds/1" in home and "第 1 轮纸质选票" in home
    page = one.get(f"/count/{ref}/rounds/1/passes/1").get_data(as_text=True)
    assert "第 1 张" in page and "无法辨认" in page
    assert page.count('type="radio"') == 3 * 12
    assert re.search(r'name="mark-01" value="abstain" checked', page)  # a blank is 弃权

    ten = {c: "for" for c in CODES[:10]}
    assert _sheet(one, ref, 1, ten, 1).status_code == 302
    assert _sheet(one, ref, 1, {"01": "against"}, 2).status_code == 302
    assert _sheet(one, ref, 1, None, 3).status_code == 302
    page = one.get(f"/count/{ref}/rounds/1/passes/1").get_data(as_text=True)
    assert "已录入 3 张" in page and "第 4 张" in page
    # A correction: the sheet's own reading comes back preselected.
    fix = one.get(f"/count/{ref}/rounds/1/passes/1?sheet=2").get_data(as_text=True)
    assert "（更正）" in fix and re.search(r'name="mark-01" value="against" checked', fix)

    two, _ = _client(app, "jp2")
    # The other counter may not open the first pass, nor may the first enter the second.
    assert two.get(f"/count/{ref}/rounds/1/passes/1?sheet=1").status_code == 403
    back = f"http://localhost/count/{ref}/rounds/1/passes/2"
    refused = one.post(f"/count/{ref}/rounds/1/passes/2", data={"sheet": "1"},
                       headers={"Referer": back}, follow_redirects=True)
    assert "两遍须由两个不同的计票人独立录入" in refused.get_data(as_text=True)
    assert 2 not in paper_count.status(session, 1).passes
    bad = one.post(f"/count/{ref}/rounds/1/passes/1", data={"sheet": "4", "mark-01": "yes"},
                   headers={"Referer": back}, follow_redirects=True)
    assert "赞成、反对或弃权" in bad.get_data(as_text=True)
    _sheet(two, ref, 2, ten, 1)
    _sheet(two, ref, 2, {"01": "for"}, 2)  # misread
    _sheet(two, ref, 2, None, 3)
    listing = two.get(f"/count/{ref}/rounds/1/passes/2").get_data(as_text=True)
    assert 'count-chip count-diff">2<' in listing

    chief, _ = _client(app, "jianpiao")
    room = chief.get(f"/count/{ref}/rounds/1").get_data(as_text=True)
    assert 'id="sheet-2"' in room and "第一遍" in room and "第二遍" in room
    row = re.search(r'<tr class="count-diff">\s*<td>01 [^<]*</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>',
                    room)
    assert row and (row.group(1), row.group(2)) == ("反对", "赞成")
    assert re.search(r'<button type="submit" class="primary count-big" disabled>', room)
    # Where the passes differ the form chooses nothing: the scrutineer reads the paper. Where
    # they agree (弃权 on 02) it comes preselected.
    sheet_form = room[room.index('id="sheet-2"'):]
    assert not re.search(r'name="mark-01" value="\w+" checked', sheet_form)
    assert re.search(r'name="mark-02" value="abstain" checked', sheet_form)
    unchosen = {f"mark-{code}": "abstain" for code in CODES[1:]}
    refused = chief.post(f"/count/{ref}/rounds/1/resolve", data={"sheet": "2", **unchosen},
                         headers={"Referer": f"http://localhost/count/{ref}/rounds/1"},
                         follow_redirects=True)
    assert "为项目 01 选定核定的标记" in refused.get_data(as_text=True)
    assert paper_count.status(session, 1).open_mismatches
    done = chief.post(f"/count/{ref}/rounds/1/resolve",
                      data={"sheet": "2", "mark-01": "against", **unchosen})
    assert done.status_code == 302
    finished = chief.post(f"/count/{ref}/rounds/1/finish")
    assert finished.status_code == 302 and finished.headers["Location"].endswith(
        f"/chair/{ref}/scrutiny")
    scrutiny = chief.get(f"/chair/{ref}/scrutiny").get_data(as_text=True)
    assert "纸质选票录入完成：共 3 张，有效 2 张，无效 1 张" in scrutiny
    assert not paper_count.awaiting_paper(session, rounds.get_round(session, 1))
    result = open_box(session)
    assert result.returned_by_kind == {"kiosk": 1, "paper": 3}
    assert result.invalid_by_reason == {"over_quota": 0, "unreadable": 1}


def test_chair_console_and_scrutiny_page_wait_for_paper(app, db, login, client):
    session, *_people = mixed_round(kiosk_voters=1, paper_voters=1)
    login("chair", username="chairman")
    console = client.get(f"/chair/{session.slug}").get_data(as_text=True)
    assert "等待纸质选票录入" in console and "等待监票人开箱" not in console
    chief, _ = _client(app, "jianpiao")
    page = chief.get(f"/chair/{session.slug}/scrutiny").get_data(as_text=True)
    assert "等待纸质选票录入" in page and f"/count/{session.slug}/rounds/1" in page
    assert "出示密钥卡" not in page


def test_a_counter_reaches_the_counting_room_and_nothing_else(app, db):
    session, *_people = mixed_round(kiosk_voters=0, paper_voters=1)
    ref = session.slug
    counter, _ = _client(app, "jp1")
    for path in ("/admin/", f"/admin/sessions/{ref}", f"/chair/{ref}", f"/chair/{ref}/scrutiny",
                 f"/admin/sessions/{ref}/checkin", "/admin/accounts/"):
        assert counter.get(path).status_code == 403, path
    for path in (f"/api/v1/sessions/{ref}", f"/api/v1/sessions/{ref}/rounds"):
        assert counter.get(path).status_code == 403, path
    assert counter.post(f"/api/v1/sessions/{ref}/close").status_code == 403
    assert counter.post(f"/count/{ref}/rounds/1/finish").status_code == 403
    assert counter.get("/account/password").status_code == 200
    page = counter.get("/count/").get_data(as_text=True)
    assert "计票室" in page and "/admin/" not in page.split("<main>")[0]
    # Staff and the chair are not counters: no pass page for them.
    staff, _ = _client(app, "jianpiao")
    assert staff.get(f"/count/{ref}/rounds/1/passes/1").status_code == 403


def test_an_admin_creates_a_counter_on_the_accounts_page(client, db, login):
    from ballot.models import User

    login("admin", congress=None)
    page = client.get("/admin/accounts/").get_data(as_text=True)
    assert '<option value="counter">计票人</option>' in page
    made = client.post("/admin/accounts/", data={"username": "jp7", "role": "counter",
                                                 "congress": "示范镇人大",
                                                 "display_name": "计票人丙"})
    assert made.status_code == 200, made.get_data(as_text=True)[:300]
    user = db.session.query(User).filter_by(username="jp7").one()
    assert (user.role, user.congress) == ("counter", "示范镇人大")


def test_the_session_page_names_the_paper_entry_as_the_next_step(app, db, login, client):
    from ballot.services import progress

    session, *_people = mixed_round(kiosk_voters=1, paper_voters=1)
    assert [s.key for s in progress.steps(session)][:2] == ["paper", "open_box"]
    login("staff", username="desk")
    page = client.get(f"/admin/sessions/{session.slug}").get_data(as_text=True)
    assert "计票人在计票室两遍录入纸质选票" in page


def test_an_empty_paper_box_is_finished_from_the_round_page(app, db):
    session, *_people = mixed_round(kiosk_voters=1, paper_voters=1)
    chief, _ = _client(app, "jianpiao")
    page = chief.get(f"/count/{session.slug}/rounds/1").get_data(as_text=True)
    assert "纸质票箱中没有选票：完成录入" in page
    done = chief.post(f"/count/{session.slug}/rounds/1/finish", data={"empty": "1"})
    assert done.status_code == 302
    assert rounds.get_round(session, 1).paper_finished
    assert open_box(session).returned_by_kind == {"kiosk": 1, "paper": 0}

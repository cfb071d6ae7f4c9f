"""The check-in desk page: server-side search and filter, one reason box for the selected
delegate (empty, required), bulk leave, messages in the sticky panel, list downloads."""

from __future__ import annotations

from sqlalchemy import select

from ballot.extensions import db as _db
from ballot.models import AuditEntry, Delegate
from ballot.services import roster
from tests.conftest import make_session


def _desk(client, session, **params):
    return client.get(f"/admin/sessions/{session.slug}/checkin", query_string=params) \
        .get_data(as_text=True)


def _rows_shown(page: str) -> int:
    return page.count('data-search="') - page.count('" hidden>') - page.count('" hidden ')


def test_search_and_filter_without_javascript(client, db, login):
    login("staff")
    session = make_session(delegates=12, state="checkin")
    people = roster.list_delegates(session)
    people[0].name = "张建国"
    people[1].attendance = "leave"
    db.session.commit()
    page = _desk(client, session, q="zjg")
    assert "显示 1 / 12 人" in page
    assert 'data-search="张建国 001 第一代表组 zjg zhangjianguo"' in page
    assert "显示 1 / 12 人" in _desk(client, session, status="leave")
    assert "显示 11 / 12 人" in _desk(client, session, status="absent")
    assert "没有符合条件的代表" in _desk(client, session, q="nobody")
    assert "/attendance/signin.xlsx" in page and "/attendance/absent.pdf" in page


def test_one_reason_box_empty_and_required_for_the_selected_delegate(client, db, login):
    login("staff")
    session = make_session(delegates=3, state="checkin")
    delegate = roster.list_delegates(session)[1]
    db.session.commit()
    page = _desk(client, session)
    assert page.count('name="reason"') == 2  # the panel's and the bulk leave's, no per-row boxes
    assert "忘带代表证" not in page
    picked = _desk(client, session, selected=delegate.id, q="代表")
    assert f"{delegate.name}（座位 {delegate.seat}" in picked
    assert 'id="desk-reason" name="reason" required maxlength="200" autocomplete="off" value=""' in picked
    assert f"/delegates/{delegate.id}/checkin" in picked
    refused = client.post(f"/admin/sessions/{session.slug}/delegates/{delegate.id}/checkin",
                          data={"reason": " ", "q": "代表"}, follow_redirects=True)
    assert "请填写人工签到的原因" in refused.get_data(as_text=True)
    done = client.post(f"/admin/sessions/{session.slug}/delegates/{delegate.id}/checkin",
                       data={"reason": "忘带代表证", "q": "代表", "status": "all"})
    location = done.headers["Location"]
    assert f"selected={delegate.id}" in location and "q=" in location
    assert location.endswith("#desk-panel")
    page = client.get(location).get_data(as_text=True)
    panel = page[page.index('id="desk-panel"'):page.index('id="desk-search"')]
    assert f"{delegate.name} 代表已签到。" in panel  # the message sits in the sticky panel


def test_undo_from_the_panel_confirms_without_asking_the_reason_again(client, db, login):
    login("staff")
    session = make_session(delegates=2, state="checkin")
    delegate = roster.list_delegates(session)[0]
    delegate.attendance = "present"
    db.session.commit()
    asked = client.post(f"/admin/sessions/{session.slug}/delegates/{delegate.id}/checkin/undo",
                        data={"reason": "误点"}).get_data(as_text=True)
    assert "确认撤销签到" in asked and 'name="reason" value="误点"' in asked
    assert 'id="confirm-reason"' not in asked


def test_bulk_leave_with_one_reason(client, db, login):
    login("staff")
    session = make_session(delegates=5, state="checkin")
    people = roster.list_delegates(session)
    db.session.commit()
    url = f"/admin/sessions/{session.slug}/delegates/leave"
    ids = [str(people[0].id), str(people[2].id)]
    refused = client.post(url, data={"ids": ids, "reason": ""}, follow_redirects=True)
    assert "请填写请假原因" in refused.get_data(as_text=True)
    assert "请先在名单中勾选" in client.post(url, data={"reason": "出差"},
                                          follow_redirects=True).get_data(as_text=True)
    done = client.post(url, data={"ids": ids, "reason": "因公出差"}, follow_redirects=True)
    assert "已为 2 名代表登记请假" in done.get_data(as_text=True)
    _db.session.expire_all()
    states = _db.session.execute(select(Delegate.attendance).where(
        Delegate.session_id == session.id).order_by(Delegate.roster_order)).scalars().all()
    assert states == ["leave", "absent", "leave", "absent", "absent"]
    reasons = _db.session.execute(select(AuditEntry.detail).where(
        AuditEntry.action == "delegate.leave")).scalars().all()
    assert [r["reason"] for r in reasons] == ["因公出差", "因公出差"]


def test_lists_download(client, db, login):
    login("staff")
    session = make_session(delegates=3, state="checkin")
    db.session.commit()
    for kind in ("signin", "absent"):
        for fmt in ("csv", "xlsx", "pdf"):
            answer = client.get(f"/admin/sessions/{session.slug}/attendance/{kind}.{fmt}")
            assert answer.status_code == 200, (kind, fmt)
            assert "attachment" in answer.headers["Content-Disposition"]
    assert client.get(f"/admin/sessions/{session.slug}/attendance/x.doc").status_code == 400

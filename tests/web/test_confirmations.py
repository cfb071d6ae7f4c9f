"""Every destructive action asks first and names the consequence; nothing changes until the yes.
Printing every card is refused after check-in opens; a replacement card needs a reason."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ballot.extensions import db as _db
from ballot.models import AuditEntry, Candidate, Delegate, Kiosk
from ballot.services import credentials, roster
from tests.conftest import make_session


def _count(model, session_id):
    return _db.session.execute(select(func.count()).select_from(model)
                               .where(model.session_id == session_id)).scalar_one()


@pytest.mark.parametrize("what", ["candidate", "delegate"])
def test_deleting_asks_first(client, db, login, what):
    login("staff")
    session = make_session(delegates=3, candidates=12)
    db.session.commit()
    model = Candidate if what == "candidate" else Delegate
    row = db.session.execute(select(model).where(model.session_id == session.id)).scalars().first()
    url = f"/admin/sessions/{session.slug}/{what}s/{row.id}/delete"
    asked = client.post(url)
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "确认删除" in text and "取消，返回" in text
    assert 'role="alertdialog"' in text and 'name="confirmed" value="1"' in text
    _db.session.expire_all()
    assert _count(model, session.id) == (12 if what == "candidate" else 3)
    assert client.post(url, data={"confirmed": "1"}).status_code == 302
    assert _count(model, session.id) == (11 if what == "candidate" else 2)


def test_printing_every_card_asks_naming_how_many_cards_stop_working(client, db, login):
    login("staff")
    session = make_session(delegates=4, state="locked")
    delegate = roster.list_delegates(session)[0]
    old = credentials.issue_card(delegate, "staff")
    db.session.commit()
    page = client.get(f"/admin/sessions/{session.slug}").get_data(as_text=True)
    assert "打印全部代表证…" in page and 'value="badge"' in page
    asked = client.post(f"/admin/sessions/{session.slug}/cards.pdf", data={"layout": "badge"})
    text = asked.get_data(as_text=True)
    assert "全部 4 名代表" in text and "已有 1 名代表制过卡" in text and "立即作废" in text
    assert 'name="layout" value="badge"' in text  # the choice travels with the yes
    assert credentials.identify(session, old).id == delegate.id  # nothing changed yet
    pdf = client.post(f"/admin/sessions/{session.slug}/cards.pdf",
                      data={"layout": "badge", "confirmed": "1"})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "cards-test-session-badge.pdf" in pdf.headers["Content-Disposition"]


def test_after_check_in_opens_only_single_reissue_with_a_reason(client, db, login):
    login("staff")
    session = make_session(delegates=2, state="checkin")
    delegate = roster.list_delegates(session)[0]
    old = credentials.issue_card(delegate, "staff")
    db.session.commit()
    page = client.get(f"/admin/sessions/{session.slug}").get_data(as_text=True)
    assert "打印全部代表证…" not in page and "逐人补发" in page
    refused = client.post(f"/admin/sessions/{session.slug}/cards.pdf", data={"confirmed": "1"},
                          follow_redirects=True)
    assert "不能再为全体代表重新制卡" in refused.get_data(as_text=True)
    assert credentials.identify(session, old).id == delegate.id

    url = f"/admin/sessions/{session.slug}/delegates/{delegate.id}/card.png"
    asked = client.post(url).get_data(as_text=True)
    assert "现持第 1 版代表证" in asked and "第 2 版" in asked and 'name="reason"' in asked
    blank = client.post(url, data={"confirmed": "1", "reason": " "}, follow_redirects=True)
    assert "补发代表证须填写原因" in blank.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Delegate, delegate.id).card_version == 1
    png = client.post(url, data={"confirmed": "1", "reason": "代表证遗失"})
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    entry = _db.session.execute(select(AuditEntry).where(AuditEntry.action == "card.reissue")
                                ).scalar_one()
    assert entry.detail["reason"] == "代表证遗失"
    desk = client.get(f"/admin/sessions/{session.slug}/checkin").get_data(as_text=True)
    assert "第 2 版" in desk


def test_revoking_a_kiosk_asks_first(client, db, login):
    login("staff")
    session = make_session(delegates=1)
    kiosk = Kiosk(session_id=session.id, name="东门签到 1 号", mode="checkin")
    db.session.add(kiosk)
    db.session.commit()
    asked = client.post(f"/admin/sessions/{session.slug}/kiosks/{kiosk.id}/revoke")
    assert "停用设备“东门签到 1 号”" in asked.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Kiosk, kiosk.id).revoked_at is None

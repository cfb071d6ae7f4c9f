"""The session page always shows what comes next, with links and done marks."""

from __future__ import annotations

from ballot.models import Kiosk, utcnow
from ballot.services import credentials, roster
from tests.conftest import make_session


def test_locked_session_lists_cards_kiosks_and_check_in(client, db, login):
    login("staff")
    session = make_session(delegates=2, state="locked")
    for delegate in roster.list_delegates(session):
        credentials.issue_card(delegate, "staff")
    db.session.add(Kiosk(session_id=session.id, name="签到1", mode="checkin", enrolled_at=utcnow()))
    db.session.commit()
    page = client.get(f"/admin/sessions/{session.slug}").get_data(as_text=True)
    section = page[page.index('id="next-steps"'):]
    section = section[:section.index("</section>")]
    for text in ("打印代表证并发给代表", "配对签到机", "配对投票机", "开始签到"):
        assert text in section, text
    assert section.count("已完成") >= 2  # cards for everyone, a paired check-in kiosk
    assert f"/admin/sessions/{session.slug}/kiosks" in section


def test_closed_session_points_to_scrutiny_publication_and_records(client, db, login):
    login("staff")
    session = make_session(delegates=2, state="closed")
    db.session.commit()
    page = client.get(f"/admin/sessions/{session.slug}").get_data(as_text=True)
    for text in ("总监票人核对计票并确认", "主持人宣布并公布结果", "导出结果记录（PDF）供签字盖章"):
        assert text in page, text
    assert f"/chair/{session.slug}/scrutiny" in page

"""Rehearsal pages: clone from the session page; reset and delete ask first and name the
consequence; a real session offers neither."""

from __future__ import annotations

from sqlalchemy import func, select

from ballot.extensions import db as _db
from ballot.models import Kiosk, VoteSession
from ballot.services import sessions
from tests.factories import ready_session


def test_clone_reset_and_delete_from_the_pages(client, db, login):
    source = ready_session()
    login("staff")
    page = client.get(f"/admin/sessions/{source.slug}").get_data(as_text=True)
    assert "复制为演练场次" in page and "删除演练场次" not in page
    response = client.post(f"/admin/sessions/{source.slug}/drill/clone")
    assert response.status_code == 302 and "test-session-drill" in response.headers["Location"]
    drill_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "【演练】" in drill_page and "演练场次：本场用于培训和彩排" in drill_page
    drill = sessions.get_session("test-session-drill")
    _db.session.add(Kiosk(session_id=drill.id, name="演练投票机", mode="voting"))
    _db.session.commit()

    # Without the yes, the post only asks, naming what will happen, and changes nothing.
    asked = client.post("/admin/sessions/test-session-drill/drill/delete")
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "签到机、投票机随之停用" in text and 'name="confirmed" value="1"' in text
    assert "取消，返回" in text
    _db.session.expire_all()
    assert _db.session.get(VoteSession, drill.id) is not None

    asked = client.post("/admin/sessions/test-session-drill/drill/reset")
    assert "将清除本场演练的全部签到记录" in asked.get_data(as_text=True)
    reset = client.post("/admin/sessions/test-session-drill/drill/reset", data={"confirmed": "1"})
    assert reset.status_code == 302

    deleted = client.post("/admin/sessions/test-session-drill/drill/delete",
                          data={"confirmed": "1"})
    assert deleted.status_code == 302 and deleted.headers["Location"].endswith("/admin/")
    _db.session.expire_all()
    assert _db.session.get(VoteSession, drill.id) is None
    assert _db.session.execute(select(func.count()).select_from(Kiosk)).scalar_one() == 0
    assert "已删除" in client.get("/admin/").get_data(as_text=True)


def test_a_real_session_cannot_be_reset_or_deleted_from_the_web(client, db, login):
    source = ready_session()
    login("staff")
    for action in ("reset", "delete"):
        response = client.post(f"/admin/sessions/{source.slug}/drill/{action}",
                               data={"confirmed": "1"}, follow_redirects=True)
        assert "正式会议不能重置或删除" in response.get_data(as_text=True)
    _db.session.expire_all()
    assert sessions.counts(sessions.get_session(source.slug)).present == 57

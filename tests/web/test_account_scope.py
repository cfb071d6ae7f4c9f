"""An account limited to one congress sees and acts only on its sessions: pages, API and CLI.

The scope is set by the admin on 账号管理 and takes effect on the user's very next request.
"""

from __future__ import annotations

from ballot.services import accounts, sessions
from tests.conftest import make_session, make_user

OURS, THEIRS = "示范镇人大", "另一镇人大"


def _pages(slug: str) -> list[str]:
    return [f"/admin/sessions/{slug}", f"/chair/{slug}", f"/admin/sessions/{slug}/export/csv",
            f"/admin/sessions/{slug}/checkin", f"/api/v1/sessions/{slug}",
            f"/api/v1/sessions/{slug}/counts"]


def _visible(client) -> set[str]:
    return {s["slug"] for s in client.get("/api/v1/sessions").get_json()}


def test_scope_limits_pages_and_api_and_the_admin_moves_it(client, db, login, app):
    make_session(slug="ours", congress=OURS, delegates=4)
    make_session(slug="theirs", congress=THEIRS, delegates=4)
    make_user("root", "admin", congress=None)
    db.session.commit()
    login("staff", username="li", congress=OURS)
    assert _visible(client) == {"ours"}
    home = client.get("/admin/").get_data(as_text=True)
    assert "/admin/sessions/ours" in home and "/admin/sessions/theirs" not in home
    missing = client.get("/admin/sessions/no-such-session")
    for path in _pages("theirs"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        if path.startswith("/admin/sessions/theirs") and path.count("/") == 3:
            # Exactly the answer for a session that does not exist: no existence leak.
            assert answer.data.replace(b"theirs", b"X") == missing.data.replace(
                b"no-such-session", b"X")
    for path in _pages("ours"):  # found (a draft's export: 409, not yet counted)
        assert client.get(path).status_code in (200, 409), path
    assert client.post("/api/v1/sessions/theirs/lock").status_code == 404

    admin = app.test_client()
    admin.post("/login", data={"username": "root", "password": "correct-horse"})
    uid = accounts.find_user("li").id
    admin.post(f"/admin/accounts/{uid}/scope", data={"congress": THEIRS})
    assert _visible(client) == {"theirs"}  # the next request already
    assert client.get("/admin/sessions/ours").status_code == 404
    assert client.get("/admin/sessions/theirs").status_code == 200
    admin.post(f"/admin/accounts/{uid}/scope", data={"congress": ""})
    assert _visible(client) == {"ours", "theirs"}


def test_scope_limits_the_command_line_as_user(app, db):
    make_session(slug="ours", congress=OURS, delegates=4)
    make_session(slug="theirs", congress=THEIRS, delegates=4)
    make_user("li", "staff", congress=OURS)
    make_user("chairman", "chair", congress=OURS)
    db.session.commit()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["lock", "theirs", "--as", "li"])
    assert refused.exit_code == 1 and "找不到会议“theirs”" in refused.output
    simulate = runner.invoke(args=["simulate", "theirs", "--as", "chairman"])
    assert simulate.exit_code == 1 and "找不到会议“theirs”" in simulate.output
    db.session.expire_all()
    assert sessions.get_session("theirs").state == "draft"
    done = runner.invoke(args=["lock", "ours", "--as", "li"])
    assert done.exit_code == 0, done.output
    moved = runner.invoke(args=["user", "scope", "li", THEIRS])
    assert moved.exit_code == 0, moved.output
    assert runner.invoke(args=["lock", "theirs", "--as", "li"]).exit_code == 0
    db.session.expire_all()
    assert sessions.get_session("theirs").state == "locked"

"""Security headers and language defaults."""


def test_headers_on_pages_and_api(client):
    for path in ("/", "/login", "/api/v1/sessions"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_chinese_by_default_even_for_english_browsers(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "工作人员登录" in page
    assert 'lang="zh-CN"' in page


def test_no_inline_scripts_in_rendered_pages(client, db, login):
    import re

    from tests.conftest import make_session

    make_session()
    db.session.commit()
    login("staff")
    for path in ("/", "/login", "/admin/", "/admin/sessions/test-session", "/s/test-session/"):
        page = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", page):
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\son(click|load|submit|change|input)=", page), path
        assert "javascript:" not in page, path


def test_nul_characters_are_refused_with_a_message_and_change_nothing(client, db, login):
    from ballot.models import Delegate, VoteSession
    from tests.conftest import make_session

    login("admin")
    session = make_session(delegates=0)
    db.session.commit()
    message = "提交的内容含有空字符（NUL），请删除后重新提交。"
    form = client.post("/admin/sessions/new", follow_redirects=True,
                       data={"title": "a\x00b", "date": "2027-01-15", "quota": "10"})
    assert form.status_code == 400 and message in form.text
    added = client.post(f"/admin/sessions/{session.slug}/delegates",
                        data={"name": "王\x00", "seat": "1"}, follow_redirects=True)
    assert added.status_code == 400 and message in added.text
    query = client.get("/admin/audit/?actor=a%00b")
    assert query.status_code == 400 and message in query.text
    api = client.post(f"/api/v1/sessions/{session.slug}/delegates",
                      json={"name": "王\u0000", "seat": "1"})
    assert api.status_code == 400 and api.json["message"] == message
    db.session.expire_all()
    assert db.session.execute(db.select(VoteSession)).scalars().all() == [session]
    assert db.session.execute(db.select(Delegate)).scalars().all() == []


def test_requests_beyond_the_connection_slots_wait_then_are_refused_cleanly(app, client):
    """A gevent worker takes every connection; requests beyond the pool's slots wait their turn
    and, past REQUEST_WAIT_SECONDS, get a clear 503 instead of a pool time-out's 500."""
    from ballot.web.admission import EXTENSION

    app.config["REQUEST_WAIT_SECONDS"] = 0.05
    gate = app.extensions[EXTENSION]
    taken = 0
    while gate.acquire(blocking=False):  # every slot busy elsewhere
        taken += 1
    assert taken == app.config["DB_POOL_SIZE"] == 6
    busy = client.get("/healthz")
    assert busy.status_code == 503 and "服务器正忙" in busy.text
    api = client.get("/api/v1/sessions")
    assert api.status_code == 503 and api.json["message"] == "服务器正忙，操作未进行，请稍后重试。"
    gate.release()
    assert client.get("/healthz").status_code == 200
    # Each request gives its slot back, also when it fails.
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/healthz").status_code == 200
    for _ in range(taken - 1):
        gate.release()

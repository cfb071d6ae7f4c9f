"""The JSON API: sessions, candidates, roster, transitions, errors as JSON."""

import io
from pathlib import Path

from tests.conftest import make_session

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_session_lifecycle_through_the_api(client, db, login):
    login("staff")
    response = client.post("/api/v1/sessions", json={
        "title": "示范镇第十八届人民代表大会第五次会议", "slug": "api-demo", "date": "2027-01-15",
        "quota": 10})
    assert response.status_code == 201
    body = response.get_json()
    assert body["ratio"]["required"] == 12 and body["state"] == "draft"
    for i in range(11):
        assert client.post("/api/v1/sessions/api-demo/candidates",
                           json={"title": f"项目{i}", "budget": "100"}).status_code == 201
    refused = client.post("/api/v1/sessions/api-demo/transition", json={"target": "locked"})
    assert refused.status_code == 409
    problem = refused.get_json()["problems"][0]
    assert problem["code"] == "candidate_list_too_short" and "还需至少 1 个" in problem["message"]
    client.post("/api/v1/sessions/api-demo/candidates", json={"title": "项目11"})
    locked = client.post("/api/v1/sessions/api-demo/transition", json={"target": "locked"})
    assert locked.status_code == 200
    assert locked.get_json()["state"] == "locked"
    assert len(locked.get_json()["key_fingerprint"]) == 64
    upload = client.post("/api/v1/sessions/api-demo/delegates/import", data={
        "file": (io.BytesIO((FIXTURES / "roster.xlsx").read_bytes()), "roster.xlsx")},
        content_type="multipart/form-data")
    assert upload.status_code == 201 and upload.get_json() == {"imported": 60}
    counts = client.get("/api/v1/sessions/api-demo/counts").get_json()
    assert counts["expected"] == 60 and counts["present"] == 0 and counts["quorum_met"] is False


def test_bad_import_returns_every_row_as_json(client, db, login):
    make_session(delegates=0)
    db.session.commit()
    login("staff")
    response = client.post("/api/v1/sessions/test-session/delegates/import", data={
        "file": (io.BytesIO((FIXTURES / "roster_bad.csv").read_bytes()), "bad.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "import_rejected"
    assert [row["line"] for row in body["rows"]] == [3, 5, 7, 8]


def test_invalid_json_body_is_a_clear_400(client, db, login):
    make_session()
    db.session.commit()
    login("staff")
    response = client.post("/api/v1/sessions/test-session/candidates", data="not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["message"] == "请求体须为 JSON 对象。"
    missing = client.get("/api/v1/sessions/nope")
    assert missing.status_code == 404 and "nope" in missing.get_json()["message"]


def test_json_types_are_checked_at_the_edge(client, db, login):
    # Issue 17, item 13: bool(body.get("leave", True)) put a delegate on leave for "false".
    from tests.factories import session_delegates

    session = make_session(delegates=2)
    db.session.commit()
    delegate_id = session_delegates(session)[0].id
    login("staff")
    url = f"/api/v1/sessions/test-session/delegates/{delegate_id}/leave"
    for wrong in ("false", "true", 0, 1, None, [], {}):
        refused = client.post(url, json={"leave": wrong, "reason": "因病"})
        assert refused.status_code == 400, wrong
        assert refused.get_json()["error"] == "invalid_input"
        assert "leave" in refused.get_json()["message"] and "true" in refused.get_json()["message"]
    for wrong in (5, ["因病"], {"text": "因病"}):
        refused = client.post(url, json={"leave": True, "reason": wrong})
        assert refused.status_code == 400 and "reason" in refused.get_json()["message"], wrong
    assert client.get("/api/v1/sessions/test-session/counts").get_json()["leave"] == 0
    marked = client.post(url, json={"leave": True, "reason": "因病"})
    assert marked.status_code == 200 and marked.get_json()["attendance"] == "leave"
    cleared = client.post(url, json={"leave": False})
    assert cleared.status_code == 200 and cleared.get_json()["attendance"] == "absent"
    assert client.post(url, json={}).get_json()["attendance"] == "leave"  # documented default
    client.get("/lang/en")
    english = client.post(url, json={"leave": "false"}).get_json()["message"]
    assert "leave" in english and "true or false" in english


def test_board_lookup_wants_a_text_code(client, db):
    session = make_session(state="checkin")
    db.session.commit()
    for wrong in ({"code": 123}, {"code": ["3FA2-91BC-07D4"]}, {"code": None}, ["x"], "x"):
        refused = client.post(f"/s/{session.slug}/board/lookup.json", json=wrong)
        assert refused.status_code == 400, wrong
        assert refused.get_json()["error"] == "invalid_input" and refused.get_json()["message"]

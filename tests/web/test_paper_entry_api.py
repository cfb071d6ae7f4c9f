"""The counting room over /api/v1 and the command line (issue 22.6): both passes, the status,
the scrutineer's resolution and finish, with the screens' checks and clear Chinese refusals."""

from __future__ import annotations

from ballot.extensions import db as _db
from ballot.services import paper_count, rounds
from tests.conftest import make_user, open_box
from tests.factories import ELEVEN_FOR, mixed_round, ten_for

CODES = [f"{i:02d}" for i in range(1, 13)]


def _client(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "correct-horse"})
    assert response.status_code == 302, response.data
    return client


def _sheets(*readings):
    return [{"unreadable": True} if r is None else {"marks": r} for r in readings]


def test_api_double_entry_resolution_and_finish(app, db):
    session, *_people = mixed_round(kiosk_voters=2, paper_voters=3)
    base = f"/api/v1/sessions/{session.slug}/rounds/1/paper"
    one, two, chief = _client(app, "jp1"), _client(app, "jp2"), _client(app, "jianpiao")
    made = one.post(f"{base}/passes/1", json={"sheets": _sheets(ten_for(), ELEVEN_FOR, None)})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["first"] == 1 and made.get_json()["status"]["passes"]["1"] == {
        "account": "jp1", "sheets": 3}
    made = two.post(f"{base}/passes/2",
                    json={"sheets": _sheets(ten_for(), ELEVEN_FOR, {"03": "for"})})
    assert made.status_code == 201
    # A counter sees which sheets disagree, not the readings; the scrutineer sees both.
    seen = one.get(base).get_json()
    assert seen["mismatches"] == [{"sheet": 3, "resolved": False}] and not seen["ready"]
    full = chief.get(base).get_json()
    assert full["mismatches"] == [{"sheet": 3, "first": {"unreadable": True},
                                   "second": {"marks": {**dict.fromkeys(CODES, "abstain"),
                                                        "03": "for"}},
                                   "resolved": None}]
    early = chief.post(f"{base}/finish")
    assert early.status_code == 409 and early.get_json()["error"] == "not_ready"
    assert "第 3 张" in early.get_json()["message"] + str(early.get_json())
    # Roles: a counter cannot resolve or finish, a scrutineer cannot enter a pass.
    assert one.post(f"{base}/resolve", json={"sheet": 3, "unreadable": True}).status_code == 403
    assert chief.post(f"{base}/passes/1", json={"sheets": _sheets(None)}).status_code == 403
    resolved = chief.post(f"{base}/resolve", json={"sheet": 3, "unreadable": True})
    assert resolved.status_code == 200 and resolved.get_json()["status"]["ready"]
    done = chief.post(f"{base}/finish")
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["invalid_by_reason"] == {"over_quota": 1, "unreadable": 1}
    assert done.get_json()["merkle_root"] == rounds.get_round(session, 1).merkle_root
    result = open_box(session)
    assert result.returned_by_kind == {"kiosk": 2, "paper": 3}
    again = one.post(f"{base}/passes/1", json={"sheets": _sheets(None), "first": 1})
    assert again.status_code == 409 and "已经开启" in again.get_json()["message"]


def test_api_bad_input_is_a_clear_400(app, db):
    session, *_people = mixed_round(kiosk_voters=0, paper_voters=2)
    base = f"/api/v1/sessions/{session.slug}/rounds/1/paper"
    one = _client(app, "jp1")
    for body, words in (
        ({"sheets": [{"marks": {"99": "for"}}]}, "99"),
        ({"sheets": [{"marks": {"01": "赞"}}]}, "赞成、反对或弃权"),
        ({"sheets": ["F F"]}, "unreadable"),
        ({"sheets": []}, "sheets"),
        ({"sheets": _sheets(None), "first": 0}, "first"),
    ):
        response = one.post(f"{base}/passes/1", json=body)
        assert response.status_code == 400, body
        assert words in response.get_json()["message"], response.get_json()
    third = one.post(f"{base}/passes/3", json={"sheets": _sheets(None)})
    assert third.status_code == 400 and "第一遍" in third.get_json()["message"]
    assert one.post(f"{base}/passes/1", json={"sheets": _sheets(None)}).status_code == 201
    same = one.post(f"{base}/passes/2", json={"sheets": _sheets(None)})
    assert same.status_code == 403 and "两个不同的计票人" in same.get_json()["message"]
    assert paper_count.status(session, 1).passes[1].sheets == 1


def test_cli_passes_status_resolve_and_finish(app, db, tmp_path):
    session, *_people = mixed_round(kiosk_voters=1, paper_voters=3)
    make_user("admin-ish", "staff")
    _db.session.commit()
    runner = app.test_cli_runner()
    ref = session.slug
    pass1 = tmp_path / "pass1.txt"
    pass1.write_text("# 第一遍\n" + " ".join(["赞成"] * 10 + ["反对"] * 2) + "\n"
                     "FFFFFFFFFFF-\n无法辨认\n", encoding="utf-8")
    ok = runner.invoke(args=["paper-pass", ref, "--round", "1", "--pass", "1", "--as", "jp1",
                             "-f", str(pass1)])
    assert ok.exit_code == 0, ok.output
    assert "本遍共 3 张" in ok.output
    ok = runner.invoke(args=["paper-pass", ref, "--round", "1", "--pass", "2", "--as", "jp2"],
                       input="FFFFFFFFFFAA\nFFFFFFFFFFF-\nA - - - - - - - - - - -\n")
    assert ok.exit_code == 0, ok.output
    waiting = runner.invoke(args=["tally", ref])  # round 1 closed, its paper not yet entered
    assert waiting.exit_code == 1 and "等待纸质选票录入" in waiting.output
    assert f"ballot paper-status {ref} --round 1" in waiting.output
    shown = runner.invoke(args=["paper-status", ref, "--round", "1"])
    assert shown.exit_code == 0 and "第 3 张: X | A-----------" in shown.output
    bad = runner.invoke(args=["paper-pass", ref, "--round", "1", "--pass", "2", "--as", "jp2",
                              "--first", "3"], input="F F\n")
    assert bad.exit_code == 1 and "本轮有 12 个项目，这一行有 2 个标记" in bad.output
    wrong_role = runner.invoke(args=["paper-finish", ref, "--round", "1", "--as", "jp1"])
    assert wrong_role.exit_code == 1 and "jp1" in wrong_role.output
    early = runner.invoke(args=["paper-finish", ref, "--round", "1", "--as", "jianpiao"])
    assert early.exit_code == 1 and "不一致" in early.output
    fixed = runner.invoke(args=["paper-resolve", ref, "--round", "1", "--sheet", "3",
                                "--marks", "X", "--as", "jianpiao"])
    assert fixed.exit_code == 0, fixed.output
    done = runner.invoke(args=["paper-finish", ref, "--round", "1", "--as", "jianpiao"])
    assert done.exit_code == 0, done.output
    assert "超过应选数 1，无法辨认 1" in done.output
    assert open_box(session).returned_by_kind == {"kiosk": 1, "paper": 3}
    help_text = runner.invoke(args=["paper-pass", "--help"]).output
    assert "无法辨认" in help_text and "F/A/-" in help_text


def test_counter_accounts_from_the_command_line(app, db):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["user", "create", "jp9", "--role", "counter",
                               "--congress", "示范镇人大"], input="a-long-password\n" * 2)
    assert made.exit_code == 0, made.output
    assert "counter" in made.output


def test_empty_paper_box_over_the_api_and_the_command_line(app, db):
    session, *_people = mixed_round(kiosk_voters=1, paper_voters=1)
    chief = _client(app, "jianpiao")
    base = f"/api/v1/sessions/{session.slug}/rounds/1/paper"
    bad = chief.post(f"{base}/finish", json={"empty": "yes"})
    assert bad.status_code == 400 and "empty" in bad.get_json()["message"]
    refused = chief.post(f"{base}/finish")
    assert refused.status_code == 409 and refused.get_json()["error"] == "not_ready"
    done = app.test_cli_runner().invoke(args=["paper-finish", session.slug, "--round", "1",
                                              "--empty", "--as", "jianpiao"])
    assert done.exit_code == 0, done.output
    assert "0 张" in done.output
    assert open_box(session).returned_by_kind == {"kiosk": 1, "paper": 0}

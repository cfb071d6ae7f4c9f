"""The ``ballot`` command through Flask's CLI runner."""

import io
from pathlib import Path

from sqlalchemy import func, select

from ballot.models import Candidate, Delegate, User, VoteSession
from tests.conftest import make_session

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_command_has_help(app):
    runner = app.test_cli_runner()
    for name in ("init-db", "serve", "demo", "create-user", "sessions", "import-projects",
                 "import-delegates"):
        result = runner.invoke(args=[name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage" in result.output


def test_demo_is_idempotent_and_prints_working_logins(app, db, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "已存在演示会议" in second.output
    # This year's session to run, last year's, published and tracked, and the open 测评 on
    # last year's chosen projects (ballot/demo.py).
    assert db.session.execute(select(func.count()).select_from(VoteSession)).scalar_one() == 3
    session = db.session.execute(select(VoteSession).where(VoteSession.slug == "demo")).scalar_one()
    assert session.quota == 10 and len(session.candidates) == 12
    assert all(c.department and c.budget for c in session.candidates)
    delegates = db.session.execute(select(Delegate).where(Delegate.session_id == session.id)).scalars().all()
    assert len(delegates) == 60 and len({d.delegation for d in delegates}) >= 4
    assert len({(d.name, d.delegation) for d in delegates}) == 60
    password = next(line.split()[1] for line in second.output.splitlines()
                    if line.strip().startswith("staff "))
    response = client.post("/login", data={"username": "staff", "password": password})
    assert response.status_code == 302
    assert "示范镇第十八届人民代表大会第五次会议" in client.get("/admin/").get_data(as_text=True)
    # The two counting staff of the demo can log in; a counter lands in the counting room.
    for username in ("counter1", "counter2"):
        secret = next(line.split()[1] for line in second.output.splitlines()
                      if line.strip().startswith(f"{username} "))
        counter = app.test_client()
        landed = counter.post("/login", data={"username": username, "password": secret})
        assert landed.status_code == 302 and landed.headers["Location"].endswith("/count/")


def test_demo_seeds_last_years_vote_published_and_tracked(app, db):
    from ballot.demo import PAST_FORS, PAST_SLUG
    from ballot.services import export, results, sessions, tracking
    from ballot.verify import verify_bundle

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    past = sessions.get_session(PAST_SLUG)
    assert past.is_drill and past.state == "published" and past.year == 2026
    document = results.published_document(past)
    assert document["chosen"] == [f"{i:02d}" for i in range(1, 11)]
    assert [document["rounds"][0]["counts"][f"{i:02d}"]["for"] for i in range(1, 13)] == PAST_FORS
    assert verify_bundle(io.BytesIO(export.to_bundle(past))).ok
    projects = tracking.projects(past)
    assert len(projects) == 10 and all(p.reports and p.ratings and p.supervisors for p in projects)
    rectified = [p for p in projects if p.rectification]
    assert [p.candidate.title for p in rectified] == ["社区文化活动中心"]
    assert rectified[0].reports[0].kind == "rectification"
    assert any(p.percent_done < 100 for p in projects)
    assert any(r.photos for p in projects for r in p.reports)
    from ballot.demo import RATING_SLUG
    from ballot.services import box

    rating = sessions.get_session(RATING_SLUG)
    assert (rating.kind, rating.is_drill, rating.state) == ("rating", True, "checkin")
    assert box.is_sealed(rating) and rating.box_drill_shares
    assert [c.title for c in rating.candidates] == [p.candidate.title for p in projects]
    assert [c.tracked_project_id for c in rating.candidates] == [p.id for p in projects]


def test_create_user_from_password_file(app, db, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("a-long-password\n")
    result = app.test_cli_runner().invoke(
        args=["create-user", "li", "--role", "chair", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.username == "li")).scalar_one()
    assert user.role == "chair" and user.check_password("a-long-password")
    short = tmp_path / "short"
    short.write_text("abc")
    result = app.test_cli_runner().invoke(
        args=["create-user", "wang", "--role", "staff", "--password-file", str(short)])
    assert result.exit_code == 1 and "密码至少 8 位" in result.output


def test_create_user_prompts_for_password(app, db):
    result = app.test_cli_runner().invoke(args=["create-user", "zhao", "--role", "staff"],
                                          input="pass-word-1\npass-word-1\n")
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(User).where(User.username == "zhao")).scalar_one()


def test_imports_and_sessions_listing(app, db):
    make_session(candidates=0, delegates=0)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-projects", "test-session", str(FIXTURES / "projects_gbk.csv")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["import-delegates", "1", str(FIXTURES / "roster.xlsx")])
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(func.count()).select_from(Candidate)).scalar_one() == 12
    listing = runner.invoke(args=["sessions"]).output
    assert "test-session" in listing and "候选 12/应选 10" in listing and "应到 60" in listing


def test_bad_import_exits_nonzero_listing_rows(app, db):
    make_session(delegates=0)
    db.session.commit()
    result = app.test_cli_runner().invoke(
        args=["import-delegates", "test-session", str(FIXTURES / "roster_bad.csv")])
    assert result.exit_code == 1
    assert "第 3 行" in result.output and "第 8 行" in result.output
    assert db.session.execute(select(func.count()).select_from(Delegate)).scalar_one() == 0

"""``ballot tally``, ``ballot publish`` and ``ballot export`` through Flask's CLI runner."""

from __future__ import annotations

import csv
import io

from ballot.models import VoteSession
from ballot.services import rounds
from ballot.verify import verify_bundle
from tests.conftest import make_user
from tests.factories import confirm_both, counted_session, ready_session, tied_round1, vote


def test_commands_have_help(app):
    runner = app.test_cli_runner()
    for name in ("tally", "export"):
        result = runner.invoke(args=[name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, name


def test_tally_prints_each_round_and_the_tie(app, db):
    session = ready_session()
    vote(session, tied_round1())
    result = app.test_cli_runner().invoke(args=["tally", session.slug])
    assert result.exit_code == 0, result.output
    assert "第 1 轮  应选 10  应到 60  实到 57  发出 57  收回 57  有效 57  无效 0  过半数 31 票" in result.output
    assert "同票，待主持人决定" in result.output and "有同票待决定" in result.output


def test_tally_before_counting_fails_with_a_message(app, db):
    session = ready_session()
    result = app.test_cli_runner().invoke(args=["tally", session.slug])
    assert result.exit_code == 1 and "尚无计票结果" in result.output


def test_publish_lists_problems_then_succeeds(app, db):
    session = ready_session()
    vote(session, tied_round1())
    make_user("chair", "chair")
    db.session.commit()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["publish", session.slug, "--as", "chair"])
    assert refused.exit_code == 1
    # Publishing as the chair is the chair's confirmation: what is still missing is listed.
    for text in ("同票项目跨越入选线", "总监票人尚未确认"):
        assert text in refused.output
    session = db.session.get(VoteSession, session.id)
    rounds.leave_empty(session, "chair", "主席团决定")
    db.session.commit()
    confirm_both(session)
    done = runner.invoke(args=["publish", session.slug, "--as", "chair"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    assert db.session.get(VoteSession, session.id).state == "published"


def test_export_csv_and_bundle(app, db, tmp_path):
    session = counted_session(db)
    runner = app.test_cli_runner()
    out = tmp_path / "r.csv"
    result = runner.invoke(args=["export", session.slug, "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["示范镇第十八届人民代表大会第五次会议"]
    refused = runner.invoke(args=["export", session.slug, "--format", "bundle",
                                  "-o", str(tmp_path / "b.zip")])
    assert refused.exit_code == 1 and "结果尚未公布" in refused.output

    confirm_both(db.session.get(VoteSession, session.id))
    make_user("chair", "chair")
    db.session.commit()
    assert runner.invoke(args=["publish", session.slug, "--as", "chair"]).exit_code == 0
    bundle = tmp_path / "b.zip"
    result = runner.invoke(args=["export", session.slug, "--format", "bundle", "-o", str(bundle)])
    assert result.exit_code == 0, result.output
    assert verify_bundle(bundle).ok

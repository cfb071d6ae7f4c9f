"""Every session-day step as a ``ballot`` command: a whole session from the command line alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from ballot.models import AuditEntry, Round, VoteSession
from ballot.services import rounds, sessions
from tests.conftest import KEY_CARDS, make_session, make_user
from tests.factories import ready_session, tied_round1, vote, voting_session

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "docs" / "session-day.sh"
STEPS = ("lock", "unlock", "pair-kiosk", "open-checkin", "checkin", "leave", "open", "close",
         "tie-break", "leave-empty", "confirm", "publish", "fingerprint", "simulate")


def test_the_readme_script_runs_a_whole_session_from_demo_to_a_verified_bundle(app, db, tmp_path):
    """docs/session-day.sh, shown in the README, run as a shell script of `ballot` commands."""
    assert SCRIPT.read_text(encoding="utf-8") in (ROOT / "README.md").read_text(encoding="utf-8")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    db.session.remove()
    env = {**os.environ, "BALLOT_DATABASE_URL": url,
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("BALLOT_CONFIG", None)
    done = subprocess.run(["sh", str(SCRIPT)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "核验通过 / verified" in done.stdout
    # Both fingerprints checked: the session key's and the ballot box's (ballot fingerprint --box).
    assert "ballot box fingerprint" in done.stdout and "checked against the one given" in done.stdout
    assert (tmp_path / "audit-bundle.zip").exists()
    session = sessions.get_session("demo")
    assert session.state == "published"
    actions = db.session.execute(select(AuditEntry.action, AuditEntry.actor)
                                 .where(AuditEntry.session_id == session.id)).all()
    # The commands wrote what the screens write, under the accounts named with --as.
    for action, actor in (("round.open", "chair"), ("round.close", "chair"),
                          ("box.partial", "simulate"), ("round.count", "simulate"),
                          ("result.scrutineer_confirmed", "scrutineer"),
                          ("result.chair_confirmed", "chair"), ("result.published", "chair"),
                          ("checkin.staff", "cli"), ("delegate.leave", "cli"),
                          ("kiosk.create", "cli")):
        assert (action, actor) in actions, (action, actor)


def test_every_step_explains_itself_and_flask_options_are_hidden(app):
    runner = app.test_cli_runner()
    for name in STEPS:
        result = runner.invoke(args=[name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, name
    from ballot.cli import main

    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0
    for hidden in ("--env-file", "--app", "--debug"):
        assert hidden not in top.output
    assert "pair-kiosk" in " ".join(top.output.split())


def test_chair_steps_need_a_chair_account(app, db):
    session, _ = _checked_in()
    make_user("staff", "staff")
    db.session.commit()
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["open", session.slug])
    assert missing.exit_code == 2 and "--as" in missing.output
    unknown = runner.invoke(args=["open", session.slug, "--as", "nobody"])
    assert unknown.exit_code == 1 and "没有名为“nobody”的有效账号" in unknown.output
    staff = runner.invoke(args=["open", session.slug, "--as", "staff"])
    assert staff.exit_code == 1 and "chair" in staff.output
    make_user("other-chair", "chair", congress="另一镇人大")
    db.session.commit()
    other = runner.invoke(args=["open", session.slug, "--as", "other-chair"])
    assert other.exit_code == 1 and "找不到会议" in other.output
    assert rounds.current_round(sessions.get_session(session.slug)) is None


def test_cli_close_is_the_chairs_close_and_open_box_takes_one_card_each(app, db):
    session, _ = _checked_in()
    make_user("chair", "chair")
    make_user("chen", "scrutineer")
    make_user("zhao", "scrutineer")
    db.session.commit()
    runner = app.test_cli_runner()
    opened = runner.invoke(args=["open", session.slug, "--as", "chair"])
    assert opened.exit_code == 0 and "第 1 轮投票已开始" in opened.output, opened.output
    closed = runner.invoke(args=["close", session.slug, "--as", "chair"])
    assert closed.exit_code == 0, closed.output
    assert "票箱已封存" in closed.output and "ballot open-box" in closed.output
    db.session.expire_all()
    round_ = db.session.execute(select(Round)).scalar_one()
    assert round_.state == "closed" and round_.result is None
    assert round_.merkle_root in closed.output
    actions = db.session.execute(select(AuditEntry.action).where(
        AuditEntry.actor == "chair")).scalars().all()
    assert actions == ["session.state", "round.open", "session.state", "round.close"]

    cards = KEY_CARDS[session.id]
    drill = runner.invoke(args=["open-box", session.slug, "--drill"])
    assert drill.exit_code == 1 and "只有演练会议" in drill.output
    nobody = runner.invoke(args=["open-box", session.slug], input=cards[0])
    assert nobody.exit_code != 0 and "--as" in nobody.output
    first = runner.invoke(args=["open-box", session.slug, "--as", "chen"], input=cards[0] + "\n")
    assert first.exit_code == 0 and "已出示密钥卡 1/2" in first.output, first.output
    twice = runner.invoke(args=["open-box", session.slug, "--as", "zhao"], input=cards[0])
    assert twice.exit_code == 1 and "不能使用两次" in twice.output
    second = runner.invoke(args=["open-box", session.slug, "--as", "zhao"], input=cards[2])
    assert second.exit_code == 0 and "票箱已开启并计票" in second.output, second.output
    db.session.expire_all()
    assert db.session.execute(select(Round)).scalar_one().result["returned"] == 0
    assert db.session.execute(select(AuditEntry.action).where(
        AuditEntry.actor == "zhao")).scalars().all() == ["box.partial", "round.count"]


def test_tie_break_leave_empty_confirm_publish_as_named_accounts(app, db):
    session = ready_session()
    vote(session, tied_round1())
    for name, role in (("chair", "chair"), ("scrut", "scrutineer"), ("staff", "staff"),
                       ("zhao", "scrutineer")):
        make_user(name, role).display_name = {"scrut": "陈立", "zhao": "赵敏"}.get(name, "")
    db.session.commit()
    runner = app.test_cli_runner()
    early = runner.invoke(args=["publish", session.slug, "--as", "chair"])
    assert early.exit_code == 1 and "同票项目跨越入选线" in early.output
    assert runner.invoke(args=["leave-empty", session.slug, "--as", "chair"]).exit_code == 1
    empty = runner.invoke(args=["leave-empty", session.slug, "--as", "chair",
                                "--reason", "主席团决定"])
    assert empty.exit_code == 0, empty.output
    again = runner.invoke(args=["tie-break", session.slug, "--as", "chair"])
    assert again.exit_code == 1 and "没有等待决定的同票" in again.output
    wrong = runner.invoke(args=["confirm", session.slug, "--as", "staff"])
    assert wrong.exit_code == 1
    not_chief = runner.invoke(args=["confirm", session.slug, "--as", "zhao"])
    assert not_chief.exit_code == 1 and "陈立" in not_chief.output
    assert runner.invoke(args=["confirm", session.slug, "--as", "scrut"]).exit_code == 0
    published = runner.invoke(args=["publish", session.slug, "--as", "chair"])
    assert published.exit_code == 0, published.output
    db.session.expire_all()
    assert db.session.get(VoteSession, session.id).state == "published"
    fingerprint = runner.invoke(args=["fingerprint", session.slug])
    assert fingerprint.output.strip() == db.session.get(VoteSession, session.id).key_fingerprint


def test_staff_steps_find_delegates_by_seat_or_name(app, db):
    session = make_session(delegates=4, is_drill=True)
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["lock", session.slug]).exit_code == 0
    paired = runner.invoke(args=["pair-kiosk", session.slug, "--name", "签到机", "--mode",
                                 "checkin"])
    assert paired.exit_code == 0 and "配对码" in paired.output
    leave = runner.invoke(args=["leave", session.slug, "--name", "代表2", "--reason", "出差"])
    assert leave.exit_code == 0 and "代表2 代表已请假" in leave.output
    early = runner.invoke(args=["checkin", session.slug, "--seat", "001", "--reason", "忘带"])
    assert early.exit_code == 1 and "现在不是签到时间" in early.output
    assert runner.invoke(args=["open-checkin", session.slug]).exit_code == 0
    no_reason = runner.invoke(args=["checkin", session.slug, "--seat", "001"])
    assert no_reason.exit_code == 1 and "原因" in no_reason.output
    nobody = runner.invoke(args=["checkin", session.slug, "--seat", "999", "--reason", "x"])
    assert nobody.exit_code == 1 and "没有座位号为“999”的代表" in nobody.output
    both = runner.invoke(args=["checkin", session.slug, "--reason", "x"])
    assert both.exit_code == 1 and "座位号或姓名" in both.output
    done = runner.invoke(args=["checkin", session.slug, "--seat", "001", "--reason", "忘带"])
    assert done.exit_code == 0 and "代表1 代表已签到" in done.output
    db.session.expire_all()
    counts = sessions.counts(sessions.get_session(session.slug))
    assert (counts.present, counts.leave) == (1, 1)


def test_simulate_runs_a_draft_drill_to_a_counted_round_and_says_so(app, db):
    session = make_session(delegates=20, is_drill=True)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["simulate", session.slug, "--seed", "3", "--turnout", "0.8"])
    assert result.exit_code == 0, result.output
    for said in ("已锁定候选名单", "已开始签到", "已签到 16 名代表", "已封箱", "第 1 轮投票已开始",
                 "已投 16 张", "第 1 轮投票已结束，票箱已封存", "已用 2 份演练密钥开箱"):
        assert said in result.output
    db.session.expire_all()
    session = sessions.get_session(session.slug)
    assert session.state == "closed"
    assert rounds.get_round(session, 1).result is not None
    late = runner.invoke(args=["simulate", session.slug])
    assert late.exit_code == 1 and "ballot tie-break" in late.output


def _checked_in():
    """A session in check-in with 8 of 10 delegates present and a voting kiosk."""
    return voting_session(delegates=10, present=8, open_round=False)


def test_the_readme_command_tables_list_every_command_and_no_other(app):
    """Every `ballot …` command of the README's tables exists, and every command is in them."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The `ballot` command"):readme.index("## Session day")]
    listed = set()
    for line in section.splitlines():
        if line.startswith("| `ballot "):
            listed |= set(re.findall(r"`ballot ([a-z-]+)", line.split(" | ")[0]))
    assert listed == set(app.cli.commands)

"""``ballot user …``: the account management page's commands."""

from __future__ import annotations

import re

from sqlalchemy import select

from ballot.models import AuditEntry
from ballot.services import accounts
from tests.conftest import make_user


def _account(db, name):
    db.session.expire_all()
    return accounts.find_user(name)


def test_create_list_scope_disable_enable_reset(app, db):
    make_user("root", "admin", congress=None)
    db.session.commit()
    runner = app.test_cli_runner()
    made = runner.invoke(args=["user", "create", "li", "--role", "staff", "--congress", "示范镇人大",
                               "--name", "李明", "--generate"])
    assert made.exit_code == 0, made.output
    password = re.search(r"shown once\): (\S+)", made.output).group(1)
    li = _account(db, "li")
    assert li.check_password(password) and li.must_change_password and li.display_name == "李明"

    listed = runner.invoke(args=["user", "list"]).output
    assert re.search(r"li\s+staff\s+启用 / active\s+-\s+示范镇人大  须改密码", listed), listed
    assert re.search(r"root\s+admin\s+启用 / active\s+-\s+全部 / all", listed), listed

    both = runner.invoke(args=["user", "scope", "li", "另一镇人大", "--all"])
    assert both.exit_code == 1 and "二者选一" in both.output
    assert runner.invoke(args=["user", "scope", "li", "--all"]).exit_code == 0
    assert _account(db, "li").congress is None
    unknown = runner.invoke(args=["user", "disable", "nobody", "--yes"])
    assert unknown.exit_code == 1 and "没有名为“nobody”的账号" in unknown.output

    asked = runner.invoke(args=["user", "disable", "li"], input="n\n")
    assert asked.exit_code == 1 and _account(db, "li").active
    assert runner.invoke(args=["user", "disable", "li"], input="y\n").exit_code == 0
    assert _account(db, "li").active is False
    assert "已停用 / disabled" in runner.invoke(args=["user", "list"]).output
    assert runner.invoke(args=["user", "enable", "li"]).exit_code == 0
    assert _account(db, "li").active

    last = runner.invoke(args=["user", "disable", "root", "--yes"])
    assert last.exit_code == 1 and "最后一个启用的管理员" in last.output

    reset = runner.invoke(args=["user", "reset-password", "li", "--yes"])
    fresh = re.search(r"shown once\): (\S+)", reset.output).group(1)
    assert fresh != password and _account(db, "li").check_password(fresh)

    actions = db.session.execute(select(AuditEntry.actor, AuditEntry.action).where(
        AuditEntry.action.like("user.%")).order_by(AuditEntry.id)).all()
    assert [a for a in actions if a[1] != "user.create" or a[0] == "cli"] == [
        ("cli", "user.create"), ("cli", "user.scope"), ("cli", "user.disable"),
        ("cli", "user.enable"), ("cli", "user.password_reset")]
    logged = str(db.session.execute(select(AuditEntry.detail)).scalars().all())
    assert password not in logged and fresh not in logged


def test_create_user_is_still_there_and_the_same_command(app, db, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("chair-password\n", encoding="utf-8")
    runner = app.test_cli_runner()
    done = runner.invoke(args=["create-user", "chen", "--role", "chair", "--password-file",
                               str(secret), "--must-change"])
    assert done.exit_code == 0, done.output
    chen = _account(db, "chen")
    assert chen.check_password("chair-password") and chen.must_change_password

"""``ballot user …``: the 账号管理 page on the command line (list, create, scope, disable,
enable, reset-password). Changes are audited under the actor ``cli``; ``ballot create-user``
is the same as ``ballot user create``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ballot.commands import fail as _fail
from ballot.domain.errors import N_, BallotError, InvalidInput
from ballot.models.accounts import ROLES


def _named(username: str):
    from ballot.services import accounts

    user = accounts.find_user(username)
    if user is None:
        raise InvalidInput(N_("没有名为“%(name)s”的账号（ballot user list 列出全部账号）。"),
                           name=username[:80])
    return user


def _run(work):
    from ballot import unit_of_work

    try:
        return unit_of_work.run(work)
    except BallotError as error:
        _fail(error)
        raise  # unreachable: _fail exits


@click.group("user")
def user() -> None:
    """Staff accounts: list, create, scope, disable, enable, reset-password."""


@user.command("list")
@with_appcontext
def list_users() -> None:
    """List every account: role, congress scope, active or disabled, last login."""
    from ballot.services import accounts

    for item in accounts.list_users():
        scope = "全部 / all" if item.congress is None else item.congress
        state = "启用 / active" if item.active else "已停用 / disabled"
        last = item.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if item.last_login_at else "-"
        note = "  须改密码 / must change password" if item.must_change_password else ""
        click.echo(f"{item.username:<20} {item.role:<11} {state:<16} {last:<21} {scope}{note}")


@click.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--congress", default=None, help="Limit the account to one congress's sessions.")
@click.option("--name", "display_name", default="", help="Display name (e.g. 王建华).")
@click.option("--password-file", type=click.File("r"), default=None,
              help="Read the password from this file instead of prompting.")
@click.option("--generate", is_flag=True,
              help="Generate a temporary password, print it once; the user must change it.")
@click.option("--must-change", is_flag=True,
              help="The user must change the given password at first login.")
@with_appcontext
def create(username: str, role: str, congress: str | None, display_name: str, password_file,
           generate: bool, must_change: bool) -> None:
    """Create a staff account; the password is prompted, read from --password-file or generated."""
    from ballot.services import accounts

    if generate:
        password = accounts.generate_password()
    elif password_file is not None:
        password = password_file.read().strip()
    else:
        password = click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    _run(lambda: accounts.create_user(username, password, role, "cli", congress=congress,
                                      display_name=display_name,
                                      must_change_password=generate or must_change))
    click.echo(f"已创建账号 / created {role} account: {username}")
    if generate:
        click.echo(f"临时密码（只显示这一次）/ temporary password (shown once): {password}")


user.add_command(create)
# The original name, kept: the README, scripts and the first admin's setup use it.
create_user = click.Command("create-user", callback=create.callback, params=create.params,
                            help=create.help)


@user.command("scope")
@click.argument("username")
@click.argument("congress", required=False)
@click.option("--all", "every", is_flag=True, help="Let the account see every congress.")
@with_appcontext
def scope(username: str, congress: str | None, every: bool) -> None:
    """Limit USERNAME to the sessions of CONGRESS, or to none with --all."""
    from ballot.services import accounts

    if bool(congress) == every:
        _fail(InvalidInput(N_("请写人大名称（例如“示范镇人大”），或用 --all 表示全部人大，二者选一。")))
    _run(lambda: accounts.set_scope(_named(username), None if every else congress, None))
    click.echo(f"{username}: {'全部人大 / every congress' if every else congress}")


@user.command("disable")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def disable(username: str, yes: bool) -> None:
    """Disable USERNAME: no login works, open logins end now."""
    from ballot.services import accounts

    if not yes:
        click.confirm(f"停用账号 {username}？该账号将不能登录，正在使用的登录立即退出 / disable the "
                      "account and end its logins?", abort=True)
    _run(lambda: accounts.disable_user(_named(username), None))
    click.echo(f"已停用 / disabled: {username}")


@user.command("enable")
@click.argument("username")
@with_appcontext
def enable(username: str) -> None:
    """Let a disabled USERNAME log in again."""
    from ballot.services import accounts

    _run(lambda: accounts.enable_user(_named(username), None))
    click.echo(f"已启用 / enabled: {username}")


@user.command("reset-password")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def reset_password(username: str, yes: bool) -> None:
    """Give USERNAME a new temporary password (printed once); their logins end and they must
    change it at next login."""
    from ballot.services import accounts

    if not yes:
        click.confirm(f"重置 {username} 的密码？其正在使用的登录将全部退出 / reset the password "
                      "and end every login of the account?", abort=True)
    password = _run(lambda: accounts.reset_password(_named(username), None))
    click.echo(f"临时密码（只显示这一次）/ temporary password (shown once): {password}")


COMMANDS = [user, create_user]

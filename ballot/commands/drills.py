"""``ballot drill clone|reset|delete SESSION``: rehearsals on a copy of a session, marked 演练."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ballot import unit_of_work
from ballot.commands import fail as _fail
from ballot.domain.errors import BallotError, NotADrill
from ballot.services import rehearsals, sessions


@click.group("drill")
def drill_group() -> None:
    """Rehearsals (演练): clone a session as a drill, reset a drill, delete a drill."""


@drill_group.command("clone")
@click.argument("session_ref", metavar="SESSION")
@with_appcontext
def clone_command(session_ref: str) -> None:
    """Copy SESSION's settings, candidates and roster into a new drill with its own key."""
    secret = current_app.config["KEY_ENCRYPTION_SECRET"]
    try:
        drill = unit_of_work.run(lambda: rehearsals.clone_as_drill(
            sessions.get_session(session_ref), "cli", secret))
    except BallotError as error:
        _fail(error)
    click.echo(f"已创建演练场次 / drill created: {drill.slug}  {drill.display_title}")
    click.echo(f"下一步 / next: ballot cards {drill.slug} -o cards-{drill.slug}.pdf，"
               f"然后在会议页配对签到机和投票机 / then pair kiosks on the session page")


@drill_group.command("reset")
@click.argument("session_ref", metavar="SESSION")
@with_appcontext
def reset_command(session_ref: str) -> None:
    """Put a drill back to before check-in (its cards and kiosks keep working); drills only."""
    secret = current_app.config["KEY_ENCRYPTION_SECRET"]
    try:
        session = sessions.get_session(session_ref)
        unit_of_work.run(lambda: rehearsals.reset_drill(session, "cli", secret))
    except BallotError as error:
        _fail(error)
    click.echo(f"演练已重置 / drill reset: {session.slug}（签到、选票和结果已清除 / "
               f"check-ins, ballots and result cleared）")


@drill_group.command("delete")
@click.argument("session_ref", metavar="SESSION")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def delete_command(session_ref: str, yes: bool) -> None:
    """Delete a drill with its roster, ballots and kiosks; drills only."""
    try:
        session = sessions.get_session(session_ref)
        if not session.is_drill:
            raise NotADrill(title=session.title)
        slug = session.slug
        if not yes:
            click.confirm(f"删除演练场次 {slug}（含名册、选票和已配对的签到机、投票机）？/ "
                          f"delete drill {slug} with its kiosks?", abort=True)
        unit_of_work.run(lambda: rehearsals.delete_drill(session, "cli"))
    except BallotError as error:
        _fail(error)
    click.echo(f"已删除演练场次 / drill deleted: {slug}")


COMMANDS = [drill_group]

"""The ``ballot`` command group; its commands live in ballot/commands (one module per job)."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():
    from ballot.app import create_app
    from config.settings import ConfigError

    try:
        app = create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    register(app)
    return app


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             add_default_commands=False)
def main() -> None:
    """票决: livelihood-project ballots for people's congresses.

    Configured by the BALLOT_* environment variables (README: Configuration). Every step of a
    session day is a command here, in order: lock, pair-kiosk, open-checkin, checkin / leave,
    open, close, tie-break / leave-empty, confirm, publish (chair and chief scrutineer steps
    take --as USERNAME); `ballot simulate` runs a drill to a closed round. COMMAND --help says
    more.
    """


# Flask's own group options mean nothing here: the app is always ballot's (--app), settings
# come from BALLOT_* variables, not .env files (--env-file), and debug mode is for development
# only (production refuses it). Hidden, not removed: FlaskGroup still reads them.
for _param in main.params:
    if _param.name in ("app", "env_file", "debug"):
        _param.hidden = True


def register(app) -> None:
    """Attach the commands of every module of ``ballot.commands`` to app.cli."""
    from ballot.commands import (
        backup,
        box,
        cards,
        drills,
        paper,
        result_files,
        session_day,
        setup,
        simulate,
        tracking,
        users,
        verify,
    )

    modules = (setup, backup, box, cards, drills, paper, result_files, session_day, simulate,
               tracking, users, verify)
    for command in [c for module in modules for c in module.COMMANDS]:
        app.cli.add_command(command)

"""More ``ballot`` subcommands: each module here exposes ``COMMANDS``, a list of click commands
(registered by ballot/cli.py), and reports a refused step with ``fail``."""

from __future__ import annotations

import click

from ballot.domain.errors import BallotError, ImportRejected


def fail(error: BallotError) -> None:
    """Print the refusal (in red, with each problem and row on its own line) and exit 1."""
    click.secho(error.render(), fg="red", err=True)
    for problem in getattr(error, "problems", []):
        click.echo(f"  - {problem.render()}", err=True)
    if isinstance(error, ImportRejected):
        for row in error.row_errors:
            click.echo(f"  - {row.render()}", err=True)
    raise SystemExit(1)

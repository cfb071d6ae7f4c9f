"""``ballot backup`` and ``ballot restore`` for the embedded SQLite database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ballot.domain.errors import BallotError


@click.command("backup")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the backup file.")
@with_appcontext
def backup(output: Path) -> None:
    """Back up the SQLite database online (safe while voting runs)."""
    from ballot.services.backup import backup_sqlite

    try:
        pages = backup_sqlite(current_app.config["SQLALCHEMY_DATABASE_URI"], output)
    except BallotError as error:
        raise click.ClickException(error.render()) from None
    click.echo(f"已备份到 / backed up to {output} ({pages} pages, integrity ok)")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(backup_file: Path, yes: bool) -> None:
    """Replace the SQLite database with BACKUP_FILE (stop the server first)."""
    from ballot.extensions import db
    from ballot.services.backup import restore_sqlite

    if not yes:
        click.confirm("这会用备份替换当前数据库，服务须已停止。继续？ / Replace the database?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        restore_sqlite(current_app.config["SQLALCHEMY_DATABASE_URI"], backup_file)
    except BallotError as error:
        raise click.ClickException(error.render()) from None
    click.echo(f"已从 {backup_file} 恢复 / restored")


COMMANDS = [backup, restore]

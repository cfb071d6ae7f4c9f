"""Setting up and serving: ``ballot init-db``, ``serve``, ``demo``, ``sessions``,
``import-projects`` and ``import-delegates``."""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ballot.commands import fail as _fail
from ballot.domain.errors import BallotError


def upgrade_database() -> None:
    """Bring the configured database to the current schema (Alembic migrations).

    A database whose tables were made by ``db.create_all()`` (the test fixtures) has no
    migration history; it is stamped as current instead of being created twice.
    """
    from flask_migrate import stamp, upgrade
    from sqlalchemy import inspect

    from ballot.extensions import db

    directory = str(Path(__file__).parents[1] / "migrations")
    tables = set(inspect(db.engine).get_table_names())
    if "alembic_version" not in tables and "vote_sessions" in tables:
        stamp(directory=directory)
    else:
        upgrade(directory=directory)


def _run(host: str, port: int, ready=None) -> None:
    """Serve until Ctrl+C; ``ready()`` runs once the port is bound (it prints the logins, so
    they are the last thing on the screen before the request log)."""
    # Flask.run() refuses to start inside a CLI command, so serve with werkzeug directly.
    from werkzeug.serving import make_server

    from config.settings import check_production

    app = current_app._get_current_object()
    if app.config.get("CONFIG_NAME") == "production":
        # Checked again here: the CLI applies FLASK_DEBUG after the app factory ran.
        problems = check_production({**app.config, "DEBUG": app.debug})
        if problems:
            raise click.ClickException("; ".join(problems))
    if str(app.config.get("LIVE_STREAM", "auto")).lower() == "auto":
        app.config["LIVE_STREAM"] = "1"  # a thread per connection: open streams cost little here
    try:
        server = make_server(host, port, app, threaded=True)
    except (OSError, SystemExit):  # werkzeug exits (after its own English note) on a busy port
        raise click.ClickException(
            f"无法在 {host}:{port} 上启动：端口可能已被占用，请换一个端口，例如 --port 8080"
            f"（make demo PORT=8080）/ cannot listen on {host}:{port}; try another port, "
            "e.g. --port 8080") from None
    click.echo(f"票决服务已启动 / serving on http://{host}:{server.port}/  (Ctrl+C 停止)")
    if ready is not None:
        ready()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("已停止 / stopped")
    finally:
        server.server_close()


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema to the current version."""
    upgrade_database()
    click.echo(f"数据库已就绪 / database ready: {current_app.config['SQLALCHEMY_DATABASE_URI']}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int,
              envvar="BALLOT_PORT", show_envvar=True)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the app (for a hall laptop; deployments run gunicorn on wsgi:app)."""
    _run(host, port)


@click.command("demo")
@click.option("--serve", "then_serve", is_flag=True, help="Serve the app after seeding.")
@click.option("--reset", is_flag=True,
              help="Delete the demo session (with its kiosks, ballots and result) and seed it anew.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int,
              envvar="BALLOT_PORT", show_envvar=True)
@with_appcontext
def demo(then_serve: bool, reset: bool, host: str, port: int) -> None:
    """Seed the demo session (a drill, 演练) if missing and print fresh demo logins.

    An existing demo session is kept as it is (a published one stays published) unless
    --reset is given.
    """
    from ballot import demo as demo_data
    from ballot import unit_of_work

    logging.disable(logging.INFO)  # no migration chatter: the demo's output is the logins
    try:
        upgrade_database()
    finally:
        logging.disable(logging.NOTSET)

    def reseed() -> tuple[str | None, bool, dict[str, str]]:
        removed = demo_data.remove() if reset else None
        return (removed, *demo_data.seed())

    try:
        removed, created, logins = unit_of_work.run(reseed)
    except BallotError as error:  # e.g. a demo account changed by hand since the last seeding
        _fail(error)
    if removed:
        click.echo(f"已删除旧的演示会议及其签到机、投票机 / old demo session removed: {removed}")
    click.echo(("已创建" if created else "已存在") + "演示会议 / demo session: "
               f"【演练】{demo_data.TITLE} ({demo_data.SLUG})")
    if not created:
        click.echo("  保留原样；要从头再来 / to start afresh: ballot demo --reset (make demo RESET=1)")

    def print_logins() -> None:
        if then_serve:
            click.echo(f"登录 / log in: http://{host}:{port}/login   "
                       "换端口 / another port: --port 8080 (make demo PORT=8080)")
        click.echo("演示账号（密码每次运行重新生成）/ demo logins (new passwords each run):")
        for username, password in logins.items():
            click.echo(f"  {username:<11} {password}")

    if then_serve:
        _run(host, port, ready=print_logins)
    else:
        print_logins()


@click.command("sessions")
@with_appcontext
def list_sessions() -> None:
    """List sessions with their state and counts."""
    from ballot.domain.rules import STATE_LABELS
    from ballot.services import sessions

    rows = sessions.list_sessions()
    if not rows:
        click.echo("还没有会议 / no sessions yet")
    for item in rows:
        counts = sessions.counts(item)
        click.echo(
            f"{item.id:>4}  {item.slug:<20} {STATE_LABELS[item.state]:<8} {item.date}  "
            f"候选 {counts.candidates}/应选 {item.quota}  应到 {counts.expected} 实到 {counts.present}  "
            f"{item.display_title}"
        )


def _import(kind: str, session_ref: str, path: Path, replace: bool) -> None:
    from ballot import unit_of_work
    from ballot.services import candidates, roster, sessions

    importer = candidates.import_candidates if kind == "projects" else roster.import_delegates
    data, max_rows = path.read_bytes(), current_app.config["MAX_IMPORT_ROWS"]
    try:
        count = unit_of_work.run(lambda: importer(sessions.get_session(session_ref), data,
                                                  path.name, "cli", replace=replace,
                                                  max_rows=max_rows))
    except BallotError as error:
        _fail(error)
    noun = "个候选项目 / projects" if kind == "projects" else "名代表 / delegates"
    click.echo(f"已导入 {count} {noun}")


@click.command("import-projects")
@click.argument("session_ref", metavar="SESSION")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the current candidate list.")
@with_appcontext
def import_projects(session_ref: str, path: Path, replace: bool) -> None:
    """Import candidate projects from CSV (UTF-8/GBK) or XLSX into SESSION (id or short name)."""
    _import("projects", session_ref, path, replace)


@click.command("import-delegates")
@click.argument("session_ref", metavar="SESSION")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the current roster.")
@with_appcontext
def import_delegates(session_ref: str, path: Path, replace: bool) -> None:
    """Import the delegate roster from CSV (UTF-8/GBK) or XLSX into SESSION (id or short name)."""
    _import("delegates", session_ref, path, replace)


COMMANDS = [init_db, serve, demo, list_sessions, import_projects, import_delegates]

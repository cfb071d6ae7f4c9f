"""``ballot track …``: tracking a published session's chosen projects from the command line.

The same services as the staff pages and /api/v1/sessions/<ref>/tracking: each change runs as
one unit of work with its audit entry; ``--as USERNAME`` names the staff account recorded.
A project is named by its ballot code (票序, e.g. 03).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ballot import inputs
from ballot.commands.session_day import (
    STAFF,
    _actor,
    _as,
    _fail,
    as_option,
    session_argument,
    step,
)
from ballot.domain import rating
from ballot.domain.errors import N_, InvalidInput, WrongState
from ballot.domain.states import State
from ballot.models import VoteSession
from ballot.services import rating_sessions, sessions, tracking
from ballot.services.results import decimal_text


def _published(session: VoteSession) -> VoteSession:
    if session.state != State.PUBLISHED:
        raise WrongState(N_("结果公布后才能跟踪入选项目的实施情况。"))
    return session


@click.group("track")
def track_group() -> None:
    """After the vote: plans, progress reports and 测评 results of the chosen projects."""


@track_group.command("list")
@session_argument
@with_appcontext
def list_command(session_ref: str) -> None:
    """SESSION's chosen projects: code, progress, money spent, latest grade, rectification."""

    def work():
        session = _published(sessions.get_session(session_ref))
        return [(p.candidate.code, p.candidate.title, p.percent_done, decimal_text(p.budget_spent),
                 decimal_text(p.budget), p.ratings[0].grade if p.ratings else "",
                 p.rectification) for p in tracking.projects(session)]

    for code, title, percent, spent, budget, grade, rectify in step(work):
        mark = "  整改中 / under rectification" if rectify else ""
        graded = f"  {rating.GRADE_LABELS[grade]}" if grade else ""
        click.echo(f"{code}  {percent:>3}%  {spent or '-'}/{budget or '-'} 万元  {title}{graded}{mark}")


@track_group.command("plan")
@session_argument
@click.argument("code")
@click.option("--unit", "responsible_unit", default=None, help="承办单位 (responsible unit).")
@click.option("--budget", default=None, help="预算，万元 (budget in 10,000 yuan).")
@click.option("--milestones", default=None, help="计划节点, one a line.")
@click.option("--supervisors", default=None, help="监督代表, names separated by 、.")
@as_option(STAFF, required=False)
@with_appcontext
def plan_command(session_ref: str, code: str, as_user: str | None, **given: str | None) -> None:
    """Set project CODE's plan in SESSION (options not given keep their value)."""

    def work() -> None:
        user, session = _as(as_user, STAFF, session_ref)
        project = tracking.find_project(_published(session), code)
        values = {field: getattr(project, field) for field in
                  ("responsible_unit", "milestones", "supervisors")}
        values["budget"] = decimal_text(project.budget)
        values.update({k: v for k, v in given.items() if v is not None})
        tracking.update_plan(session, project, inputs.tracking_plan(values), _actor(user))

    step(work)
    click.echo(f"实施计划已保存 / plan saved: {session_ref} {code}")


@track_group.command("report")
@session_argument
@click.argument("code")
@click.option("--text", required=True, help="报告内容 (what was done).")
@click.option("--percent", "percent_done", required=True, help="完成进度 0–100.")
@click.option("--spent", "budget_spent", default=None, help="已用资金，万元.")
@click.option("--rectification", is_flag=True, help="a 整改 follow-up, not a progress report.")
@click.option("--photo", "photo_paths", multiple=True, type=click.Path(dir_okay=False),
              help="a JPEG or PNG photo (up to 4; checked by content).")
@as_option(STAFF, required=False)
@with_appcontext
def report_command(session_ref: str, code: str, text: str, percent_done: str,
                   budget_spent: str | None, rectification: bool, photo_paths: tuple[str, ...],
                   as_user: str | None) -> None:
    """Post a progress report on project CODE of SESSION."""
    files = []
    for path in photo_paths:
        try:
            with open(path, "rb") as handle:
                files.append((handle.read(tracking.photos.MAX_BYTES + 1), Path(path).name))
        except OSError:
            _fail(InvalidInput(N_("无法读取照片文件“%(name)s”。"), name=str(path)[:120]))
    values = {"text": text, "percent_done": percent_done, "budget_spent": budget_spent,
              "kind": "rectification" if rectification else "progress"}

    def work() -> int:
        user, session = _as(as_user, STAFF, session_ref)
        project = tracking.find_project(_published(session), code)
        return tracking.post_report(session, project, inputs.report(values), files,
                                    _actor(user)).id

    report_id = step(work)
    click.echo(f"报告已发布 / report posted: {session_ref} {code} #{report_id} ({len(files)} photo(s))")


@track_group.command("rate")
@session_argument
@click.argument("code")
@click.option("--satisfied", required=True, help="满意 votes.")
@click.option("--basically", required=True, help="基本满意 votes.")
@click.option("--dissatisfied", required=True, help="不满意 votes.")
@click.option("--cast", required=True, help="ballots cast (收回选票).")
@click.option("--basis", type=click.Choice(rating.BASES), default=rating.BASIS_CAST,
              show_default=True, help="what 'half' is of: ballots cast or the whole roster.")
@click.option("--source", default="", help="where the counts come from.")
@as_option(STAFF, required=False)
@with_appcontext
def rate_command(session_ref: str, code: str, as_user: str | None, **values: str) -> None:
    """Record a 满意度测评 result for project CODE; 不满意 puts it under rectification (整改)."""

    def work() -> tuple[str, bool]:
        user, session = _as(as_user, STAFF, session_ref)
        project = tracking.find_project(_published(session), code)
        record = tracking.record_rating(session, project, inputs.rating_counts(values), _actor(user),
                                        sessions.counts(session).expected)
        return record.grade, project.rectification

    grade, rectify = step(work)
    click.echo(f"测评结果 / rating: {rating.GRADE_LABELS[grade]} ({grade})"
               + ("，列入整改 / under rectification" if rectify else ""))


@track_group.command("rating-session")
@session_argument
@click.option("--codes", default=None, help="the chosen projects to rate, e.g. 01,03 (default: all).")
@click.option("--title", default=None, help="会议名称 (default: <year>年度民生实事项目满意度测评).")
@click.option("--date", default=None, help="date of the 测评, YYYY-MM-DD (default: today).")
@click.option("--slug", default=None, help="short name of the new session.")
@click.option("--basis", type=click.Choice(rating.BASES), default=rating.BASIS_CAST,
              show_default=True, help="what 'half' is of: ballots cast or the whole roster.")
@click.option("--drill/--no-drill", default=None, help="a rehearsal (default: as SESSION).")
@as_option(STAFF, required=False)
@with_appcontext
def rating_session_command(session_ref: str, as_user: str | None, drill: bool | None,
                           **given: str | None) -> None:
    """Create a draft 满意度测评 session on SESSION's chosen projects (then import its roster,
    lock, seal and vote as for any session; publishing it rates the projects)."""
    values = {k: v for k, v in given.items() if v is not None}
    if drill is not None:
        values["drill"] = drill

    def work() -> tuple[str, int]:
        user, session = _as(as_user, STAFF, session_ref)
        created = rating_sessions.create_from(_published(session), inputs.rating_plan(values),
                                              _actor(user))
        return created.slug, len(created.candidates)

    slug, count = step(work)
    click.echo(f"满意度测评会议已创建 / rating session created: {slug} ({count} 个项目 / projects)")


@track_group.command("export")
@session_argument
@click.option("--format", "fmt", type=click.Choice(tracking.EXPORT_FORMATS), default="xlsx",
              show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="file to write (default: <session>-tracking.<format>).")
@with_appcontext
def export_command(session_ref: str, fmt: str, output: str | None) -> None:
    """Write SESSION's tracking table for the congress office (CSV or XLSX)."""

    def work() -> tuple[bytes, str]:
        session = _published(sessions.get_session(session_ref))
        return tracking.export_file(session, fmt), tracking.export_filename(session, fmt)

    data, name = step(work)
    Path(output or name).write_bytes(data)
    click.echo(f"已导出 / written: {output or name}")


COMMANDS = [track_group]

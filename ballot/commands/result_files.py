"""``ballot tally`` and ``ballot export``: the count and the result files from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ballot.commands import fail as _fail
from ballot.domain.errors import BallotError, ResultNotCounted


def _ballots(figures) -> str:
    """发出 / 收回 (per kind when the round had paper), 有效 / 无效 (with the reasons)."""
    from ballot.services.figures import KIND_LABELS, REASON_LABELS

    def split(by_kind: dict[str, int]) -> str:
        if not figures.has_paper:
            return ""
        return "（" + "，".join(f"{KIND_LABELS[k]} {n}" for k, n in by_kind.items()) + "）"

    reasons = "，".join(f"{REASON_LABELS[r]} {n}" for r, n in figures.reasons)
    return (f"发出 {figures.issued}{split(figures.issued_by_kind)}  "
            f"收回 {figures.returned}{split(figures.returned_by_kind)}  "
            f"有效 {figures.valid}  无效 {figures.invalid}" + (f"（{reasons}）" if reasons else ""))


def _say_waiting(session, found) -> None:
    """A line for each closed round still waiting: for its paper ballots, or for its box."""
    from ballot.services import paper_count

    for outcome in found.rounds:
        if outcome.awaiting_opening and paper_count.awaiting_paper(session, outcome.round):
            click.echo(f"\n第 {outcome.round.number} 轮已结束，等待纸质选票录入 / round "
                       f"{outcome.round.number} closed, paper ballots not yet entered: ballot "
                       f"paper-status {session.slug} --round {outcome.round.number}")
        elif outcome.awaiting_opening:
            click.echo(f"\n第 {outcome.round.number} 轮已结束，等待监票人开箱 / round "
                       f"{outcome.round.number} closed, box not yet opened: ballot open-box "
                       f"{session.slug} --as SCRUTINEER")


@click.command("tally")
@click.argument("session_ref", metavar="SESSION")
@with_appcontext
def tally(session_ref: str) -> None:
    """Print the count of every opened round of SESSION (id or short name), and any round whose
    box still waits for the scrutineers' key cards."""
    from ballot.services import result_rows, rounds, sessions

    try:
        session = sessions.get_session(session_ref)
        found = rounds.session_results(session)
        if not found.counted:
            _say_waiting(session, found)  # a closed round 1 waits for its paper or its box
            raise ResultNotCounted()
    except BallotError as error:
        _fail(error)
    click.echo(session.display_title)
    rows = result_rows.project_rows(session, found)
    rated = result_rows.is_rating(session)
    for rnd in result_rows.round_rows(session, found):
        figures = rnd["figures"]
        if rated:
            click.echo(f"\n第 {rnd['轮次']} 轮（满意度测评）  应到 {rnd['应到']}  实到 {rnd['实到']}  "
                       f"{_ballots(figures)}  基数 {rnd['过半数的基数']} {rnd['基数人数']}")
        else:
            click.echo(f"\n第 {rnd['轮次']} 轮  应选 {rnd['应选名额']}  应到 {rnd['应到']}  "
                       f"实到 {rnd['实到']}  {_ballots(figures)}  "
                       f"过半数 {rnd['通过所需赞成票']} 票")
        if not figures.within_issued:
            click.echo(result_rows.void_text(figures, rating_ballot=rated))
        in_round = [r for r in rows if r["轮次"] == rnd["轮次"]]
        if rated:
            click.echo(f"{'票序':<4} {'满意':>4} {'基本满意':>4} {'不满意':>4} {'满意率':>4}  "
                       f"{'测评结果':<6} 项目名称")
            for row in in_round:
                click.echo(f"{row['票序']:<6} {row['满意']:>6} {row['基本满意']:>8} "
                           f"{row['不满意']:>6} {row['满意率（%）']!s:>5}%  "
                           f"{row['测评结果']:<6} {row['项目名称']}")
            continue
        click.echo(f"{'票序':<4} {'赞成':>4} {'反对':>4} {'弃权':>4} {'排名':>4}  {'结果':<10} 项目名称")
        for row in in_round:
            click.echo(f"{row['票序']:<6} {row['赞成']:>6} {row['反对']:>6} {row['弃权']:>6} "
                       f"{row['排名']!s:>6}  {row['本轮结果']:<10} {row['项目名称']}")
    _say_waiting(session, found)
    if found.final is not None and not result_rows.is_rating(session):
        final = found.final
        click.echo(f"\n最终入选 {len(final.chosen)} 个：{'、'.join(final.chosen) or '无'}"
                   f"；空缺 {final.open_slots}；缺额 {final.shortfall}"
                   + ("；有同票待决定" if final.pending_tie else ""))


@click.command("export")
@click.argument("session_ref", metavar="SESSION")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf", "docx", "json", "bundle"]),
              required=True, help="csv/xlsx/pdf/docx after counting; json/bundle after publication.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@with_appcontext
def export_result(session_ref: str, fmt: str, output: Path) -> None:
    """Export SESSION's result as CSV, XLSX, a PDF record, the signed JSON or the audit bundle."""
    from ballot.services import export, sessions

    try:
        data = export.export(sessions.get_session(session_ref), fmt)
    except BallotError as error:
        _fail(error)
    output.write_bytes(data)
    click.echo(f"已导出 / wrote {output} ({len(data)} bytes)")


COMMANDS = [tally, export_result]

"""Paper ballots on the command line (issue 22): issue a paper ballot at the desk, print the
round's ballot paper, and the counting room's double entry (two passes by two counters, the
scrutineer's resolution of mismatches and finish). The same services and checks as the screens
and /api/v1."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ballot.commands.session_day import (
    SCRUTINEER,
    STAFF,
    _actor,
    _as,
    as_option,
    delegate_options,
    session_argument,
    step,
)
from ballot.services import ballot_paper, paper_count, roster, rounds, voting

COUNTER = ("counter",)


@click.command("paper-issue")
@session_argument
@delegate_options
@click.option("--reason", default="", help="Why paper (required, audited), e.g. 代表要求.")
@as_option(STAFF, required=False)
@with_appcontext
def paper_issue_command(session_ref: str, seat: str | None, name: str | None, reason: str,
                        as_user: str | None) -> None:
    """Hand a checked-in delegate of SESSION (--seat or --name) a paper ballot for the open
    round: their one ballot of the round (no kiosk ballot after it, no release)."""

    def work() -> tuple[str, int, dict[str, int]]:
        user, session = _as(as_user, STAFF, session_ref)
        delegate = roster.find_delegate(session, seat=seat, name=name)
        number = voting.issue_paper(session, delegate, _actor(user), reason)
        return delegate.name, number, rounds.issued_by_kind(session, number)

    who, number, counts = step(work)
    click.echo(f"已为 {who} 代表发放第 {number} 轮纸质选票 / paper ballot issued "
               f"(本轮已发出：投票机 {counts['kiosk']}，纸质 {counts['paper']})")


@click.command("ballot-paper")
@session_argument
@click.option("--round", "number", type=click.IntRange(1, 2**31 - 1), default=1,
              show_default=True, help="The round whose ballot paper to print.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The PDF file to write (A4; print as many copies as needed).")
@with_appcontext
def ballot_paper_command(session_ref: str, number: int, output: str) -> None:
    """Write SESSION's ballot paper of a round (A4 PDF, the same for every copy, no serial
    number, nothing identifying its holder) to --output. Round 1 prints once the list is
    locked."""

    def work() -> bytes:
        _user, session = _as(None, STAFF, session_ref)
        round_ = ballot_paper.paper_round(session, number)
        return ballot_paper.render_pdf(session, round_)

    pdf = step(work)
    with open(output, "wb") as handle:
        handle.write(pdf)
    click.echo(f"已写出第 {number} 轮纸质选票 / ballot paper written: {output}")


def round_option(function):
    return click.option("--round", "number", type=click.IntRange(1, 2**31 - 1), required=True,
                        help="The closed round whose paper ballots are entered.")(function)


@click.command("paper-pass", epilog="Sheet format: " + paper_count.SHEET_FORMAT_HELP)
@session_argument
@round_option
@click.option("--pass", "pass_no", type=click.IntRange(1, 2**31 - 1), required=True,
              help="1 (第一遍) or 2 (第二遍); the two passes by two different counters.")
@click.option("--first", type=click.IntRange(1, 2**31 - 1), default=None,
              help="The number of the file's first sheet (default: after the pass's last "
                   "sheet); an earlier number corrects those sheets.")
@click.option("-f", "--file", "source", type=click.File("r", encoding="utf-8-sig"),
              default=None, help="The sheets, one line each (default: standard input).")
@as_option(COUNTER, required=True)
@with_appcontext
def paper_pass_command(session_ref: str, number: int, pass_no: int, first: int | None,
                       source, as_user: str) -> None:
    """Enter the paper ballots of SESSION's closed round into one pass (counting staff, 计票人),
    all or nothing."""
    text = (source or sys.stdin).read()

    def work() -> tuple[int, int, int]:
        user, session = _as(as_user, COUNTER, session_ref)
        start = first or 1
        readings = paper_count.parse_sheet_lines(session, number, text, start)
        start = paper_count.record_sheets(session, number, pass_no, first, readings, user)
        state = paper_count.status(session, number)
        return start, len(readings), state.passes[pass_no].sheets

    start, count, total = step(work)
    click.echo(f"第 {number} 轮第 {pass_no} 遍：已录入第 {start}–{start + count - 1} 张，"
               f"本遍共 {total} 张 / pass {pass_no}: sheets {start}–{start + count - 1} "
               f"entered, {total} in all")


def _echo_status(state: paper_count.PaperStatus, session_ref: str) -> None:
    if state.finished:
        click.echo(f"第 {state.number} 轮纸质选票已完成录入并放入票箱 / paper ballots entered "
                   "and on the board")
        return
    click.echo(f"第 {state.number} 轮：发出纸质选票 {state.issued_paper} 张 / paper issued")
    for pass_no in paper_count.PASSES:
        held = state.passes.get(pass_no)
        who = f"{held.account}，{held.sheets} 张" if held else "尚未录入 / not entered"
        click.echo(f"  第 {pass_no} 遍 / pass {pass_no}: {who}")
    for item in state.mismatches:
        first = paper_count.reading_text(item.first, state.candidates)
        second = paper_count.reading_text(item.second, state.candidates)
        done = ("已核定 " + paper_count.reading_text(item.resolved, state.candidates)
                if item.resolved else "待核定 / to resolve")
        click.echo(f"  不一致 / mismatch 第 {item.sheet_no} 张: {first} | {second} — {done}")
    for problem in state.problems:
        click.echo(f"  - {problem.render()}")
    if state.ready:
        click.echo(f"可以完成录入 / ready: ballot paper-finish {session_ref} "
                   f"--round {state.number} --as SCRUTINEER")


@click.command("paper-status")
@session_argument
@round_option
@as_option(COUNTER + SCRUTINEER, required=False)
@with_appcontext
def paper_status_command(session_ref: str, number: int, as_user: str | None) -> None:
    """Where the paper count of SESSION's round stands: both passes, every mismatch with both
    readings (F/A/- per project, X unreadable), what stops the finish."""

    def work():
        _user, session = _as(as_user, COUNTER + SCRUTINEER, session_ref)
        return paper_count.status(session, number)

    _echo_status(step(work), session_ref)


@click.command("paper-resolve", epilog="Sheet format: " + paper_count.SHEET_FORMAT_HELP)
@session_argument
@round_option
@click.option("--sheet", "sheet_no", type=click.IntRange(1, 2**31 - 1), required=True,
              help="The mismatched sheet's number.")
@click.option("--marks", required=True,
              help="The reading checked against the paper, as one line of the sheet format.")
@as_option(SCRUTINEER, required=True)
@with_appcontext
def paper_resolve_command(session_ref: str, number: int, sheet_no: int, marks: str,
                          as_user: str) -> None:
    """A scrutineer (监票人) enters a mismatched sheet's reading, checked against the paper."""

    def work() -> None:
        user, session = _as(as_user, SCRUTINEER, session_ref)
        round_ = rounds.get_round(session, number)
        reading = paper_count.parse_sheet_line(round_, marks, sheet_no)
        paper_count.resolve(session, number, sheet_no, reading, user)

    step(work)
    click.echo(f"第 {sheet_no} 张已核定 / sheet {sheet_no} resolved")


@click.command("paper-finish")
@session_argument
@round_option
@click.option("--empty", is_flag=True,
              help="The paper box holds no ballot at all (nothing was entered): finish without "
                   "passes.")
@as_option(SCRUTINEER, required=True)
@with_appcontext
def paper_finish_command(session_ref: str, number: int, empty: bool, as_user: str) -> None:
    """A scrutineer finishes the paper count (完成录入): every agreed sheet goes on the board
    (valid ones encrypted, invalid ones with their reason); then the box may be opened."""

    def work() -> paper_count.Finished:
        user, session = _as(as_user, SCRUTINEER, session_ref)
        return paper_count.finish(session, number, user, empty=empty)

    done = step(work)
    reasons = done.invalid_by_reason
    click.echo(f"第 {number} 轮纸质选票已完成录入 / paper count finished: {done.sheets} 张，"
               f"有效 {done.valid}，无效 {done.sheets - done.valid}（超过应选数 "
               f"{reasons['over_quota']}，无法辨认 {reasons['unreadable']}）")


COMMANDS = [paper_issue_command, ballot_paper_command, paper_pass_command, paper_status_command,
            paper_resolve_command, paper_finish_command]

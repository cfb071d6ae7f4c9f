"""Paper ballots on the command line (issue 22): issue a paper ballot at the desk, print the
round's ballot paper. The same services and checks as the staff desk and /api/v1."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ballot.commands.session_day import (
    STAFF,
    _actor,
    _as,
    as_option,
    delegate_options,
    session_argument,
    step,
)
from ballot.services import ballot_paper, roster, rounds, voting


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


COMMANDS = [paper_issue_command, ballot_paper_command]

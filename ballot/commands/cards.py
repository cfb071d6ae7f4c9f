"""``ballot cards``: print the delegate cards (代表证) of a session as an A4 PDF."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ballot.domain.errors import BallotError


@click.command("cards")
@click.argument("session_ref", metavar="SESSION")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the PDF (A4, 8 cards a page, with cut lines).")
@click.option("--yes", is_flag=True, help="Do not ask before replacing existing cards.")
@click.option("--layout", type=click.Choice(["a4", "badge"]), default="a4", show_default=True,
              help="a4: 8 cards a page with cut lines; badge: one 85 x 54 mm card a page.")
@with_appcontext
def cards_command(session_ref: str, output: Path, yes: bool, layout: str) -> None:
    """Issue fresh QR cards to every delegate of SESSION and write them to a PDF.

    Each run issues new credentials: cards printed earlier stop working at once. Only before
    check-in opens; after that replace single cards at the check-in desk.
    """
    from ballot import unit_of_work
    from ballot.services import cards, roster, sessions

    def issue() -> tuple[list, bytes]:
        issued = cards.issue_all(sessions.get_session(session_ref), "cli")
        return issued, cards.render_pdf(issued, layout)

    try:
        session = sessions.get_session(session_ref)
        issued_before = sum(1 for d in roster.list_delegates(session) if d.card_version)
        if issued_before and not yes:
            click.confirm(f"已有 {issued_before} 名代表制过卡。重新生成后，之前打印的代表证全部作废。继续？"
                          " / Earlier cards will stop working. Continue?", abort=True)
        issued, pdf = unit_of_work.run(issue)
    except BallotError as error:
        raise click.ClickException(error.render()) from None
    output.write_bytes(pdf)  # after the commit: the cards printed from it are the valid ones
    pages = len(issued) if layout == "badge" else -(-len(issued) // cards.CARDS_PER_PAGE)
    click.echo(f"已为 {len(issued)} 名代表制卡，共 {pages} 页：{output}"
               f" / {len(issued)} cards on {pages} pages written to {output}")
    click.echo("注意：之前打印的代表证均已作废。 / Any earlier cards no longer work.")


COMMANDS = [cards_command]

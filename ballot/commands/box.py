"""``ballot seal``: seal the ballot box and print the scrutineers' key cards."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ballot.domain.errors import BallotError


def _fail(error: BallotError) -> None:
    from ballot.cli import _fail as fail

    fail(error)


@click.command("seal")
@click.argument("session_ref", metavar="SESSION")
@click.option("--reprint", is_flag=True,
              help="Reseal: new key cards for every scrutineer; the earlier cards stop working.")
@with_appcontext
def seal_command(session_ref: str, reprint: bool) -> None:
    """Seal SESSION's ballot box and write the scrutineers' key cards (PDF) to standard output.

    The key cards hold the box's shares and exist nowhere else: pipe them straight to a printer
    (``ballot seal demo | lp``); they are never written to a file by this command.
    """
    from ballot import unit_of_work
    from ballot.services import box, key_cards, sessions

    if sys.stdout.isatty():
        raise click.ClickException(
            "密钥卡 PDF 只输出到标准输出，请直接送打印机，例如 `ballot seal demo | lp`。"
            " / The key cards go to standard output only: pipe them to a printer.")
    try:
        session = sessions.get_session(session_ref)
        # The PDF is made inside the unit: a failure leaves no box whose cards nobody has.
        pdf = unit_of_work.run(
            lambda: key_cards.render_pdf(box.seal(session, "cli", reprint=reprint)))
    except BallotError as error:
        _fail(error)
    sys.stdout.buffer.write(pdf)
    sys.stdout.buffer.flush()
    click.echo(f"已封箱 / sealed: {session.slug}  {session.box_threshold}/{session.box_shares}  "
               f"投票箱指纹 / box fingerprint {box.spoken_fingerprint(session)}", err=True)


COMMANDS = [seal_command]

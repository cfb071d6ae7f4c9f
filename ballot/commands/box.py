"""``ballot seal``: seal the ballot box and print the scrutineers' key cards; ``ballot open-box``:
a scrutineer presents a key card to open a closed round's box (开箱计票)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ballot.commands import fail as _fail
from ballot.domain.errors import BallotError


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


def _say_opening(state, session) -> None:
    from ballot.services import rounds

    if not state.opened:
        click.echo(f"第 {state.number} 轮：已出示密钥卡 {state.count}/{state.threshold}"
                   f"（{'、'.join(state.presented)}）/ key cards presented {state.count} of "
                   f"{state.threshold}: 下一位监票人 / next scrutineer: ballot open-box "
                   f"{session.slug} --as USERNAME")
        return
    found = rounds.session_results(session)
    result = next(o.result for o in found.rounds if o.round.number == state.number)
    click.echo(f"第 {state.number} 轮票箱已开启并计票 / round {state.number} opened and counted: "
               f"发出 {result.issued}，收回 {result.returned}，有效 {result.valid}，无效 {result.invalid}")
    click.echo(f"本轮入选 / chosen: {'、'.join(result.chosen) or '无 / none'}")
    if result.tie is not None:
        click.echo(f"同票跨越入选线 / tie across the cutoff: {'、'.join(result.tie.candidates)} "
                   f"争 {result.tie.slots} 个名额 — ballot tie-break 或 / or ballot leave-empty")


@click.command("open-box")
@click.argument("session_ref", metavar="SESSION")
@click.option("--as", "as_user", metavar="USERNAME", default=None,
              help="The scrutineer account presenting the card (required unless --drill).")
@click.option("--round", "number", type=int, default=None,
              help="The round to open (default: the last round, closed).")
@click.option("--drill", is_flag=True,
              help="A drill (演练) only: open with the drill shares it kept, without cards.")
@with_appcontext
def open_box_command(session_ref: str, as_user: str | None, number: int | None,
                     drill: bool) -> None:
    """Open a closed round's box: one scrutineer's key card per run, until t have been shown.

    The card's text (its QR code, read by a scanner, or typed) is read from standard input, never
    from the command line, so it stays out of shell history and process lists; at a terminal it
    is asked for without echo. ``--drill`` opens a drill's box with its drill shares.
    """
    from ballot import unit_of_work
    from ballot.services import accounts, opening, sessions

    try:
        if drill:
            user = accounts.acting_as(as_user, "chair", "scrutineer", "staff") if as_user else None
            actor = user.username if user is not None else "cli"
            state = unit_of_work.run(lambda: opening.open_with_drill_shares(
                sessions.get_session(session_ref, user), actor, number))
        else:
            if as_user is None:
                raise click.UsageError("请用 --as 指定出示密钥卡的监票人账号 / --as SCRUTINEER is required")
            user = accounts.acting_as(as_user, "scrutineer")
            card = (click.prompt("密钥卡内容 / key card", hide_input=True) if sys.stdin.isatty()
                    else sys.stdin.read())
            state = unit_of_work.run(lambda: opening.present_card(
                sessions.get_session(session_ref, user), card, user.username, number))
            del card
        _say_opening(state, sessions.get_session(session_ref))
    except BallotError as error:
        _fail(error)


COMMANDS = [seal_command, open_box_command]

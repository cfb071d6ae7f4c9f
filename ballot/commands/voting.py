"""``ballot open|close|simulate SESSION``: open and close voting, and run a drill with fake ballots."""

from __future__ import annotations

import random

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ballot import unit_of_work
from ballot.domain import tally
from ballot.domain.errors import BallotError, NotADrillToSimulate
from ballot.extensions import db
from ballot.models import Delegate, Kiosk, VoteSession, utcnow
from ballot.services import credentials, rounds, sessions, voting

SIMULATOR_KIOSK = "模拟投票机（演练）"


def _fail(error: BallotError) -> None:
    from ballot.cli import _fail as fail

    fail(error)


@click.command("open")
@click.argument("session_ref", metavar="SESSION")
@with_appcontext
def open_command(session_ref: str) -> None:
    """Open voting (check-in → voting, quorum checked): round 1 starts."""
    try:
        round_ = unit_of_work.run(
            lambda: rounds.open_voting(sessions.get_session(session_ref), "cli"))
    except BallotError as error:
        _fail(error)
    click.echo(f"第 {round_.number} 轮投票已开始 / round {round_.number} open: "
               f"应选 {round_.quota}，候选 {len(round_.candidates)}，实到 {round_.present}")


@click.command("close")
@click.argument("session_ref", metavar="SESSION")
@with_appcontext
def close_command(session_ref: str) -> None:
    """Close the open round: void unused ballots, commit the board to its Merkle root."""
    def close() -> tuple:
        session = sessions.get_session(session_ref)
        round_ = rounds.close_round(session, "cli")
        return (round_.number, round_.merkle_root, rounds.issued_count(session, round_.number),
                rounds.returned_count(session, round_.number))

    try:
        number, root, issued, returned = unit_of_work.run(close)
    except BallotError as error:
        _fail(error)
    click.echo(f"第 {number} 轮投票已结束 / round {number} closed: 发出 {issued}，收回 {returned}")
    click.echo(f"默克尔树根 / Merkle root: {root}")


def check_in_for_drill(session: VoteSession, delegates: list[Delegate]) -> None:
    """Mark ``delegates`` present for a drill (the check-in kiosks' service has no bulk form)."""
    now = utcnow()
    for delegate in delegates:
        delegate.attendance = "present"
        delegate.checked_in_at = now
    db.session.flush()


def _simulator_kiosk(session: VoteSession) -> Kiosk:
    kiosk = db.session.execute(
        select(Kiosk).where(Kiosk.session_id == session.id, Kiosk.name == SIMULATOR_KIOSK,
                            Kiosk.mode == "voting", Kiosk.revoked_at.is_(None))
    ).scalar_one_or_none()
    if kiosk is None:
        kiosk = Kiosk(session_id=session.id, name=SIMULATOR_KIOSK, mode="voting",
                      enrolled_at=utcnow())
        db.session.add(kiosk)
        db.session.flush()
    return kiosk


def random_choices(rng: random.Random, candidates: list[str], quota: int,
                   contested: bool) -> dict[str, str]:
    """A random valid ballot: in 差额 mode at most ``quota`` 赞成, some projects left unmarked."""
    choices: dict[str, str] = {}
    approvals = rng.randint(max(0, quota - 3), quota) if contested else len(candidates)
    for code in rng.sample(candidates, len(candidates)):
        roll = rng.random()
        if roll < 0.05:
            continue  # unmarked: counts as 弃权
        if roll < 0.75 and approvals > 0:
            choices[code] = tally.FOR
            approvals -= 1
        else:
            choices[code] = rng.choice([tally.AGAINST, tally.ABSTAIN])
    return choices


@click.command("simulate")
@click.argument("session_ref", metavar="SESSION")
@click.option("--turnout", default=0.9, show_default=True, type=click.FloatRange(0, 1),
              help="Share of the roster to check in (if check-in is still open).")
@click.option("--seed", default=None, type=int, help="Seed for the choices (tokens stay random).")
@click.option("--real", is_flag=True,
              help="Also run on a session that is not a drill (its result becomes meaningless).")
@with_appcontext
def simulate_command(session_ref: str, turnout: float, seed: int | None, real: bool) -> None:
    """Drill: check delegates in, open voting, cast random valid ballots at a simulated kiosk.

    Every ballot goes through the kiosks' own issue and cast services, so the ballots it casts
    are real ballots: it refuses a session that is not a drill (演练) unless --real is given.
    Make a drill with `ballot drill clone SESSION`. Delegates' cards are re-issued for the drill.
    """
    rng = random.Random(seed)
    try:
        session = sessions.get_session(session_ref)
        if not session.is_drill:
            if not real:
                raise NotADrillToSimulate(title=session.title, slug=session.slug)
            click.secho(f"警告：{session.title} 不是演练场次，模拟选票将作为真实选票计入。/ "
                        "WARNING: not a drill; simulated ballots count as real ballots.",
                        fg="red", err=True)
        roster = list(db.session.execute(
            select(Delegate).where(Delegate.session_id == session.id)
            .order_by(Delegate.roster_order)).scalars())
        if session.state == "checkin":
            absent = [d for d in roster if d.attendance == "absent"]
            wanted = round(len(roster) * turnout) - sum(d.attendance == "present" for d in roster)
            chosen = rng.sample(absent, max(0, min(wanted, len(absent))))
            unit_of_work.run(lambda: check_in_for_drill(session, chosen))
            unit_of_work.run(lambda: rounds.open_voting(session, "simulate"))
        if rounds.open_round(session) is None:
            sessions.require_state(session, "voting")
        kiosk = unit_of_work.run(lambda: _simulator_kiosk(session))
        voters = [d for d in roster if d.attendance == "present"]
        cards = unit_of_work.run(lambda: credentials.issue_cards(session, voters, "simulate"))
        cast = skipped = 0
        with click.progressbar(list(zip(voters, cards, strict=True)),
                               label="投票 / casting") as bar:
            for _delegate, card in bar:
                try:
                    token, ballot = unit_of_work.run(
                        lambda card=card: voting.issue_ballot(session, kiosk, card))
                except BallotError:
                    skipped += 1
                    continue
                codes = [c["code"] for c in ballot["candidates"]]
                choices = random_choices(rng, codes, ballot["quota"], ballot["contested"])
                unit_of_work.run(
                    lambda token=token, choices=choices: voting.cast_ballot(session, kiosk, token,
                                                                            choices))
                cast += 1
    except BallotError as error:
        _fail(error)
    click.echo(f"已投 {cast} 张，跳过 {skipped} 人（本轮已领票）/ cast {cast}, skipped {skipped}")


COMMANDS = [open_command, close_command, simulate_command]

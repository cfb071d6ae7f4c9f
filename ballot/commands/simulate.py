"""``ballot simulate SESSION``: run a drill session with random ballots through the close, the
box opening with its drill shares and, when the count decides, publication."""

from __future__ import annotations

import random

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ballot import unit_of_work
from ballot.commands import fail as _fail
from ballot.domain import tally
from ballot.domain.errors import BallotError, NotADrillToSimulate, SimulateTooLate, WrongState
from ballot.domain.rules import STATE_LABELS
from ballot.domain.states import Attendance, State
from ballot.extensions import db
from ballot.models import Delegate, Kiosk, User, VoteSession, utcnow
from ballot.services import (
    accounts,
    box,
    candidates,
    checkin,
    credentials,
    opening,
    results,
    roster,
    rounds,
    sessions,
    voting,
)

SIMULATOR_KIOSK = "模拟投票机（演练）"
DRILL_REASON = "演练模拟签到"


def check_in_for_drill(session: VoteSession, delegates: list[Delegate], actor: str) -> int:
    """Check ``delegates`` in as the staff desk would (audited, with the drill as the reason);
    returns how many were not checked in before."""
    return sum(not checkin.staff_check_in(session, delegate, actor, DRILL_REASON).already
               for delegate in delegates)


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
              help="Share of the roster present (checked in as needed while check-in is open).")
@click.option("--seed", default=None, type=int, help="Seed for the choices (tokens stay random).")
@click.option("--as", "as_user", metavar="USERNAME", default=None,
              help="The chair account that opens and closes voting (default: simulate).")
@click.option("--keep-open", is_flag=True, help="Cast the ballots but leave the round open.")
@click.option("--no-publish", is_flag=True,
              help="Stop after the box is opened and counted (do not confirm and publish).")
@click.option("--real", is_flag=True,
              help="Also run on a session that is not a drill (its result becomes meaningless).")
@with_appcontext
def simulate_command(session_ref: str, turnout: float, seed: int | None, as_user: str | None,
                     keep_open: bool, no_publish: bool, real: bool) -> None:
    """Drill: from any state before voting, run SESSION through voting, opening and publication.

    Locks the candidate list (draft), opens check-in (locked), checks delegates in up to
    --turnout (check-in), seals the box with drill shares, opens voting, casts random valid
    ballots at a simulated kiosk through the kiosks' own issue and cast services, closes the
    round as the chair's close does and opens the box with the drill's shares (as t scrutineers
    would with their cards); with a round open already (a tie-break), it votes and closes that
    one. When the count decides (no tie across the cutoff) the session's chief scrutineer and
    chair accounts confirm and the result is published. Each step is printed. The ballots are real ballots: it refuses a session that is not a drill
    (演练) unless --real is given (make one with `ballot drill clone SESSION`). The voters'
    cards are re-issued for the drill.
    """
    from ballot.commands.session_day import step

    rng = random.Random(seed)
    secret = current_app.config["KEY_ENCRYPTION_SECRET"]
    try:
        acting = accounts.acting_as(as_user, "chair") if as_user is not None else None
        session = sessions.get_session(session_ref, acting)  # within the account's congress
        if not session.is_drill:
            if not real:
                raise NotADrillToSimulate(title=session.title, slug=session.slug)
            click.secho(f"警告：{session.title} 不是演练场次，模拟选票将作为真实选票计入。/ "
                        "WARNING: not a drill; simulated ballots count as real ballots.",
                        fg="red", err=True)
        if session.state in (State.CLOSED, State.PUBLISHED):
            raise SimulateTooLate(state=STATE_LABELS[session.state])
    except BallotError as error:
        _fail(error)
    actor, chair = "simulate", as_user or "simulate"

    if session.state == State.DRAFT:
        step(lambda: candidates.lock_list(sessions.get_session(session_ref), actor, secret))
        click.echo("· 已锁定候选名单，生成会议密钥 / candidate list locked, key made")
    if sessions.get_session(session_ref).state == State.LOCKED:
        step(lambda: sessions.transition(sessions.get_session(session_ref), State.CHECKIN, actor))
        click.echo("· 已开始签到 / check-in opened")
    if sessions.get_session(session_ref).state == State.CHECKIN:
        roster_now = roster.list_delegates(session)
        absent = [d for d in roster_now if d.attendance == Attendance.ABSENT]
        wanted = round(len(roster_now) * turnout) - sum(d.attendance == Attendance.PRESENT
                                                        for d in roster_now)
        chosen = [d.id for d in rng.sample(absent, max(0, min(wanted, len(absent))))]
        added = step(lambda: check_in_for_drill(
            sessions.get_session(session_ref),
            [roster.get_delegate(session, i) for i in chosen], actor))
        click.echo(f"· 已签到 {added} 名代表（原因：{DRILL_REASON}）/ {added} delegates checked in")
        if not box.is_sealed(sessions.get_session(session_ref)):
            # No key card is printed: only a drill keeps its (drill) shares.
            step(lambda: box.seal(sessions.get_session(session_ref), actor))
            click.echo("· 已封箱 / ballot box sealed")
        number = step(lambda: _open(session_ref, chair))
        click.echo(f"· 第 {number} 轮投票已开始 / round {number} opened")
    if rounds.open_round(sessions.get_session(session_ref)) is None:
        _fail(WrongState(state=STATE_LABELS[sessions.get_session(session_ref).state]))
    cast, skipped = _cast_all(session_ref, rng)
    click.echo(f"· 已投 {cast} 张，跳过 {skipped} 人（本轮已领票）/ cast {cast}, skipped {skipped}")
    if keep_open:
        click.echo("· 投票仍在进行 / the round stays open: ballot close SESSION --as CHAIR")
        return
    number = step(lambda: rounds.close_round(sessions.get_session(session_ref), chair)).number
    click.echo(f"· 第 {number} 轮投票已结束，票箱已封存 / round {number} closed, box sealed")
    session = sessions.get_session(session_ref)
    if not session.is_drill or not session.box_drill_shares:
        click.echo(f"· 开箱计票须由 {session.box_threshold} 位监票人出示密钥卡 / opening needs "
                   f"{session.box_threshold} key cards: ballot open-box {session.slug} --as SCRUTINEER")
        return
    state = step(lambda: opening.open_with_drill_shares(
        sessions.get_session(session_ref), actor, number))
    session = sessions.get_session(session_ref)
    result = rounds.get_round(session, number).result
    click.echo(f"· 已用 {state.count} 份演练密钥开箱（{'、'.join(state.presented)}）并计票 / box opened "
               f"with {state.count} drill shares: 收回 {result['returned']}，有效 {result['valid']}，"
               f"入选 {len(result['chosen'])}")
    if result["tie"] is not None:
        click.echo(f"· 同票跨越入选线 / tie across the cutoff: {'、'.join(result['tie']['candidates'])}"
                   f" 争 {result['tie']['slots']} 个名额：ballot tie-break {session_ref} --as CHAIR"
                   f" 然后 / then ballot simulate {session_ref}，或 / or ballot leave-empty")
        return
    if not no_publish:
        _publish(session_ref, as_user)


def _publish(session_ref: str, as_user: str | None) -> None:
    """Confirm as the session's chief scrutineer and a chair account, then publish (a drill)."""
    from ballot.commands.session_day import step

    session = sessions.get_session(session_ref)
    chief = next((u for u in db.session.execute(select(User).where(User.role == "scrutineer"))
                  .scalars() if results.is_chief_scrutineer(session, u)), None)
    chair = accounts.acting_as(as_user, "chair") if as_user else next(
        (u for u in db.session.execute(select(User).where(User.role == "chair")).scalars()
         if sessions.can_access(u, session.congress)), None)
    if chief is None or chair is None:
        click.echo("· 计票完成。公布前须由总监票人确认、主持人公布 / counted; to publish: "
                   f"ballot confirm {session_ref} --as CHIEF_SCRUTINEER, then ballot publish "
                   f"{session_ref} --as CHAIR")
        return
    step(lambda: results.confirm_as_scrutineer(sessions.get_session(session_ref), chief))
    step(lambda: results.publish_as_chair(sessions.get_session(session_ref), chair))
    click.echo(f"· 总监票人 {chief.label} 已确认，主持人 {chair.label} 已公布结果 / confirmed and "
               f"published: ballot export {session_ref} --format bundle -o bundle.zip")


def _open(session_ref: str, chair: str) -> int:
    return rounds.open_voting(sessions.get_session(session_ref), chair).number


def _cast_all(session_ref: str, rng: random.Random) -> tuple[int, int]:
    """Issue and cast a ballot for every present delegate through the kiosk services, each in
    a unit of work of its own as at a kiosk; (cast, skipped because already issued)."""
    from ballot.commands.session_day import step

    def prepare() -> tuple[int, list[str]]:
        session = sessions.get_session(session_ref)
        voters = [d for d in roster.list_delegates(session)
                  if d.attendance == Attendance.PRESENT]
        return _simulator_kiosk(session).id, credentials.issue_cards(session, voters, "simulate")

    kiosk_id, cards = step(prepare)
    cast = skipped = 0
    with click.progressbar(cards, label="投票 / casting") as bar:
        for card in bar:
            try:
                token, ballot = unit_of_work.run(
                    lambda card=card: voting.issue_ballot(*_at_kiosk(session_ref, kiosk_id), card))
            except BallotError:
                skipped += 1
                continue
            choices = random_choices(rng, [c["code"] for c in ballot["candidates"]],
                                     ballot["quota"], ballot["contested"])
            step(lambda token=token, choices=choices: voting.cast_ballot(
                *_at_kiosk(session_ref, kiosk_id), token, choices))
            cast += 1
    return cast, skipped


def _at_kiosk(session_ref: str, kiosk_id: int) -> tuple[VoteSession, Kiosk]:
    return sessions.get_session(session_ref), db.session.get(Kiosk, kiosk_id)


COMMANDS = [simulate_command]

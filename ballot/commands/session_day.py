"""Every session-day step as a ``ballot`` command, in the order of the day.

Each command calls the same service as the screen (and the /api/v1 endpoint) for that step, in
one unit of work, so a command's close is the chair's close: it seals the round's totals and
writes the same audit entries. A step that belongs to a role (the chair's open, close, tie-break, leave
empty and publish; the chief scrutineer's confirmation) is done as a named account, ``--as
USERNAME``, checked as the screens check the logged-in user; the audit log names that account.
Staff steps take ``--as`` too (default: ``cli``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from flask import current_app
from flask.cli import with_appcontext

from ballot import unit_of_work
from ballot.commands import fail as _fail
from ballot.domain.errors import BallotError
from ballot.domain.states import State
from ballot.models import User, VoteSession
from ballot.models.kiosks import KIOSK_MODES
from ballot.services import accounts, candidates, checkin, kiosks, results, roster, rounds, sessions

T = TypeVar("T")
CHAIR, SCRUTINEER, STAFF = ("chair",), ("scrutineer",), ("staff",)


def step(work: Callable[[], T]) -> T:
    """Run ``work`` as one unit of work; a refusal is printed with every problem (exit 1)."""
    try:
        return unit_of_work.run(work)
    except BallotError as error:
        _fail(error)
        raise  # unreachable: _fail exits


def _as(username: str | None, roles: tuple[str, ...], session_ref: str
        ) -> tuple[User | None, VoteSession]:
    """The account acting (None: the command line itself) and the session, within its congress."""
    user = accounts.acting_as(username, *roles) if username is not None else None
    return user, sessions.get_session(session_ref, user)


def _actor(user: User | None) -> str:
    return user.username if user is not None else "cli"


def session_argument(function):
    return click.argument("session_ref", metavar="SESSION")(function)


def as_option(roles: tuple[str, ...], required: bool):
    role_text = " / ".join(roles)
    help_text = (f"the {role_text} account doing this step (admin accounts may too)" if required
                 else f"a {role_text} account to record in the audit log (default: cli)")
    return click.option("--as", "as_user", metavar="USERNAME", required=required, help=help_text)


def delegate_options(function):
    function = click.option("--name", default=None, help="The delegate's name (姓名).")(function)
    return click.option("--seat", default=None, help="The delegate's seat (座位号).")(function)


# --- before the day: the list and the kiosks --------------------------------------------------


@click.command("lock")
@session_argument
@as_option(STAFF, required=False)
@with_appcontext
def lock_command(session_ref: str, as_user: str | None) -> None:
    """Lock SESSION's candidate list (草稿 → 候选名单已锁定); the session key is made."""
    secret = current_app.config["KEY_ENCRYPTION_SECRET"]

    def work() -> str:
        user, session = _as(as_user, STAFF, session_ref)
        candidates.lock_list(session, _actor(user), secret)
        return session.key_fingerprint

    fingerprint = step(work)
    click.echo(f"候选名单已锁定，会议密钥已生成 / list locked, key made: {session_ref}")
    click.echo(f"密钥指纹 / key fingerprint: {fingerprint}")


@click.command("unlock")
@session_argument
@as_option(STAFF, required=False)
@with_appcontext
def unlock_command(session_ref: str, as_user: str | None) -> None:
    """Unlock SESSION's candidate list to edit it again (a new key is made when re-locked)."""

    def work() -> None:
        user, session = _as(as_user, STAFF, session_ref)
        candidates.unlock_list(session, _actor(user))

    step(work)
    click.echo(f"候选名单已解锁 / list unlocked: {session_ref}")


@click.command("pair-kiosk")
@session_argument
@click.option("--name", "kiosk_name", required=True, help="The kiosk's name, e.g. 东门签到 1 号.")
@click.option("--mode", type=click.Choice(KIOSK_MODES), required=True,
              help="checkin: a check-in kiosk; voting: a voting kiosk.")
@as_option(STAFF, required=False)
@with_appcontext
def pair_kiosk_command(session_ref: str, kiosk_name: str, mode: str, as_user: str | None) -> None:
    """Register a kiosk for SESSION and print its one-time pairing code (valid 15 minutes).

    Open /kiosk on the kiosk's browser and type the code there.
    """

    def work() -> tuple[int, str]:
        user, session = _as(as_user, STAFF, session_ref)
        kiosk, code = kiosks.create_pairing(session, kiosk_name, mode, _actor(user))
        return kiosk.id, code

    kiosk_id, code = step(work)
    minutes = int(kiosks.PAIRING_TTL.total_seconds() // 60)
    click.echo(f"设备 {kiosk_id}“{kiosk_name}”已登记 / kiosk registered ({mode})")
    click.echo(f"配对码 / pairing code: {kiosks.format_pairing_code(code)}"
               f"  （{minutes} 分钟内在设备的 /kiosk 页面输入 / enter it at /kiosk within "
               f"{minutes} minutes）")


# --- check-in ---------------------------------------------------------------------------------


@click.command("open-checkin")
@session_argument
@as_option(STAFF, required=False)
@with_appcontext
def open_checkin_command(session_ref: str, as_user: str | None) -> None:
    """Open check-in for SESSION (候选名单已锁定 → 签到中)."""

    def work() -> None:
        user, session = _as(as_user, STAFF, session_ref)
        sessions.transition(session, State.CHECKIN, _actor(user))

    step(work)
    click.echo(f"签到已开始 / check-in open: {session_ref}")


@click.command("checkin")
@session_argument
@delegate_options
@click.option("--reason", default="", help="Why by hand (required, audited), e.g. 忘带代表证.")
@click.option("--undo", is_flag=True, help="Undo a mistaken check-in instead (reason required).")
@as_option(STAFF, required=False)
@with_appcontext
def checkin_command(session_ref: str, seat: str | None, name: str | None, reason: str,
                    undo: bool, as_user: str | None) -> None:
    """Check a delegate of SESSION in by hand, found by --seat or --name (as at the staff desk)."""

    def work() -> tuple[str, bool]:
        user, session = _as(as_user, STAFF, session_ref)
        delegate = roster.find_delegate(session, seat=seat, name=name)
        if undo:
            checkin.undo_check_in(session, delegate, _actor(user), reason)
            return delegate.name, False
        return delegate.name, checkin.staff_check_in(session, delegate, _actor(user),
                                                     reason).already

    who, already = step(work)
    if undo:
        click.echo(f"已撤销 {who} 代表的签到 / check-in undone")
    elif already:
        click.echo(f"{who} 代表此前已签到 / already checked in")
    else:
        click.echo(f"{who} 代表已签到 / checked in")


@click.command("leave")
@session_argument
@delegate_options
@click.option("--reason", default="", help="The reason, kept in the audit log.")
@click.option("--clear", is_flag=True, help="Clear the leave mark instead.")
@as_option(STAFF, required=False)
@with_appcontext
def leave_command(session_ref: str, seat: str | None, name: str | None, reason: str, clear: bool,
                  as_user: str | None) -> None:
    """Mark a delegate of SESSION on leave (请假), found by --seat or --name; --clear undoes it."""

    def work() -> str:
        user, session = _as(as_user, STAFF, session_ref)
        delegate = roster.find_delegate(session, seat=seat, name=name)
        roster.set_leave(session, delegate, not clear, _actor(user), reason)
        return delegate.name

    who = step(work)
    click.echo(f"{who} 代表的请假已取消 / leave cleared" if clear
               else f"{who} 代表已请假 / on leave")


# --- voting: the chair's steps ----------------------------------------------------------------


@click.command("open")
@session_argument
@as_option(CHAIR, required=True)
@with_appcontext
def open_command(session_ref: str, as_user: str) -> None:
    """Open voting as the chair (签到中 → 投票中, quorum checked): round 1 starts."""

    def work() -> tuple[int, int, int, int]:
        user, session = _as(as_user, CHAIR, session_ref)
        round_ = rounds.open_voting(session, user.username)
        return round_.number, round_.quota, len(round_.candidates), round_.present

    number, quota, count, present = step(work)
    click.echo(f"第 {number} 轮投票已开始 / round {number} open: "
               f"应选 {quota}，候选 {count}，实到 {present}")


def say_closed(session: VoteSession, round_) -> None:
    """What a close tells the operator: the figures, the root and how to open the box."""
    click.echo(f"第 {round_.number} 轮投票已结束，票箱已封存 / round {round_.number} closed, box sealed: "
               f"发出 {rounds.issued_count(session, round_.number)}，"
               f"收回 {rounds.returned_count(session, round_.number)}")
    click.echo(f"默克尔树根 / Merkle root: {round_.merkle_root}")
    click.echo(f"开箱计票需 {session.box_threshold} 位监票人的密钥卡 / opening needs "
               f"{session.box_threshold} key cards: ballot open-box {session.slug} --as SCRUTINEER"
               + ("（演练 / drill: ballot open-box --drill）" if session.is_drill else ""))


@click.command("close")
@session_argument
@as_option(CHAIR, required=True)
@with_appcontext
def close_command(session_ref: str, as_user: str) -> None:
    """Close the open round as the chair (void unused ballots, Merkle root, seal the totals);
    the scrutineers then open the box (ballot open-box)."""

    def work():
        user, session = _as(as_user, CHAIR, session_ref)
        return rounds.close_round(session, user.username).number

    number = step(work)
    session = sessions.get_session(session_ref)
    say_closed(session, rounds.get_round(session, number))


@click.command("tie-break")
@session_argument
@as_option(CHAIR, required=True)
@with_appcontext
def tie_break_command(session_ref: str, as_user: str) -> None:
    """The chair's 再次投票: a further round on the projects tied across the cutoff."""

    def work() -> tuple[int, list[str], int]:
        user, session = _as(as_user, CHAIR, session_ref)
        new_round = rounds.start_tie_break(session, user.username)
        return new_round.number, list(new_round.candidates), new_round.quota

    number, codes, quota = step(work)
    click.echo(f"第 {number} 轮（再次投票）已开始 / round {number} (tie-break) open: "
               f"{'、'.join(codes)} 争 {quota} 个名额")


@click.command("leave-empty")
@session_argument
@click.option("--reason", default="", help="Why (required; kept in the audit log).")
@as_option(CHAIR, required=True)
@with_appcontext
def leave_empty_command(session_ref: str, reason: str, as_user: str) -> None:
    """The chair's decision to leave the tied slots empty, with the reason."""

    def work() -> None:
        user, session = _as(as_user, CHAIR, session_ref)
        rounds.leave_empty(session, user.username, reason)

    step(work)
    click.echo("已决定该名额空缺 / the tied slots stay empty")


# --- after the count --------------------------------------------------------------------------


@click.command("confirm")
@session_argument
@as_option(SCRUTINEER, required=True)
@with_appcontext
def confirm_command(session_ref: str, as_user: str) -> None:
    """The chief scrutineer confirms SESSION's count (their own scrutineer account)."""

    def work() -> str:
        user, session = _as(as_user, SCRUTINEER, session_ref)
        results.confirm_as_scrutineer(session, user)
        return user.label

    who = step(work)
    click.echo(f"已确认计票结果 / count confirmed: {who}")


@click.command("publish")
@session_argument
@as_option(CHAIR, required=True)
@with_appcontext
def publish_command(session_ref: str, as_user: str) -> None:
    """The chair confirms and publishes SESSION's signed result (after the chief scrutineer)."""

    def work() -> tuple[str, str]:
        user, session = _as(as_user, CHAIR, session_ref)
        results.publish_as_chair(session, user)
        return session.slug, session.key_fingerprint

    slug, fingerprint = step(work)
    click.echo(f"已公布并签名 / published: {slug}")
    click.echo(f"密钥指纹 / key fingerprint: {fingerprint}")


@click.command("fingerprint")
@session_argument
@click.option("--box", "of_box", is_flag=True,
              help="票箱指纹（用于 ballot verify --box-fingerprint）/ the ballot box's fingerprint "
                   "(for `ballot verify --box-fingerprint`).")
@with_appcontext
def fingerprint_command(session_ref: str, of_box: bool) -> None:
    """Print SESSION's key fingerprint alone (for `ballot verify --fingerprint`), or with --box
    its ballot box's (for `ballot verify --box-fingerprint`)."""
    try:
        session = sessions.get_session(session_ref)
    except BallotError as error:
        _fail(error)
    if of_box:
        if not session.box_fingerprint:
            raise click.ClickException("票箱尚未封箱，还没有票箱指纹 / the box is not sealed yet")
        click.echo(session.box_fingerprint)
        return
    if not session.key_fingerprint:
        raise click.ClickException("会议尚未锁定候选名单，还没有密钥 / no key before the list is locked")
    click.echo(session.key_fingerprint)


COMMANDS = [lock_command, unlock_command, pair_kiosk_command, open_checkin_command,
            checkin_command, leave_command, open_command, close_command, tie_break_command,
            leave_empty_command, confirm_command, publish_command, fingerprint_command]

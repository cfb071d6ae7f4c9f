"""The delegate roster: edit before check-in, import from CSV/XLSX, mark leave."""

from __future__ import annotations

from sqlalchemy import func, select

from ballot import inputs
from ballot.domain.errors import (
    N_,
    ImportRejected,
    InvalidInput,
    NotFound,
)
from ballot.domain.fields import DelegateFields
from ballot.domain.states import Attendance, State
from ballot.extensions import db
from ballot.models import Delegate, VoteSession
from ballot.services import audit, sessions, tabular

ALIASES = {
    "name": ("姓名", "代表姓名", "name"),
    "delegation": ("代表团", "选区", "代表团/选区", "所属代表团", "delegation", "constituency"),
    "seat": ("座位号", "座号", "座位", "seat"),
    "phone": ("电话", "手机", "手机号", "联系电话", "phone"),
}
EDITABLE_STATES = (State.DRAFT, State.LOCKED)


def _next_order(session: VoteSession) -> int:
    current = db.session.execute(
        select(func.max(Delegate.roster_order)).where(Delegate.session_id == session.id)
    ).scalar_one()
    return (current or 0) + 1


def list_delegates(session: VoteSession) -> list[Delegate]:
    """The roster in roster order."""
    return list(db.session.execute(
        select(Delegate).where(Delegate.session_id == session.id).order_by(Delegate.roster_order)
    ).scalars())


def get_delegate(session: VoteSession, delegate_id: int) -> Delegate:
    """A delegate of ``session`` by id, or NotFound."""
    # Ids from URLs are in the id column's range already (ballot.web.request_limits).
    delegate = db.session.get(Delegate, delegate_id)
    if delegate is None or delegate.session_id != session.id:
        raise NotFound(N_("找不到该代表。"))
    return delegate


def find_delegate(session: VoteSession, *, seat: str | None = None,
                  name: str | None = None) -> Delegate:
    """The delegate of ``session`` in ``seat`` (座位号) or called ``name``: exactly one of the two;
    NotFound when nobody matches, InvalidInput when a name is shared (then the seat decides)."""
    seat, name = (seat or "").strip(), (name or "").strip()
    if bool(seat) == bool(name):
        raise InvalidInput(N_("请给出代表的座位号或姓名（二者选一）。"))
    column, value = (Delegate.seat, seat) if seat else (Delegate.name, name)
    found = list(db.session.execute(
        select(Delegate).where(Delegate.session_id == session.id, column == value)
        .order_by(Delegate.roster_order)).scalars())
    if not found:
        if seat:
            raise NotFound(N_("名册中没有座位号为“%(seat)s”的代表。"), seat=seat[:40])
        raise NotFound(N_("名册中没有名为“%(name)s”的代表。"), name=name[:40])
    if len(found) > 1:
        raise InvalidInput(N_("名册中有 %(count)s 名代表叫“%(name)s”，请改用座位号。"),
                           count=len(found), name=name[:40])
    return found[0]


def _check_unique(session: VoteSession, fields: DelegateFields, exclude: int | None = None) -> None:
    clash = db.session.execute(
        select(Delegate).where(Delegate.session_id == session.id, Delegate.seat == fields.seat)
    ).scalar_one_or_none()
    if clash is not None and clash.id != exclude:
        raise InvalidInput(N_("座位号 %(seat)s 已分配给代表 %(name)s。"), seat=fields.seat,
                           name=clash.name)


def add_delegate(session: VoteSession, fields: DelegateFields, actor: str) -> Delegate:
    """Add one delegate to the roster (before check-in opens)."""
    sessions.require_state(session, *EDITABLE_STATES)
    _check_unique(session, fields)
    delegate = Delegate(session_id=session.id, roster_order=_next_order(session),
                        **fields.columns())
    db.session.add(delegate)
    db.session.flush()
    audit.record(actor, "delegate.add", session, delegate_id=delegate.id, name=delegate.name)
    return delegate


def update_delegate(session: VoteSession, delegate: Delegate, fields: DelegateFields,
                    actor: str) -> None:
    """Edit a delegate (before check-in opens)."""
    sessions.require_state(session, *EDITABLE_STATES)
    _check_unique(session, fields, exclude=delegate.id)
    for key, value in fields.columns().items():
        setattr(delegate, key, value)
    audit.record(actor, "delegate.update", session, delegate_id=delegate.id, name=delegate.name)


def remove_delegate(session: VoteSession, delegate: Delegate, actor: str) -> None:
    """Take a delegate off the roster (before check-in opens)."""
    sessions.require_state(session, *EDITABLE_STATES)
    db.session.delete(delegate)
    audit.record(actor, "delegate.remove", session, delegate_id=delegate.id, name=delegate.name)


def set_leave(session: VoteSession, delegate: Delegate, on_leave: bool, actor: str,
              reason: str = "") -> None:
    """Mark a delegate as on leave (请假), or clear it, until voting opens."""
    sessions.require_state(session, State.DRAFT, State.LOCKED, State.CHECKIN)
    if on_leave and delegate.attendance == Attendance.PRESENT:
        raise InvalidInput(N_("代表 %(name)s 已签到，不能标记为请假；如为误签，请先撤销签到。"),
                           name=delegate.name)
    delegate.attendance = Attendance.LEAVE if on_leave else Attendance.ABSENT
    audit.record(actor, "delegate.leave" if on_leave else "delegate.leave_cleared", session,
                 delegate_id=delegate.id, name=delegate.name, reason=reason[:200])


def import_delegates(
    session: VoteSession, data: bytes, filename: str, actor: str, *, replace: bool = False,
    max_rows: int = 5000,
) -> int:
    """Import a roster from CSV/XLSX, all or nothing; ImportRejected lists every bad row."""
    sessions.require_state(session, *EDITABLE_STATES)
    table = tabular.read_table(data, filename, ALIASES, ("name", "seat"), max_rows)
    existing = [] if replace else list_delegates(session)
    # value: ("roster", name of the delegate already there) or ("file", line seen earlier)
    seats = {d.seat: ("roster", d.name) for d in existing}
    people = {(d.name, d.delegation): ("roster", d.seat) for d in existing}
    errors: list[tabular.RowError] = []
    parsed: list[DelegateFields] = []
    for line, row in table.rows:
        clean, problems = inputs.delegate_fields(row)
        for field, message, params in problems:
            errors.append(tabular.RowError(line, table.headers.get(field), message, params))
        seat, person = clean.seat, (clean.name, clean.delegation)
        if seat and seat in seats:
            where, other = seats[seat]
            message = (N_("座位号 %(seat)s 与第 %(other)s 行重复。") if where != "roster"
                       else N_("座位号 %(seat)s 已分配给名册中的代表 %(other)s。"))
            errors.append(tabular.RowError(line, table.headers["seat"], message,
                                           {"seat": seat, "other": other}))
        elif seat:
            seats[seat] = ("file", line)
        if clean.name and person in people:
            where, other = people[person]
            message = (N_("代表 %(name)s（%(delegation)s）与第 %(other)s 行重复。") if where != "roster"
                       else N_("代表 %(name)s（%(delegation)s）已在名册中。"))
            errors.append(tabular.RowError(line, table.headers["name"], message, {
                "name": clean.name, "delegation": clean.delegation or "—", "other": other}))
        elif clean.name:
            people[person] = ("file", line)
        parsed.append(clean)
    if errors:
        raise ImportRejected(errors)
    if replace:
        for delegate in list_delegates(session):
            db.session.delete(delegate)
        db.session.flush()
    order = _next_order(session)
    for offset, clean in enumerate(parsed):
        db.session.add(Delegate(session_id=session.id, roster_order=order + offset,
                                **clean.columns()))
    db.session.flush()
    audit.record(actor, "delegate.import", session, filename=filename, rows=len(parsed),
                 replace=replace)
    return len(parsed)

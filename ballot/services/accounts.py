"""Staff accounts: create, authenticate, and the server-side record of who is logged in."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, func, or_, select

from ballot.domain.errors import N_, InvalidInput, Listing, PermissionDenied
from ballot.extensions import db
from ballot.models import AuditEntry, LoginSession, User, utcnow
from ballot.models.accounts import ROLES
from ballot.services import audit

MIN_PASSWORD = 8
MAX_FAILURES = 5
FAILURE_WINDOW_MINUTES = 10
LOGIN_MAX_HOURS = 24  # a login lasts a session day at most


def create_user(username: str, password: str, role: str, actor: str, *,
                congress: str | None = None, display_name: str = "") -> User:
    """Create a staff account; InvalidInput when the name is taken or the password too short."""
    username = username.strip()
    if role not in ROLES:
        raise InvalidInput(N_("角色只能是 %(roles)s 之一。"), roles=Listing(ROLES))
    if not username or len(username) > 80:
        raise InvalidInput(N_("用户名不能为空，且不超过 80 个字符。"))
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(N_("密码至少 %(min)s 位。"), min=MIN_PASSWORD)
    if find_user(username) is not None:
        raise InvalidInput(N_("用户名“%(name)s”已存在。"), name=username)
    user = User(username=username, role=role, congress=congress or None,
                display_name=display_name.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", None, username=username, role=role, congress=congress)
    return user


def find_user(username: str) -> User | None:
    """The account called ``username``, if any."""
    return db.session.execute(select(User).where(User.username == username.strip())).scalar_one_or_none()


def acting_as(username: str, *roles: str) -> User:
    """The active account ``username`` a command acts as (``--as``), if its role is one of
    ``roles`` (admin always is), as the screens' role guard would allow; else an error that
    names what to give instead."""
    user = find_user(username or "")
    if user is None or not user.active:
        raise InvalidInput(N_("没有名为“%(name)s”的有效账号。请在 --as 后写一个已有账号的用户名"
                              "（ballot create-user 可以创建）。"), name=(username or "")[:80])
    if user.role != "admin" and user.role not in roles:
        raise PermissionDenied(N_("账号“%(name)s”的角色是 %(role)s，这一步须由以下角色的账号执行："
                                  "%(roles)s。"), name=user.username, role=user.role,
                               roles=Listing(roles))
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active account matching the credentials, or None."""
    user = find_user(username)
    if user is None or not user.active or not user.check_password(password):
        return None
    return user


def recent_failures(username: str, address: str) -> int:
    """Failed logins for this name or from this address in the last window (database-backed,
    so the limit holds across app processes)."""
    since = utcnow() - timedelta(minutes=FAILURE_WINDOW_MINUTES)
    return db.session.execute(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "user.login_failed",
            AuditEntry.at >= since,
            or_(AuditEntry.actor == (username or "?"),
                AuditEntry.detail["address"].as_string() == address),
        )
    ).scalar_one()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(user: User) -> str:
    """Record a new login for ``user``; returns the token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    expired = utcnow() - timedelta(hours=LOGIN_MAX_HOURS)
    db.session.execute(LoginSession.__table__.delete().where(
        LoginSession.user_id == user.id, LoginSession.started_at < expired))
    db.session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id))
    db.session.flush()
    return token


@functools.cache
def _login_statement():
    """Built once: every staff request (the chair screen's polls included) runs it."""
    return select(User).join(LoginSession, LoginSession.user_id == User.id).where(
        LoginSession.token_hash == bindparam("token_hash"),
        LoginSession.started_at >= bindparam("cutoff"), User.active.is_(True))


def logged_in_user(token: str | None) -> User | None:
    """The active user whose unexpired login ``token`` is, or None."""
    if not token:
        return None
    return db.session.execute(_login_statement(), {
        "token_hash": _token_hash(token),
        "cutoff": utcnow() - timedelta(hours=LOGIN_MAX_HOURS)}).scalar_one_or_none()


def end_login(token: str | None) -> None:
    """Forget the login ``token`` (logging out): a copy of the cookie no longer works."""
    if token:
        db.session.execute(LoginSession.__table__.delete().where(
            LoginSession.token_hash == _token_hash(token)))

"""Staff accounts: create, scope, disable, reset, authenticate, and the server-side record of
who is logged in. Every change is audited (who did it, to whom, what), never a password."""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from werkzeug.security import check_password_hash, generate_password_hash

from ballot.domain.errors import (
    MESSAGE_SEPARATOR,
    N_,
    AccountDisabled,
    InvalidInput,
    Listing,
    NotFound,
    PermissionDenied,
    WrongState,
)
from ballot.extensions import db
from ballot.models import AuditEntry, LoginSession, User, VoteSession, utcnow
from ballot.models.accounts import ROLES
from ballot.services import audit

MIN_PASSWORD = 8
# Temporary passwords an admin hands over (read aloud, typed from paper): no 0/O, 1/l/I.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LOGIN_MAX_HOURS = 24  # a login lasts a session day at most

# Failed logins slow down the address they come from, never the account everywhere: a guesser
# at one computer must not lock the chair out of the hall's others. Per account and address the
# first FREE_TRIES_PER_ACCOUNT failures cost nothing, then each further try waits twice as long
# as the last (BACKOFF_FIRST_SECONDS, doubling, at most BACKOFF_MAX_SECONDS); an address trying
# many names is slowed the same way after FREE_TRIES_PER_ADDRESS. Failures older than the
# window are forgotten.
FREE_TRIES_PER_ACCOUNT = 5
FREE_TRIES_PER_ADDRESS = 20
BACKOFF_FIRST_SECONDS = 2
BACKOFF_MAX_SECONDS = 600
FAILURE_WINDOW = timedelta(minutes=30)


def normalise_username(text: str) -> str:
    """A user name as stored and looked up: Unicode NFKC, without surrounding whitespace, so
    " chair", "chair " and "\tchair" are all the account chair (and share its failure count)."""
    return unicodedata.normalize("NFKC", text).strip()


def _clean_username(text: str) -> str:
    return "".join(ch for ch in normalise_username(text)
                   if not unicodedata.category(ch).startswith("C"))


def create_user(username: str, password: str, role: str, actor: str, *,
                congress: str | None = None, display_name: str = "",
                must_change_password: bool = False) -> User:
    """Create a staff account; InvalidInput when the name is taken, not in its plain form (as a
    login would normalise it, no control or invisible characters) or the password too short.
    An admin sees every congress, so an admin account is never scoped. ``must_change_password``:
    the password is one an admin chose, which the user must replace at first login."""
    if role not in ROLES:
        raise InvalidInput(N_("角色只能是 %(roles)s 之一。"), roles=Listing(ROLES))
    clean = _clean_username(username)
    if not clean or len(clean) > 80:
        raise InvalidInput(N_("用户名不能为空，且不超过 80 个字符。"))
    if username != clean:
        raise InvalidInput(N_("用户名不能以空白开头或结尾，也不能含控制字符、不可见字符或全角字母数字；"
                              "请改用“%(clean)s”。"), clean=clean)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(N_("密码至少 %(min)s 位。"), min=MIN_PASSWORD)
    if find_user(username) is not None:
        raise InvalidInput(N_("用户名“%(name)s”已存在。"), name=username)
    congress = None if role == "admin" else clean_congress(congress)
    user = User(username=username, role=role, congress=congress,
                display_name=(display_name or "").strip()[:80],
                must_change_password=must_change_password)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", None, username=username, role=role, congress=congress)
    return user


def clean_congress(text: str | None) -> str | None:
    """A congress name as stored on an account (None: every congress); InvalidInput when too long."""
    clean = unicodedata.normalize("NFKC", text or "").strip()
    if len(clean) > 120:
        raise InvalidInput(N_("人大名称不超过 120 个字符。"))
    return clean or None


def generate_password() -> str:
    """A temporary password to hand over: 12 letters and digits in groups of four."""
    chars = "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


def list_users() -> list[User]:
    """Every account: admins first, then by role and user name."""
    order = {role: index for index, role in enumerate(ROLES)}
    users = db.session.execute(select(User)).scalars().all()
    return sorted(users, key=lambda u: (order.get(u.role, len(order)), u.username))


def get_user(user_id: int) -> User:
    """The account with id ``user_id``; NotFound otherwise."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(N_("没有这个账号。"))
    return user


def known_congresses() -> list[str]:
    """Congress names in use (sessions' and accounts'), for choosing an account's scope."""
    names = set(db.session.execute(select(VoteSession.congress).distinct()).scalars())
    names |= set(db.session.execute(
        select(User.congress).where(User.congress.is_not(None)).distinct()).scalars())
    return sorted(names)


def congress_has_sessions(congress: str) -> bool:
    """True when some session belongs to ``congress`` (a scope naming none is likely a typo)."""
    return db.session.execute(select(VoteSession.id).where(
        VoteSession.congress == congress).limit(1)).first() is not None


def _actor_name(by: User | None) -> str:
    return by.username if by is not None else "cli"


def _end_logins(user: User) -> None:
    """Every open login of ``user`` ends now (their next request goes to the login page)."""
    db.session.execute(LoginSession.__table__.delete().where(LoginSession.user_id == user.id))


def set_scope(user: User, congress: str | None, by: User | None) -> None:
    """Limit ``user`` to one congress's sessions, or (None/empty) let them see every congress."""
    congress = clean_congress(congress)
    if user.role == "admin" and congress is not None:
        raise InvalidInput(N_("管理员总能看到所有人大的会议，不能限定为某一人大。"))
    if congress == user.congress:
        return
    before, user.congress = user.congress, congress
    audit.record(_actor_name(by), "user.scope", None, username=user.username,
                 before=before, congress=congress)


def _other_active_admins(user: User) -> int:
    # Locked (PostgreSQL) so that two admins disabling each other at once cannot both succeed.
    rows = db.session.execute(select(User.id).where(
        User.role == "admin", User.active.is_(True), User.id != user.id).with_for_update()).all()
    return len(rows)


def disable_user(user: User, by: User | None) -> None:
    """Disable ``user``: no login works and their open logins end now. An admin cannot disable
    themself, and the last active admin cannot be disabled (nobody could manage accounts)."""
    if by is not None and by.id == user.id:
        raise PermissionDenied(N_("不能停用自己的账号。"))
    if not user.active:
        return
    if user.role == "admin" and _other_active_admins(user) == 0:
        raise WrongState(N_("“%(name)s”是最后一个启用的管理员账号，不能停用；"
                            "请先创建或启用另一个管理员账号。"), name=user.username)
    user.active = False
    _end_logins(user)
    audit.record(_actor_name(by), "user.disable", None, username=user.username)


def enable_user(user: User, by: User | None) -> None:
    """Let a disabled account log in again."""
    if user.active:
        return
    user.active = True
    audit.record(_actor_name(by), "user.enable", None, username=user.username)


def reset_password(user: User, by: User | None) -> str:
    """Give ``user`` a new temporary password (returned, to be shown once): they must change it
    at their next login, and every open login of theirs ends."""
    if by is not None and by.id == user.id:
        raise InvalidInput(N_("不能重置自己的密码；请用页面上方的“修改密码”。"))
    password = generate_password()
    user.set_password(password)
    user.must_change_password = True
    _end_logins(user)
    audit.record(_actor_name(by), "user.password_reset", None, username=user.username)
    return password


def change_password(user: User, current: str, new: str, repeated: str) -> None:
    """A user changes their own password: the current one must match, the new one be long
    enough, typed twice alike, and differ. Every other login of the account ends (audited)."""
    errors = []
    if not user.check_password(current or ""):
        errors.append(N_("当前密码不正确。"))
    if len(new or "") < MIN_PASSWORD:
        errors.append((N_("新密码至少 %(min)s 位。"), {"min": MIN_PASSWORD}))
    elif new != repeated:
        errors.append(N_("两次输入的新密码不一致。"))
    elif new == current:
        errors.append(N_("新密码不能与当前密码相同。"))
    if errors:
        raise InvalidInput(N_("密码未修改：%(errors)s"),
                           errors=Listing(errors, MESSAGE_SEPARATOR))
    user.set_password(new)
    user.must_change_password = False
    audit.record(user.username, "user.password_changed", None, username=user.username)


def find_user(username: str) -> User | None:
    """The account called ``username`` (normalised), if any."""
    return db.session.execute(
        select(User).where(User.username == normalise_username(username))).scalar_one_or_none()


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


@functools.cache
def _stand_in_hash() -> str:
    """A hash made like every account's, to check a password against when the name has no
    account: the answer then takes as long as for a wrong password (no account enumeration)."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(username: str, password: str) -> User | None:
    """The active account matching the credentials, or None (in the same time either way).
    AccountDisabled when they match a disabled account: only someone who knows the password
    learns that the account exists and is disabled."""
    user = find_user(username)
    matches = check_password_hash(user.password_hash if user else _stand_in_hash(), password)
    if user is None or not matches:
        return None
    if not user.active:
        raise AccountDisabled()
    return user


def _backoff(failures: list[datetime], free: int, now: datetime) -> float:
    """Seconds still to wait after these failures (oldest first), when ``free`` cost nothing."""
    if len(failures) < free:
        return 0.0
    delay = min(BACKOFF_FIRST_SECONDS * 2 ** (len(failures) - free), BACKOFF_MAX_SECONDS)
    return max(0.0, (failures[-1] + timedelta(seconds=delay) - now).total_seconds())


def login_wait(username: str, address: str, now: datetime | None = None) -> int:
    """Whole seconds the browser at ``address`` must wait before trying ``username`` again
    (0: it may try now). Read from the audit log, so it holds across server processes."""
    now = now or utcnow()
    rows = db.session.execute(
        select(AuditEntry.actor, AuditEntry.at).where(
            AuditEntry.action == "user.login_failed", AuditEntry.at >= now - FAILURE_WINDOW,
            AuditEntry.detail["address"].as_string() == address,
        ).order_by(AuditEntry.at)).all()
    account = failure_actor(username)
    wait = max(_backoff([at for actor, at in rows if actor == account], FREE_TRIES_PER_ACCOUNT, now),
               _backoff([at for _, at in rows], FREE_TRIES_PER_ADDRESS, now))
    return math.ceil(wait)


def failure_actor(username: str) -> str:
    """The name a failed login is recorded under: the normalised name typed, or "?"."""
    return normalise_username(username)[:80] or "?"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_login(user: User) -> str:
    """Record a new login for ``user``; returns the token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    expired = utcnow() - timedelta(hours=LOGIN_MAX_HOURS)
    db.session.execute(LoginSession.__table__.delete().where(
        LoginSession.user_id == user.id, LoginSession.started_at < expired))
    db.session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id))
    user.last_login_at = utcnow()
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

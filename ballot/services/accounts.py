"""Staff accounts: create, authenticate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select

from ballot.domain.errors import N_, InvalidInput
from ballot.extensions import db
from ballot.models import AuditEntry, User, utcnow
from ballot.models.accounts import ROLES
from ballot.services import audit

MIN_PASSWORD = 8
MAX_FAILURES = 5
FAILURE_WINDOW_MINUTES = 10


def create_user(username: str, password: str, role: str, actor: str, *,
                congress: str | None = None, display_name: str = "") -> User:
    """Create a staff account; InvalidInput when the name is taken or the password too short."""
    username = username.strip()
    if role not in ROLES:
        raise InvalidInput(N_("角色只能是 %(roles)s 之一。"), roles="、".join(ROLES))
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

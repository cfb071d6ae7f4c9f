"""Staff accounts (admin, staff, chair, scrutineer, counter)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ballot.domain.errors import N_
from ballot.models.base import Base, UTCDateTime, utcnow

# counter (计票人): enters paper ballots in the counting room, and sees nothing else.
ROLES = ("admin", "staff", "chair", "scrutineer", "counter")
ROLE_LABELS = {"admin": N_("管理员"), "staff": N_("会务人员"), "chair": N_("主持人"),
               "scrutineer": N_("监票人"), "counter": N_("计票人")}


class User(Base):
    """A staff login. ``congress`` scopes non-admins to one congress's sessions (None: all;
    an admin's is always None). ``active`` False: disabled, no login works."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    congress: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    # Set when an admin chose the password (a new account, a reset): until the user picks their
    # own, every staff page sends them to /account/password.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (never the password)."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def label(self) -> str:
        """The name shown on pages and in the audit log."""
        return self.display_name or self.username


class LoginSession(Base):
    """One browser's login, kept on the server so logging out ends it for good.

    The cookie holds a random token; only its SHA-256 is stored, so a copy of the database
    cannot be turned into a login.
    """

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Voting sessions (一次人代会的票决) and their candidate projects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.domain.states import State
from ballot.models.base import Base, StateColumn, UTCDateTime, utcnow


class VoteSession(Base):
    """A congress session's project vote, with its rules and lifecycle state."""

    __tablename__ = "vote_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    congress: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))
    # 票决 ("vote") or 满意度测评 ("rating"): a 测评 ballot rates each project 满意 / 基本满意 /
    # 不满意 (domain/rating.py); its projects are the chosen projects of an earlier 票决.
    kind: Mapped[str] = mapped_column(String(10), default="vote")
    # A 测评's basis for "more than half" (rating.BASES): the ballots cast, or the roster.
    rating_basis: Mapped[str] = mapped_column(String(10), default="cast")
    date: Mapped[dt.date] = mapped_column(Date)
    year: Mapped[int]
    quota: Mapped[int]
    contested: Mapped[bool] = mapped_column(default=True)
    min_excess_ratio: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0.20"))
    pass_basis: Mapped[str] = mapped_column(String(10), default="roster")
    # A delegate who arrives after voting opens may check in (recorded as late) and vote.
    late_checkin: Mapped[bool] = mapped_column(default=True)
    state: Mapped[State] = mapped_column(StateColumn(State, 20), default=State.DRAFT)
    # A rehearsal (演练): marked on every page, export, card and the signed result.
    is_drill: Mapped[bool] = mapped_column(default=False)
    chief_scrutineer: Mapped[str] = mapped_column(String(80), default="")
    scrutineers: Mapped[str] = mapped_column(String(400), default="")
    counters: Mapped[str] = mapped_column(String(400), default="")
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    private_key_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The ballot box (封箱, DESIGN §3): t of n scrutineers' shares open it. Only public values are
    # stored: the box public key, each share's Feldman commitment, who holds share i, and the
    # fingerprint read out in the hall. The secret and the shares are never stored, except a
    # drill's (演练: `ballot simulate`, the demo) drill shares, so it opens without scanning.
    box_threshold: Mapped[int] = mapped_column(default=2)
    box_shares: Mapped[int] = mapped_column(default=3)
    box_public_key: Mapped[str | None] = mapped_column(String(64))
    box_commitments: Mapped[list | None] = mapped_column(JSON)
    box_holders: Mapped[list | None] = mapped_column(JSON)
    box_fingerprint: Mapped[str | None] = mapped_column(String(64))
    box_drill_shares: Mapped[list | None] = mapped_column(JSON)
    # Publication: who confirmed the count, and the signed result document (canonical JSON).
    scrutineer_confirmed_by: Mapped[str | None] = mapped_column(String(80))
    chair_confirmed_by: Mapped[str | None] = mapped_column(String(80))
    result_document: Mapped[bytes | None] = mapped_column(LargeBinary)
    result_signature: Mapped[bytes | None] = mapped_column(LargeBinary)

    candidates: Mapped[list[Candidate]] = relationship(
        back_populates="session", order_by="Candidate.position", cascade="all, delete-orphan"
    )

    @property
    def display_title(self) -> str:
        """The title as documents print it: a drill's carries 【演练】 in front."""
        return f"{DRILL_MARK}{self.title}" if self.is_drill else self.title


DRILL_MARK = "【演练】"


class Candidate(Base):
    """A candidate livelihood project (候选项目)."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("session_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    position: Mapped[int]
    code: Mapped[str | None] = mapped_column(String(4))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    department: Mapped[str] = mapped_column(String(120), default="")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    source: Mapped[str] = mapped_column(String(120), default="")
    # A 测评 session's project: the tracking record (tracked_projects.id) its rating goes to.
    # A plain id, not a foreign key (tracked_projects already points at candidates); publication
    # checks it still names a tracked project.
    tracked_project_id: Mapped[int | None]

    session: Mapped[VoteSession] = relationship(back_populates="candidates")

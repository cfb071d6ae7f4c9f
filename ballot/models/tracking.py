"""After the vote: tracking the chosen projects, progress reports with photos, 测评 ratings.

Every table carries ``session_id`` (the 票决 session that chose the project), so a drill's reset
and deletion clear them with the rest of the session.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.models.base import Base, UTCDateTime, utcnow
from ballot.models.sessions import Candidate


class TrackedProject(Base):
    """A chosen project being carried out: who does it, with what budget, toward which milestones."""

    __tablename__ = "tracked_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True)
    responsible_unit: Mapped[str] = mapped_column(String(120), default="")
    budget: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # Planned milestones, one a line ("2027-06 主体完工"), as the office writes them.
    milestones: Mapped[str] = mapped_column(Text, default="")
    # The supervising delegates (监督小组), names separated by 、.
    supervisors: Mapped[str] = mapped_column(String(400), default="")
    percent_done: Mapped[int] = mapped_column(default=0)
    budget_spent: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # Set by a 不满意 rating (整改); cleared by a later rating that is not 不满意.
    rectification: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    candidate: Mapped[Candidate] = relationship()
    reports: Mapped[list[ProgressReport]] = relationship(
        back_populates="project", order_by="ProgressReport.id.desc()",
        cascade="all, delete-orphan")
    ratings: Mapped[list[ProjectRating]] = relationship(
        back_populates="project", order_by="ProjectRating.id.desc()",
        cascade="all, delete-orphan")


class ProgressReport(Base):
    """A progress report (进展) or a rectification follow-up (整改情况) posted by staff."""

    __tablename__ = "progress_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("tracked_projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="progress")
    text: Mapped[str] = mapped_column(Text)
    percent_done: Mapped[int]
    budget_spent: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[TrackedProject] = relationship(back_populates="reports")
    photos: Mapped[list[ReportPhoto]] = relationship(
        back_populates="report", order_by="ReportPhoto.id", cascade="all, delete-orphan")


class ReportPhoto(Base):
    """A photo of a report, re-encoded by the server (JPEG or PNG, metadata dropped)."""

    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("progress_reports.id", ondelete="CASCADE"), index=True)
    mimetype: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)

    report: Mapped[ProgressReport] = relationship(back_populates="photos")


class ProjectRating(Base):
    """A 满意度测评 result for a project: the counts and the grade the rule gave them."""

    __tablename__ = "project_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("tracked_projects.id", ondelete="CASCADE"), index=True)
    satisfied: Mapped[int]
    basically: Mapped[int]
    dissatisfied: Mapped[int]
    cast: Mapped[int]
    basis: Mapped[str] = mapped_column(String(10), default="cast")
    basis_size: Mapped[int]
    grade: Mapped[str] = mapped_column(String(20))
    # The 测评 session whose published result gave this rating (None: recorded by hand).
    rated_in_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True)
    # Where the counts come from: "2027 年 12 月人代会纸质测评"; a 测评 session once it exists.
    source: Mapped[str] = mapped_column(String(200), default="")
    author: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    project: Mapped[TrackedProject] = relationship(back_populates="ratings")

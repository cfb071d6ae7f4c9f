"""SQLAlchemy models, one module per job; import them all here so metadata is complete."""

from ballot.models.accounts import LoginSession, User
from ballot.models.audit import AuditEntry
from ballot.models.ballots import (
    BallotIssue,
    BallotToken,
    BoardEntry,
    BoxPartial,
    PaperSheet,
    Round,
)
from ballot.models.base import Base, utcnow
from ballot.models.kiosks import Kiosk
from ballot.models.roster import Delegate
from ballot.models.sessions import Candidate, VoteSession
from ballot.models.tracking import ProgressReport, ProjectRating, ReportPhoto, TrackedProject

__all__ = [
    "AuditEntry",
    "BallotIssue",
    "BallotToken",
    "Base",
    "BoardEntry",
    "BoxPartial",
    "PaperSheet",
    "Candidate",
    "Delegate",
    "Kiosk",
    "LoginSession",
    "ProgressReport",
    "ProjectRating",
    "ReportPhoto",
    "Round",
    "TrackedProject",
    "User",
    "VoteSession",
    "utcnow",
]

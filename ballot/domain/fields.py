"""Typed values the congress office gives: a session's settings, a candidate's and a delegate's
fields, a 测评's plan.

Text from forms, JSON bodies, command lines and imported rows becomes these at the edge
(ballot/inputs.py, which says what was wrong); services take them as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ballot.domain import rating
from ballot.domain.tally import PASS_BASIS_ROSTER


class _Columns:
    """Typed values whose fields are model columns of the same names."""

    def columns(self) -> dict:
        """The fields by column name."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SessionSettings(_Columns):
    """A session's rules and people, as the settings form gives them (the VoteSession columns
    of the same names)."""

    title: str
    congress: str
    level: str
    date: dt.date
    year: int
    quota: int
    contested: bool = True
    min_excess_ratio: Decimal = Decimal("0.20")
    pass_basis: str = PASS_BASIS_ROSTER
    late_checkin: bool = True
    chief_scrutineer: str = ""
    scrutineers: str = ""
    counters: str = ""
    is_drill: bool = False
    kind: str = rating.KIND_VOTE
    rating_basis: str = rating.BASIS_CAST

    def replace(self, **changes) -> SessionSettings:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class CandidateFields(_Columns):
    """A candidate project's text and budget (万元)."""

    title: str
    summary: str = ""
    category: str = ""
    department: str = ""
    budget: Decimal | None = None
    source: str = ""


@dataclass(frozen=True)
class DelegateFields(_Columns):
    """A delegate's roster entry."""

    name: str
    seat: str
    delegation: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Scrutiny:
    """Who scrutinises and counts (names separated by 、or spaces), and the box's t of n
    (None: keep the session's)."""

    chief_scrutineer: str = ""
    scrutineers: str = ""
    counters: str = ""
    box_threshold: int | None = None
    box_shares: int | None = None


@dataclass(frozen=True)
class RatingPlan:
    """What a 满意度测评 session is created with: which chosen projects (their ballot codes,
    None for all), its majority basis, and its own title, date and people where given (else
    taken from the rated 票决)."""

    codes: tuple[str, ...] | None = None
    basis: str = rating.BASIS_CAST
    title: str | None = None
    date: dt.date | None = None
    slug: str | None = None
    is_drill: bool | None = None
    chief_scrutineer: str | None = None
    scrutineers: str | None = None
    counters: str | None = None


REPORT_KINDS = ("progress", "rectification")


@dataclass(frozen=True)
class TrackingPlan(_Columns):
    """A chosen project's plan: responsible unit, budget (万元), milestones (one a line) and
    supervising delegates."""

    responsible_unit: str = ""
    milestones: str = ""
    supervisors: str = ""
    budget: Decimal | None = None


@dataclass(frozen=True)
class ReportFields:
    """A progress report (kind ``progress``) or a 整改 follow-up (``rectification``)."""

    text: str
    percent_done: int
    budget_spent: Decimal | None = None
    kind: str = REPORT_KINDS[0]


@dataclass(frozen=True)
class RatingCounts:
    """A 满意度测评's counts for one project (from a paper 测评), its basis and source."""

    satisfied: int
    basically: int
    dissatisfied: int
    cast: int
    basis: str = rating.BASIS_CAST
    source: str = ""

    def votes(self) -> dict[str, int]:
        """The four counts by column name."""
        return {"satisfied": self.satisfied, "basically": self.basically,
                "dissatisfied": self.dissatisfied, "cast": self.cast}

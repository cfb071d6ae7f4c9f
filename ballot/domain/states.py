"""Lifecycles as enums: a session's, a round's, a ballot token's, a delegate's attendance.

Each is a StrEnum stored as its value, so a state compares equal to its text ("voting") in
templates, JSON and SQL alike.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """A session's lifecycle, in order. Tie-break rounds go from CLOSED back to VOTING."""

    DRAFT = "draft"
    LOCKED = "locked"
    CHECKIN = "checkin"
    VOTING = "voting"
    CLOSED = "closed"
    PUBLISHED = "published"


class RoundState(StrEnum):
    """A voting round: OPEN while ballots are cast, CLOSED from the close on."""

    OPEN = "open"
    CLOSED = "closed"


class TokenState(StrEnum):
    """A ballot token: OPEN once issued, USED when its ballot is on the board, VOIDED at the
    close (or when a delegate's card is revoked) if unused."""

    OPEN = "open"
    USED = "used"
    VOIDED = "voided"


class Attendance(StrEnum):
    """A delegate on the roster: ABSENT (未到) until checked in as PRESENT (实到), or on LEAVE
    (请假) until voting opens."""

    ABSENT = "absent"
    PRESENT = "present"
    LEAVE = "leave"

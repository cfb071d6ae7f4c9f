"""Rounds, ballot issue marks, one-time ballot tokens and board entries.

Secrecy rules (DESIGN §3): no table here has a timestamp or a sequential key that follows the
order of casting, and nothing links a board entry to a delegate. ``BallotIssue`` says *that* a
delegate was issued a ballot (public: the issued list) and which token hash it issued (to clear
the mark only with its own unused token); ``BallotToken`` knows only its kiosk; ``BoardEntry``
knows only its round, and its id cannot be computed from a token hash. Tokens and entries are
keyed by random hashes and stored WITHOUT ROWID on SQLite, so even the physical row order
carries no casting order.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ballot.domain.states import RoundState, TokenState
from ballot.models.base import Base, StateColumn

ISSUE_KINDS = ("kiosk", "paper")


class Round(Base):
    """A voting round: 1 for the main vote, 2.. for tie-break rounds (再次投票)."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    number: Mapped[int]
    quota: Mapped[int]
    candidates: Mapped[list] = mapped_column(JSON)
    state: Mapped[RoundState] = mapped_column(StateColumn(RoundState, 10), default=RoundState.OPEN)
    present: Mapped[int] = mapped_column(default=0)
    merkle_root: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(20))
    # At close: the product of every entry's ciphertexts per project ({code: {"for", "against"}});
    # the result is set only once t scrutineers have opened the box (decrypted these totals).
    box_products: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    # Paper ballots issued in this round have been entered twice, reconciled and put on the
    # board (services/paper_count.finish): until then the box stays shut.
    paper_finished: Mapped[bool] = mapped_column(default=False, server_default=text("false"))


class PaperSheet(Base):
    """One paper ballot (sheet) as a counter read it in one pass, or as a scrutineer checked it
    against the paper (pass 0), sealed: ``sealed`` is AES-GCM under a key derived from the
    app's secret and the session and round (services/paper_count), never plaintext. The rows
    live only between the close and the finish of the round's paper count, which deletes them.
    """

    __tablename__ = "paper_sheets"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    round_number: Mapped[int] = mapped_column(primary_key=True)
    pass_no: Mapped[int] = mapped_column(primary_key=True)  # 1, 2; 0 = the checked reading
    sheet_no: Mapped[int] = mapped_column(primary_key=True)  # 1..N in the pile's order
    account: Mapped[str] = mapped_column(String(80))  # the username who entered it
    sealed: Mapped[str] = mapped_column(Text)


class BoxPartial(Base):
    """One scrutineer's partial decryption of a round's products, with its proofs (public)."""

    __tablename__ = "box_partials"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    round_number: Mapped[int] = mapped_column(primary_key=True)
    share_index: Mapped[int] = mapped_column(primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    partial: Mapped[dict] = mapped_column(JSON)


class BallotIssue(Base):
    """That a delegate was handed a ballot in a round (发出), at which kiosk, with which token.

    ``token_hash`` names the token this mark issued (its ``BallotToken`` key, never the token),
    so the mark can be cleared only by voiding that very token while it is unused, and a
    delegate whose token was used is never released. The board's ballot id is derived from the
    raw token by another derivation (ballot/crypto.py), so the stored hash yields no ballot id,
    entry or tracking code. No time. A paper ballot's mark (kind "paper") has no token and no
    kiosk: staff handed the delegate a ballot paper, which carries nothing identifying them.
    """

    __tablename__ = "ballot_issues"
    __table_args__ = (UniqueConstraint("token_hash"),)

    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    round_number: Mapped[int] = mapped_column(primary_key=True)
    delegate_id: Mapped[int] = mapped_column(
        ForeignKey("delegates.id", ondelete="CASCADE"), primary_key=True
    )
    kiosk_id: Mapped[int | None] = mapped_column(ForeignKey("kiosks.id", ondelete="SET NULL"))
    # None for a paper ballot: no token, no kiosk; the mark is the whole record of the issue.
    token_hash: Mapped[str | None] = mapped_column(String(64))
    # "kiosk" or "paper" (ISSUE_KINDS): issued counts are kept per kind. One mark per delegate
    # and round whatever its kind, so a delegate never holds a kiosk and a paper ballot at once.
    kind: Mapped[str] = mapped_column(String(10), default="kiosk", server_default="kiosk")


class BallotToken(Base):
    """A one-time ballot token, stored as a hash, bound to a kiosk, never to a delegate."""

    __tablename__ = "ballot_tokens"
    __table_args__ = (
        # A kiosk holds at most one open token: enforced by the database, not by Python.
        Index(
            "uq_ballot_tokens_open_kiosk",
            "kiosk_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
        {"sqlite_with_rowid": False},
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("vote_sessions.id", ondelete="CASCADE"), index=True
    )
    round_number: Mapped[int]
    kiosk_id: Mapped[int] = mapped_column(ForeignKey("kiosks.id", ondelete="CASCADE"))
    state: Mapped[TokenState] = mapped_column(StateColumn(TokenState, 10),
                                              default=TokenState.OPEN)


class BoardEntry(Base):
    """An accepted ballot as published on the bulletin board: payload, hash, signature.

    The primary key is the ballot id derived from the token, so a second ballot on the same
    token violates the key: exactly one ballot per token under any concurrency.
    """

    __tablename__ = "board_entries"
    __table_args__ = (
        Index("ix_board_entries_session_round", "session_id", "round_number"),
        {"sqlite_with_rowid": False},
    )

    ballot_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("vote_sessions.id", ondelete="CASCADE"))
    round_number: Mapped[int]
    payload: Mapped[str] = mapped_column(Text)
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    signature: Mapped[str] = mapped_column(String(100))

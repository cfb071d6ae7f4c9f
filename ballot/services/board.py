"""The public bulletin board's read model: what the public may see of each round and entry.

Nothing from which a count can be computed is public before the chair publishes the result
(issue 17): not a round's entries, its issued or returned figures, the issued names, an entry's
inclusion proof (which gives the round's size). Until then the public sees the session's state,
each round's rules and state and, once it has closed, its Merkle root (which commits the entries
and counts nothing). The staff and the hall see the live figures on the chair screen.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from ballot import crypto, merkle
from ballot.domain.states import RoundState, State
from ballot.extensions import db
from ballot.models import BoardEntry, VoteSession
from ballot.services.rounds import (
    entry_rows,
    get_round,
    issued_count,
    issued_names,
    list_rounds,
    returned_count,
)


def board_is_public(session: VoteSession) -> bool:
    """Whether the public may see entries, figures and issued names: once published."""
    return session.state == State.PUBLISHED


def round_summary(session: VoteSession, number: int) -> dict:
    """A round as published: rules, state, root, issued/returned counts and the issued names."""
    round_ = get_round(session, number)
    return {
        "number": round_.number,
        "state": round_.state,
        "quota": round_.quota,
        "candidates": list(round_.candidates),
        "merkle_root": round_.merkle_root,
        "issued": issued_count(session, number),
        "returned": returned_count(session, number),
        "issued_names": issued_names(session, number),
    }


def round_summaries(session: VoteSession) -> list[dict]:
    """round_summary() for every round, in order."""
    return [round_summary(session, r.number) for r in list_rounds(session)]


def public_round(session: VoteSession, number: int) -> dict:
    """round_summary() as the public may see it: without issued, returned and the issued
    names before publication."""
    if board_is_public(session):
        return round_summary(session, number)
    round_ = get_round(session, number)
    return {"number": round_.number, "state": round_.state, "quota": round_.quota,
            "candidates": list(round_.candidates), "merkle_root": round_.merkle_root}


def public_rounds(session: VoteSession) -> list[dict]:
    """public_round() for every round, in order."""
    return [public_round(session, r.number) for r in list_rounds(session)]


def public_entries(session: VoteSession, number: int) -> list[dict]:
    """published_entries() once the result is published; [] before."""
    return published_entries(session, number) if board_is_public(session) else []


def published_entries(session: VoteSession, number: int) -> list[dict]:
    """A closed round's entries sorted by hash ({payload, hash, signature}); [] while open."""
    if get_round(session, number).state != RoundState.CLOSED:
        return []
    return [
        {"payload": json.loads(row["payload"]), "hash": row["entry_hash"],
         "signature": row["signature"]}
        for row in entry_rows(session.id, number)
    ]


def candidate_titles(session: VoteSession) -> dict[str, str]:
    """Candidate titles keyed by ballot code."""
    return {c.code: c.title for c in session.candidates if c.code}


def public_lookup(session: VoteSession, code_text: str) -> dict | None:
    """lookup() as the public may see it: before publication only that the code is on the
    board, in which round (no choices, no proof)."""
    found = lookup(session, code_text)
    if found is None or board_is_public(session):
        return None if found is None else {**found, "published": True}
    return {"tracking_code": found["tracking_code"], "round": found["round"],
            "round_state": found["round_state"], "published": False}


def lookup(session: VoteSession, code_text: str) -> dict | None:
    """The entry under a tracking code, with its inclusion proof once the round has closed."""
    prefix = crypto.parse_tracking_code(code_text or "")
    if prefix is None:
        return None
    entry = db.session.execute(
        select(BoardEntry).where(BoardEntry.session_id == session.id,
                                 BoardEntry.entry_hash.startswith(prefix))
        .order_by(BoardEntry.entry_hash).limit(1)
    ).scalar_one_or_none()
    if entry is None:
        return None
    round_ = get_round(session, entry.round_number)
    proof = None
    if round_.state == RoundState.CLOSED:
        hashes = db.session.execute(
            select(BoardEntry.entry_hash).where(BoardEntry.session_id == session.id,
                                                BoardEntry.round_number == round_.number)
        ).scalars().all()
        proof = merkle.round_inclusion_proof(hashes, entry.entry_hash)
    return {
        "tracking_code": crypto.tracking_code(entry.entry_hash),
        "round": entry.round_number,
        "round_state": round_.state,
        "candidates": list(round_.candidates),
        "entry": {"payload": json.loads(entry.payload), "hash": entry.entry_hash,
                  "signature": entry.signature},
        "proof": proof,
    }


def board_document(session: VoteSession) -> dict:
    """The public board as one JSON-able document: entries, figures and issued names only once
    the result is published."""
    rounds = []
    for summary in public_rounds(session):
        rounds.append({**summary, "entries": public_entries(session, summary["number"])})
    return {
        "session": {"id": session.slug, "title": session.title, "state": session.state,
                    "drill": session.is_drill},
        "published": board_is_public(session),
        "key_fingerprint": session.key_fingerprint,
        "contested": session.contested,
        "candidates": [{"code": c.code, "title": c.title} for c in session.candidates if c.code],
        "rounds": rounds,
    }

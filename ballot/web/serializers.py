"""Plain-dict views of models for the JSON API (no secrets, no ballot links)."""

from __future__ import annotations

from ballot.domain import rules
from ballot.i18n import gettext
from ballot.models import Candidate, Delegate, VoteSession
from ballot.services import candidates as candidate_service
from ballot.services import keys, sessions


def session_summary(session: VoteSession) -> dict:
    """A session's settings and state."""
    return {
        "id": session.id,
        "slug": session.slug,
        "congress": session.congress,
        "title": session.title,
        "is_drill": session.is_drill,
        "kind": session.kind,
        "rating_basis": session.rating_basis,
        "level": session.level,
        "date": session.date.isoformat(),
        "year": session.year,
        "quota": session.quota,
        "mode": "contested" if session.contested else "uncontested",
        "min_excess_ratio": str(session.min_excess_ratio),
        "pass_basis": session.pass_basis,
        "late_checkin": "allowed" if session.late_checkin else "refused",
        "state": session.state,
        "state_label": gettext(rules.STATE_LABELS[session.state]),
        "key_fingerprint": session.key_fingerprint,
        "key_fingerprint_spoken": keys.spoken_fingerprint(session) or None,
    }


def session_detail(session: VoteSession) -> dict:
    """Summary plus counts, the excess ratio and readiness problems per possible move."""
    body = session_summary(session)
    body["counts"] = sessions.counts(session).to_dict()
    body["ratio"] = candidate_service.ratio_summary(session)
    body["scrutiny"] = {
        "chief_scrutineer": session.chief_scrutineer,
        "scrutineers": session.scrutineers,
        "counters": session.counters,
    }
    body["readiness"] = {
        target: [{"code": p.code, "message": p.render(gettext)} for p in problems]
        for target, problems in sessions.next_problems(session).items()
    }
    return body


def candidate(item: Candidate) -> dict:
    """One candidate project."""
    return {
        "id": item.id,
        "position": item.position,
        "code": item.code,
        "title": item.title,
        "summary": item.summary,
        "category": item.category,
        "department": item.department,
        "budget": str(item.budget) if item.budget is not None else None,
        "source": item.source,
    }


def delegate(item: Delegate) -> dict:
    """One delegate on the roster (phone numbers are for staff only)."""
    return {
        "id": item.id,
        "roster_order": item.roster_order,
        "name": item.name,
        "delegation": item.delegation,
        "seat": item.seat,
        "phone": item.phone,
        "attendance": item.attendance,
        "checked_in_at": item.checked_in_at.isoformat() if item.checked_in_at else None,
    }


def round_opened(item) -> dict:
    """A round's rules and state (no count)."""
    return {"number": item.number, "state": item.state, "quota": item.quota,
            "candidates": list(item.candidates), "present": item.present,
            "decision": item.decision}


def session_results(found) -> dict:
    """Every round with issued/returned and, once closed, its count; the pending tie; the final
    result over the counted rounds (``rounds.SessionResults``)."""
    final = found.final
    return {
        "rounds": [
            {**round_opened(o.round), "issued": o.issued, "returned": o.returned,
             "merkle_root": o.round.merkle_root,
             "result": o.result.to_dict() if o.result is not None else None}
            for o in found.rounds
        ],
        "void_round": found.void_round,
        "final": None if final is None else {
            "chosen": list(final.chosen), "open_slots": final.open_slots,
            "shortfall": final.shortfall,
            "pending_tie": final.pending_tie.to_dict() if final.pending_tie else None},
        "ready": found.ready,
    }


def opening(state) -> dict:
    """A round's box opening: key cards presented (holders, in order) out of the t needed."""
    return {"round": state.number, "presented": list(state.presented), "count": state.count,
            "threshold": state.threshold, "opened": state.opened}

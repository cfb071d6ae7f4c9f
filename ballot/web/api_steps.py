"""JSON API, /api/v1/sessions/<ref>/…: the session-day steps, as the screens and the ``ballot``
commands do them (the same services, checks and audit entries). Described in docs/openapi.yaml.

Staff check delegates in, mark leave, pair kiosks and seal the ballot box; the chair opens and
closes voting, decides ties and publishes; scrutineers open the closed round's box with their key
cards; the chief scrutineer confirms the count. Locking the list and opening
check-in are ``POST /api/v1/sessions/<ref>/transition`` (ballot.web.api).
"""

from __future__ import annotations

import base64

from flask import Blueprint, jsonify, request, url_for

from ballot.domain.errors import N_, InvalidInput
from ballot.models import Delegate, VoteSession
from ballot.models.kiosks import KIOSK_MODES
from ballot.services import (
    ballot_paper,
    box,
    checkin,
    key_cards,
    kiosks,
    opening,
    results,
    roster,
    rounds,
    voting,
)
from ballot.unit_of_work import transactional
from ballot.web import serializers
from ballot.web.downloads import attachment
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("api_steps", __name__, url_prefix="/api/v1/sessions/<ref>")
READERS = ("staff", "chair", "scrutineer")


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        return {}  # a step without details may be posted without a body
    if not isinstance(data, dict):
        raise InvalidInput(N_("请求体须为 JSON 对象。"))
    return data


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidInput(N_("字段“%(field)s”须为文字。"), field=key)
    return value


def _delegate(session: VoteSession, body: dict) -> Delegate:
    """The delegate named by ``seat``, ``name`` or ``delegate_id`` in the body."""
    if "delegate_id" in body:
        did = body["delegate_id"]
        if isinstance(did, bool) or not isinstance(did, int) or not 1 <= did < 2**31:
            raise InvalidInput(N_("字段“%(field)s”须为正整数。"), field="delegate_id")
        return roster.get_delegate(session, did)
    return roster.find_delegate(session, seat=_text(body, "seat"), name=_text(body, "name"))


def _actor() -> str:
    return current_user().username


# --- staff ------------------------------------------------------------------------------------


@bp.post("/checkin")
@role_required("staff")
@transactional
def check_in(ref: str):
    """Check a delegate in by hand (seat, name or id; a reason), as at the staff desk."""
    session = load_session(ref)
    body = _body()
    delegate = _delegate(session, body)
    result = checkin.staff_check_in(session, delegate, _actor(), _text(body, "reason"))
    return jsonify({"already": result.already, "delegate": serializers.delegate(delegate)})


@bp.post("/checkin/undo")
@role_required("staff")
@transactional
def undo_check_in(ref: str):
    """Undo a mistaken check-in while check-in is open (a reason)."""
    session = load_session(ref)
    body = _body()
    delegate = _delegate(session, body)
    checkin.undo_check_in(session, delegate, _actor(), _text(body, "reason"))
    return jsonify({"delegate": serializers.delegate(delegate)})


@bp.post("/paper")
@role_required("staff")
@transactional
def issue_paper(ref: str):
    """Hand a checked-in delegate (seat, name or id) a paper ballot for the open round (a
    reason), as at the staff desk; the round's issued counts per kind."""
    session = load_session(ref)
    body = _body()
    delegate = _delegate(session, body)
    number = voting.issue_paper(session, delegate, _actor(), _text(body, "reason"))
    return jsonify({"round": number, "delegate": serializers.delegate(delegate),
                    "issued": rounds.issued_by_kind(session, number)}), 201


@bp.get("/rounds/<int:number>/ballot-paper.pdf")
@role_required("staff")
def ballot_paper_pdf(ref: str, number: int):
    """The round's ballot paper (A4 PDF, the same for every copy, identifying nobody)."""
    session = load_session(ref)
    round_ = ballot_paper.paper_round(session, number)
    return attachment(ballot_paper.render_pdf(session, round_), "application/pdf",
                      ballot_paper.file_name(session, round_))


@bp.post("/leave")
@role_required("staff")
@transactional
def leave(ref: str):
    """Mark a delegate (seat, name or id) on leave, or clear it with ``"leave": false``."""
    session = load_session(ref)
    body = _body()
    on_leave = body.get("leave", True)
    if not isinstance(on_leave, bool):
        raise InvalidInput(N_("字段“%(field)s”须为 true 或 false。"), field="leave")
    delegate = _delegate(session, body)
    roster.set_leave(session, delegate, on_leave, _actor(), _text(body, "reason"))
    return jsonify({"delegate": serializers.delegate(delegate)})


@bp.post("/kiosks")
@role_required("staff")
@transactional
def pair_kiosk(ref: str):
    """Register a kiosk; the answer carries its one-time pairing code (shown once)."""
    session = load_session(ref)
    body = _body()
    mode = _text(body, "mode")
    if mode not in KIOSK_MODES:
        raise InvalidInput(N_("设备用途只能是签到或投票。"))
    kiosk, code = kiosks.create_pairing(session, _text(body, "name"), mode, _actor())
    return jsonify({"id": kiosk.id, "name": kiosk.name, "mode": kiosk.mode,
                    "pairing_code": kiosks.format_pairing_code(code),
                    "expires_at": kiosk.pairing_expires_at.isoformat(),
                    "enrol_url": url_for("kiosk.enrol")}), 201


@bp.post("/seal")
@role_required("staff", "chair")
@transactional
def seal(ref: str):
    """Seal the ballot box (封箱) once the scrutineers are named: the answer is their key cards
    (PDF), made in memory and sent this once; ``{"reprint": true}`` reseals (old cards void)."""
    session = load_session(ref)
    reprint = _body().get("reprint", False)
    if not isinstance(reprint, bool):
        raise InvalidInput(N_("字段“%(field)s”须为 true 或 false。"), field="reprint")
    response = attachment(key_cards.render_pdf(box.seal(session, _actor(), reprint=reprint)),
                          "application/pdf", f"key-cards-{session.slug}.pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the count, for everyone who watches it ---------------------------------------------------


@bp.get("/rounds")
@role_required(*READERS)
def list_rounds(ref: str):
    """Every round with its count once closed, the tie awaiting a decision, the final result."""
    return jsonify(serializers.session_results(rounds.session_results(load_session(ref))))


# --- the chair and the chief scrutineer -------------------------------------------------------


@bp.post("/open")
@role_required("chair")
@transactional
def open_voting(ref: str):
    """Open voting (round 1); 409 with every problem when there is no quorum."""
    round_ = rounds.open_voting(load_session(ref), _actor())
    return jsonify(serializers.round_opened(round_)), 201


@bp.post("/close")
@role_required("chair")
@transactional
def close_voting(ref: str):
    """Close the open round, as the chair's screen does; its totals stay sealed until the
    scrutineers open the box (``POST …/open-box``)."""
    session = load_session(ref)
    round_ = rounds.close_round(session, _actor())
    return jsonify({**serializers.round_opened(round_), "merkle_root": round_.merkle_root,
                    "opening": serializers.opening(opening.opening(session, round_))})


@bp.post("/open-box")
@role_required("scrutineer")
@transactional
def open_box(ref: str):
    """A scrutineer presents a key card ({"card": text}; {"round": n} optional, default the
    last round): one proved partial decryption of the round's totals; the t-th card counts it.
    The card's text is used for this request only and never stored."""
    session = load_session(ref)
    body = _body()
    number = body.get("round")
    if number is not None and (isinstance(number, bool) or not isinstance(number, int)
                               or not 1 <= number < 2**31):
        raise InvalidInput(N_("字段“%(field)s”须为正整数。"), field="round")
    state = opening.present_card(session, _text(body, "card"), _actor(), number)
    return jsonify(_opened(session, state))


@bp.post("/open-box/drill")
@role_required(*READERS)
@transactional
def open_box_drill(ref: str):
    """A drill (演练) opens its closed round's box with the drill shares it kept."""
    session = load_session(ref)
    return jsonify(_opened(session, opening.open_with_drill_shares(session, _actor())))


def _opened(session: VoteSession, state: opening.Opening) -> dict:
    round_ = rounds.get_round(session, state.number)
    return {"opening": serializers.opening(state), "result": round_.result}


@bp.post("/tie-break")
@role_required("chair")
@transactional
def tie_break(ref: str):
    """再次投票: a further round on the projects tied across the cutoff."""
    round_ = rounds.start_tie_break(load_session(ref), _actor())
    return jsonify(serializers.round_opened(round_)), 201


@bp.post("/leave-empty")
@role_required("chair")
@transactional
def leave_empty(ref: str):
    """Leave the tied slots empty, with the reason (kept in the audit log)."""
    round_ = rounds.leave_empty(load_session(ref), _actor(), _text(_body(), "reason"))
    return jsonify({"number": round_.number, "decision": round_.decision})


@bp.post("/confirm")
@role_required("scrutineer")
@transactional
def confirm(ref: str):
    """The chief scrutineer confirms the count (their own scrutineer login)."""
    session = load_session(ref)
    results.confirm_as_scrutineer(session, current_user())
    return jsonify({"confirmed_by": session.scrutineer_confirmed_by})


@bp.post("/publish")
@role_required("chair")
@transactional
def publish(ref: str):
    """The chair confirms and publishes the signed result (after the chief scrutineer)."""
    session = load_session(ref)
    results.publish_as_chair(session, current_user())
    return jsonify({
        "session": serializers.session_summary(session),
        "result": results.published_document(session),
        "signature": base64.b64encode(session.result_signature).decode("ascii"),
        "result_url": url_for("results.result_json", ref=session.slug),
        "bundle_url": url_for("results.audit_bundle", ref=session.slug),
    })

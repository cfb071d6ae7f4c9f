"""The public bulletin board (no login): entries by hash, Merkle roots, receipts, issued lists.

Nothing from which a count can be computed is public before the chair publishes the result
(see ``services.board.board_is_public``): during voting and after the close the board shows the state,
the rules and the Merkle root of a closed round, and a tracking code only says that the ballot
is on the board; entries, figures, issued names, choices and inclusion proofs follow
publication. Tracking codes are looked up by POST so that they never appear in a URL or an
access log.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from ballot.domain.errors import N_, InvalidInput
from ballot.extensions import csrf
from ballot.i18n import gettext
from ballot.services import board, figures, keys, rating_sessions
from ballot.web.public import public_session

bp = Blueprint("board", __name__, url_prefix="/s/<ref>")


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/board/")
def overview(ref: str):
    """Every round: state, issued/returned, Merkle root, issued names, and a code lookup form."""
    session = public_session(ref)
    return render_template("board/overview.html", session=session,
                           fingerprint=keys.spoken_fingerprint(session),
                           ballot_labels=figures.ballot_labels(rating_sessions.is_rating(session)),
                           rounds=board.public_rounds(session),
                           published=board.board_is_public(session))


@bp.get("/board/round/<int:number>")
def round_entries(ref: str, number: int):
    """A round's entries sorted by hash, with its Merkle root, once the result is published."""
    session = public_session(ref)
    summary = board.public_round(session, number)
    return render_template("board/round.html", session=session, summary=summary,
                           published=board.board_is_public(session),
                           entries=board.public_entries(session, number),
                           titles=board.candidate_titles(session))


@bp.route("/board/lookup", methods=["GET", "POST"])
def lookup(ref: str):
    """Look up a tracking code: on the board or not; once published, the choices recorded
    under it and its inclusion proof."""
    session = public_session(ref)
    found = None
    code = ""
    if request.method == "POST":
        code = request.form.get("code", "")
        found = board.public_lookup(session, code)
    return render_template("board/lookup.html", session=session, code=code, found=found,
                           searched=request.method == "POST",
                           titles=board.candidate_titles(session))


@bp.get("/board.json")
def board_json(ref: str):
    """The whole public board as JSON (entries and figures once the result is published)."""
    return jsonify(board.board_document(public_session(ref)))


@bp.post("/board/lookup.json")
@csrf.exempt
def lookup_json(ref: str):
    """Tracking-code lookup as JSON: body {"code": "3FA2-91BC-07D4"}."""
    session = public_session(ref)
    body = request.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str):
        raise InvalidInput(N_("请求体须为 JSON 对象，其中 code 为查询码文字，例如 "
                              "{\"code\": \"3FA2-91BC-07D4\"}。"))
    found = board.public_lookup(session, code)
    if found is None:
        return jsonify({"error": "not_found", "found": False,
                        "message": gettext("没有找到这个查询码。请核对后重新输入（格式如 "
                                           "3FA2-91BC-07D4）。如确认无误仍查不到，请立即告知监票人。")}), 404
    return jsonify({"found": True, **found})

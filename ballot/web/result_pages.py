"""The published result (no login) and the staff's result exports.

The public page and its downloads show only the signed result document: nothing appears here
before the chair publishes, and what appears is byte for byte what was signed.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from ballot.domain import rating, rules
from ballot.i18n import gettext
from ballot.services import export, figures, keys, rating_sessions, results
from ballot.web.downloads import attachment
from ballot.web.guards import load_session, role_required
from ballot.web.public import public_session

bp = Blueprint("results", __name__)


@bp.get("/s/<ref>/results")
def page(ref: str):
    """The announcement, the count table per round, and the downloads to verify it."""
    session = public_session(ref)
    document = results.published_document(session)
    return render_template(
        "results/page.html", session=session, document=document,
        announcement=results.announcement(session, document, gettext) if document else "",
        titles={c["code"]: c["title"] for c in document["candidates"]} if document else {},
        fingerprint=keys.spoken_fingerprint(session), labels=rules.STATE_LABELS,
        grade_labels=rating.GRADE_LABELS, basis_labels=rating.BASIS_LABELS,
        reason_labels=figures.REASON_LABELS,
        ballot_labels=figures.ballot_labels(rating_sessions.is_rating(session)),
        figures={r["number"]: figures.ballot_figures(r) for r in document["rounds"]}
        if document else {},
    )


@bp.get("/s/<ref>/result.json")
def result_json(ref: str):
    """The signed result document, exactly the bytes that were signed."""
    session = public_session(ref)
    if session.result_document is None:
        abort(404)
    return attachment(session.result_document, "application/json", "result.json")


@bp.get("/s/<ref>/result.sig")
def result_sig(ref: str):
    """The raw 64-byte Ed25519 signature of result.json."""
    session = public_session(ref)
    if session.result_signature is None:
        abort(404)
    return attachment(session.result_signature, "application/octet-stream", "result.sig")


@bp.get("/s/<ref>/audit-bundle.zip")
def audit_bundle(ref: str):
    """The audit bundle: board, issued lists, signed result, key, public audit log."""
    session = public_session(ref)
    if session.result_document is None:
        abort(404)
    return attachment(export.published_bundle(session), export.MIMETYPES["bundle"],
                     export.filename(session, "bundle"))


@bp.get("/admin/sessions/<ref>/export/<fmt>")
@role_required("staff", "chair", "scrutineer")
def export_file(ref: str, fmt: str):
    """Staff exports: csv, xlsx, pdf (after counting), json and bundle (after publication)."""
    if fmt not in export.FORMATS:
        abort(404)
    session = load_session(ref)
    return attachment(export.export(session, fmt), export.MIMETYPES[fmt],
                     export.filename(session, fmt))

"""Admin pages for session day: kiosks and pairing codes, delegate cards, staff check-in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ballot.domain import rules
from ballot.domain.errors import N_
from ballot.i18n import gettext
from ballot.models.kiosks import KIOSK_MODES
from ballot.services import cards, checkin, kiosks, roster, rounds, sessions, voting
from ballot.unit_of_work import transactional
from ballot.web.downloads import attachment
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("admin_checkin", __name__, url_prefix="/admin/sessions/<ref>")
STAFF = ("staff",)
LANGUAGE_LABELS = {"zh": N_("中文"), "en": N_("英文")}


def _actor() -> str:
    return current_user().username


def _kiosk_page(session, new_kiosk=None, new_code: str | None = None, status: int = 200):
    return render_template(
        "admin_checkin/kiosks.html", session=session, kiosks=kiosks.list_kiosks(session),
        modes=KIOSK_MODES, new_kiosk=new_kiosk, languages=LANGUAGE_LABELS,
        new_code=kiosks.format_pairing_code(new_code) if new_code else None,
        labels=rules.STATE_LABELS,
    ), status


def _back_to_desk(session, delegate):
    return redirect(url_for("admin_checkin.checkin_page", ref=session.slug) + f"#d{delegate.id}")


@bp.route("/kiosks")
@role_required(*STAFF)
def kiosk_list(ref: str):
    """The session's kiosks (name, mode, last seen) and the form to pair a new one."""
    return _kiosk_page(load_session(ref))


@bp.route("/kiosks", methods=["POST"])
@role_required(*STAFF)
@transactional
def create_kiosk(ref: str):
    """Create a kiosk and show its one-time pairing code (shown once, never stored in clear)."""
    session = load_session(ref)
    kiosk, code = kiosks.create_pairing(session, request.form.get("name", ""),
                                        request.form.get("mode", ""), _actor())
    return _kiosk_page(session, kiosk, code)


@bp.route("/kiosks/<int:kid>/revoke", methods=["POST"])
@role_required(*STAFF)
@transactional
def revoke_kiosk(ref: str, kid: int):
    """Revoke a kiosk: its browser can do nothing more."""
    session = load_session(ref)
    kiosk = kiosks.get_kiosk(session, kid)
    kiosks.revoke(session, kiosk, _actor())
    flash(gettext("设备“%(name)s”已停用。", name=kiosk.name), "info")
    return redirect(url_for("admin_checkin.kiosk_list", ref=session.slug))


@bp.route("/kiosks/<int:kid>/language", methods=["POST"])
@role_required(*STAFF)
@transactional
def kiosk_language(ref: str, kid: int):
    """Set the language a kiosk shows delegates (中文 or English)."""
    session = load_session(ref)
    kiosk = kiosks.get_kiosk(session, kid)
    kiosks.set_language(session, kiosk, request.form.get("language", ""), _actor())
    flash(gettext("设备“%(name)s”的语言已设为%(language)s。", name=kiosk.name,
                  language=gettext(LANGUAGE_LABELS[kiosk.language])), "info")
    return redirect(url_for("admin_checkin.kiosk_list", ref=session.slug))


@bp.route("/cards.pdf", methods=["POST"])
@role_required(*STAFF)
@transactional
def cards_pdf(ref: str):
    """Issue fresh cards to the whole roster and download them as a printable PDF."""
    session = load_session(ref)
    issued = cards.issue_all(session, _actor())
    # The whole answer is built before the new cards are committed: should it fail, the old
    # cards still work and nobody is left without one.
    response = attachment(cards.render_pdf(issued), "application/pdf", f"cards-{session.slug}.pdf")
    return response


@bp.route("/checkin")
@role_required(*STAFF)
def checkin_page(ref: str):
    """Staff check-in desk: every delegate with attendance, and the hand actions."""
    session = load_session(ref)
    current = rounds.current_round(session)
    ballots = (voting.ballot_states(session, current.number)
               if current is not None and session.state == "voting" else {})
    return render_template("admin_checkin/checkin.html", session=session,
                           delegates=roster.list_delegates(session), ballots=ballots,
                           counts=sessions.counts(session), labels=rules.STATE_LABELS)


@bp.route("/delegates/<int:did>/card.png", methods=["POST"])
@role_required(*STAFF)
@transactional
def reissue_card(ref: str, did: int):
    """Replace one delegate's card (lost or damaged) and download the new one as PNG."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    card = cards.reissue_one(session, delegate, _actor())
    # Built in full before the commit, its file name encoded for any seat text (6排05座): the
    # new card is stored only together with an answer that can be sent.
    response = attachment(cards.render_png(card), "image/png",
                          f"card-{session.slug}-{delegate.seat}.png")
    return response


@bp.route("/delegates/<int:did>/checkin", methods=["POST"])
@role_required(*STAFF)
@transactional
def staff_check_in(ref: str, did: int):
    """Check a delegate in by hand, with a reason."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    result = checkin.staff_check_in(session, delegate, _actor(), request.form.get("reason", ""))
    if result.already:
        flash(gettext("%(name)s 代表此前已签到。", name=delegate.name), "info")
    else:
        flash(gettext("%(name)s 代表已签到。", name=delegate.name), "info")
    return _back_to_desk(session, delegate)


@bp.route("/delegates/<int:did>/checkin/undo", methods=["POST"])
@role_required(*STAFF)
@transactional
def undo_check_in(ref: str, did: int):
    """Undo a mistaken check-in (only while check-in is open)."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    checkin.undo_check_in(session, delegate, _actor(), request.form.get("reason", ""))
    flash(gettext("已撤销 %(name)s 代表的签到。", name=delegate.name), "info")
    return _back_to_desk(session, delegate)


@bp.route("/delegates/<int:did>/release", methods=["POST"])
@role_required(*STAFF)
@transactional
def release_delegate(ref: str, did: int):
    """Release a delegate whose ballot was issued but not cast (audited, with reason): their
    unused token is voided wherever it is and they may scan again. Refused, with a plain
    message, once that ballot was cast."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    voting.release_delegate(session, delegate, _actor(), request.form.get("reason", ""))
    flash(gettext("已释放 %(name)s 代表的选票，可重新领取。", name=delegate.name), "info")
    return _back_to_desk(session, delegate)

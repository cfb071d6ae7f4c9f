"""Admin pages for session day: kiosks and pairing codes, delegate cards, staff check-in."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime

from ballot.database import polled
from ballot.domain import rules
from ballot.domain.errors import (
    N_,
    BallotCastNotReleasable,
    InvalidInput,
    NotIssued,
    ReprintAllClosed,
)
from ballot.domain.states import State
from ballot.i18n import gettext
from ballot.models.kiosks import KIOSK_MODES
from ballot.services import (
    attendance,
    ballot_paper,
    cards,
    checkin,
    desk,
    kiosks,
    roster,
    rounds,
    sessions,
    speech,
    voting,
)
from ballot.unit_of_work import transactional
from ballot.web import confirm
from ballot.web.downloads import attachment
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("admin_checkin", __name__, url_prefix="/admin/sessions/<ref>")
STAFF = ("staff",)
LANGUAGE_LABELS = {"zh": N_("中文"), "en": N_("英文")}
HEALTH_STATES = (State.CHECKIN, State.VOTING)  # when staff watch the kiosks (never on the projection)
CARD_LAYOUTS = {"a4": N_("A4 纸每页 8 张，沿虚线裁切"), "badge": N_("胸卡 85 × 54 毫米，每页 1 张")}


def _session_cards_url(session) -> str:
    return url_for("admin.session_page", ref=session.slug) + "#cards"


def _actor() -> str:
    return current_user().username


def _kiosk_page(session, new_kiosk=None, new_code: str | None = None, status: int = 200):
    return render_template(
        "admin_checkin/kiosks.html", session=session, kiosks=kiosks.list_kiosks(session),
        modes=KIOSK_MODES, new_kiosk=new_kiosk, languages=LANGUAGE_LABELS,
        new_code=kiosks.format_pairing_code(new_code) if new_code else None,
        labels=rules.STATE_LABELS, kiosk_health=kiosks.health(session),
        speech_audio=speech.available(),
    ), status


def desk_url(session, delegate=None) -> str:
    """The desk as the form left it: the same search and filter, this delegate selected, the
    action panel (with the message) in view."""
    params = {k: request.form.get(k, "") for k in ("q", "status") if request.form.get(k)}
    if delegate is not None:
        params["selected"] = delegate.id
    return url_for("admin_checkin.checkin_page", ref=session.slug, **params) + "#desk-panel"


def _has_reason() -> bool:
    """The desk's panel sent a reason with the action (the confirmation need not ask again)."""
    return bool(request.form.get("reason", "").strip())


def _back_to_desk(session, delegate):
    return redirect(desk_url(session, delegate))


@bp.get("/kiosks/health.json")
@polled
@role_required(*STAFF)
def kiosk_health(ref: str):
    """Each working kiosk online or offline, with when it was last seen (staff pages poll it)."""
    session = load_session(ref)
    return jsonify({"watch": session.state in HEALTH_STATES, "kiosks": [
        {"id": k["id"], "name": k["name"], "mode": k["mode"], "online": k["online"],
         "last_seen": format_datetime(k["last_seen_at"], "HH:mm:ss") if k["last_seen_at"] else None}
        for k in kiosks.health(session)]})


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
    if not confirm.confirmed():
        return confirm.ask(gettext("停用设备“%(name)s”", name=kiosk.name),
                           gettext("停用后该设备立即不能再签到或发放选票；要再用它，须重新生成配对码并配对。"),
                           gettext("确认停用"),
                           url_for("admin_checkin.kiosk_list", ref=session.slug))
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
    """Issue fresh cards to the whole roster and download them as a printable PDF (asks first;
    refused once check-in has opened). ``layout``: a4 (8 a page) or badge (85 × 54 mm)."""
    session = load_session(ref)
    layout = request.form.get("layout", "a4")
    if not cards.reprint_all_allowed(session):
        raise ReprintAllClosed(state=rules.STATE_LABELS[session.state])
    if not confirm.confirmed():
        delegates = roster.list_delegates(session)
        carded = sum(1 for d in delegates if d.card_version)
        consequence = gettext(
            "将为名册上全部 %(count)s 名代表生成新的代表证（%(layout)s）。", count=len(delegates),
            layout=gettext(CARD_LAYOUTS.get(layout, CARD_LAYOUTS["a4"])))
        if carded:
            consequence += gettext(
                "已有 %(carded)s 名代表制过卡：他们手中的旧卡将立即作废，必须换发新卡才能签到和投票。",
                carded=carded)
        return confirm.ask(gettext("打印全部代表证"), consequence,
                           gettext("确认生成并下载 PDF"), _session_cards_url(session),
                           danger=bool(carded), download=True)
    issued = cards.issue_all(session, _actor())
    # The whole answer is built before the new cards are committed: should it fail, the old
    # cards still work and nobody is left without one.
    response = attachment(cards.render_pdf(issued, layout), "application/pdf",
                          f"cards-{session.slug}{'-badge' if layout == 'badge' else ''}.pdf")
    return response


@bp.route("/checkin")
@role_required(*STAFF)
def checkin_page(ref: str):
    """Staff check-in desk: search (name, seat, delegation, pinyin initials), filter by
    attendance, one action panel with one reason box for the selected delegate, bulk leave."""
    session = load_session(ref)
    current = rounds.current_round(session)
    ballots = (voting.ballot_states(session, current.number)
               if current is not None and session.state == State.VOTING else {})
    everyone = roster.list_delegates(session)
    query = request.args.get("q", "").strip()[:60]
    status = request.args.get("status", "all")
    status = status if status in desk.STATUSES else "all"
    shown = {d.id for d in desk.filter_delegates(everyone, query, status)}
    selected_id = request.args.get("selected", "")
    selected = next((d for d in everyone if str(d.id) == selected_id), None)
    paper_round = current.number if current is not None else 1
    paper_issued = (rounds.issued_by_kind(session, current.number)["paper"]
                    if current is not None and session.state == State.VOTING else 0)
    return render_template("admin_checkin/checkin.html", session=session, delegates=everyone,
                           paper_round=paper_round, paper_issued=paper_issued,
                           shown=shown, query=query, status=status, selected=selected,
                           search_text=desk.search_text, ballots=ballots,
                           status_labels=desk.STATUS_LABELS,
                           counts=sessions.counts(session), labels=rules.STATE_LABELS,
                           checkin_open=rules.checkin_open(session.state, session.late_checkin),
                           kiosk_health=kiosks.health(session),
                           speech_audio=speech.available())


@bp.get("/attendance/<kind>.<fmt>")
@role_required(*STAFF)
def attendance_list(ref: str, kind: str, fmt: str):
    """The 签到表 (kind=signin) or 未到名单 (kind=absent) as CSV, XLSX or PDF."""
    session = load_session(ref)
    content, mimetype, name = attendance.export(session, kind, fmt)
    return attachment(content, mimetype, name)


@bp.post("/delegates/leave")
@role_required(*STAFF)
@transactional
def bulk_leave(ref: str):
    """Mark every ticked delegate on leave (请假), with one reason for all (required)."""
    session = load_session(ref)
    reason = request.form.get("reason", "").strip()
    ids = request.form.getlist("ids")
    if not ids:
        raise InvalidInput(N_("请先在名单中勾选要登记请假的代表。"))
    if not reason:
        raise InvalidInput(N_("请填写请假原因（例如：因公出差），再登记。"))
    chosen = [roster.get_delegate(session, int(i)) for i in ids if i.isascii() and i.isdigit()
              and int(i) < 2**31]
    for delegate in chosen:
        roster.set_leave(session, delegate, True, _actor(), reason)
    flash(gettext("已为 %(count)s 名代表登记请假：%(names)s。", count=len(chosen),
                  names="、".join(d.name for d in chosen)), "info")
    return redirect(desk_url(session))


@bp.route("/delegates/<int:did>/card.png", methods=["POST"])
@role_required(*STAFF)
@transactional
def reissue_card(ref: str, did: int):
    """Replace one delegate's card (lost or damaged) and download the new one as PNG; a
    replacement asks first and needs a reason (audited)."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    if not confirm.confirmed():
        if delegate.card_version:
            title = gettext("补发 %(name)s 代表的代表证", name=delegate.name)
            consequence = gettext(
                "%(name)s（座位 %(seat)s）现持第 %(version)s 版代表证。补发后将生成第 %(next)s 版，"
                "旧卡立即作废，不能再签到或领票。请把新卡交给代表本人。", name=delegate.name,
                seat=delegate.seat, version=delegate.card_version, next=delegate.card_version + 1)
        else:
            title = gettext("为 %(name)s 代表制卡", name=delegate.name)
            consequence = gettext("将为 %(name)s（座位 %(seat)s）生成第一张代表证并下载 PNG 图片。",
                                  name=delegate.name, seat=delegate.seat)
        return confirm.ask(title, consequence, gettext("确认并下载新卡"),
                           desk_url(session, delegate),
                           reason_label=gettext("补发原因（例如：代表证遗失、损坏）")
                           if delegate.card_version and not _has_reason() else None,
                           danger=bool(delegate.card_version),
                           download=True)
    card = cards.reissue_one(session, delegate, _actor(), request.form.get("reason", ""))
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
    if not confirm.confirmed():
        return confirm.ask(gettext("撤销 %(name)s 代表的签到", name=delegate.name),
                           gettext("%(name)s（座位 %(seat)s）将改为未到，实到人数减少 1 人。仅用于误签。",
                                   name=delegate.name, seat=delegate.seat),
                           gettext("确认撤销签到"),
                           desk_url(session, delegate),
                           reason_label=None if _has_reason() else gettext("撤销原因"))
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
    if not confirm.confirmed():
        # Nothing to confirm for a delegate whose ballot was cast or never issued: say so now.
        current = rounds.current_round(session)
        ballot = (voting.ballot_states(session, current.number).get(delegate.id)
                  if current is not None else None)
        if ballot is not None and ballot.state == "cast":
            raise BallotCastNotReleasable(name=delegate.name)
        if ballot is None or ballot.state != "open":
            raise NotIssued(name=delegate.name)
        return confirm.ask(gettext("释放 %(name)s 代表的选票", name=delegate.name),
                           gettext("作废该代表已领取、尚未投出的选票，代表可在任一投票机重新刷卡领取。"
                                   "在原投票机重新刷卡无需释放；已投票的代表不能释放。"),
                           gettext("确认释放"),
                           desk_url(session, delegate),
                           reason_label=None if _has_reason() else gettext("释放原因（如：投票机故障）"))
    voting.release_delegate(session, delegate, _actor(), request.form.get("reason", ""))
    flash(gettext("已释放 %(name)s 代表的选票，可重新领取。", name=delegate.name), "info")
    return _back_to_desk(session, delegate)


@bp.route("/delegates/<int:did>/paper", methods=["POST"])
@role_required(*STAFF)
@transactional
def issue_paper(ref: str, did: int):
    """Hand the delegate a paper ballot for the open round (audited, with the reason): their one
    ballot of the round, so no kiosk ballot after it and no release; asks first."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    if not confirm.confirmed():
        return confirm.ask(gettext("为 %(name)s 代表发放纸质选票", name=delegate.name),
                           gettext("%(name)s（座位 %(seat)s）本轮改用纸质选票，不能再在投票机领票；"
                                   "纸质选票发出后不能释放。请当面交给代表本人一张本轮选票。",
                                   name=delegate.name, seat=delegate.seat),
                           gettext("确认发放纸质选票"),
                           desk_url(session, delegate),
                           reason_label=None if _has_reason()
                           else gettext("原因（如：代表要求、投票机故障）"))
    number = voting.issue_paper(session, delegate, _actor(), request.form.get("reason", ""))
    flash(gettext("已为 %(name)s 代表发放第 %(n)s 轮纸质选票。", name=delegate.name, n=number),
          "info")
    return _back_to_desk(session, delegate)


@bp.get("/rounds/<int:number>/ballot-paper.pdf")
@role_required(*STAFF)
def ballot_paper_pdf(ref: str, number: int):
    """The round's ballot paper (A4 PDF, the same for every copy, identifying nobody)."""
    session = load_session(ref)
    round_ = ballot_paper.paper_round(session, number)
    return attachment(ballot_paper.render_pdf(session, round_), "application/pdf",
                      ballot_paper.file_name(session, round_))

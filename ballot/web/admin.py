"""Admin pages for congress office staff: sessions, candidates, roster, lifecycle."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from ballot import inputs, unit_of_work
from ballot.domain import rating, rules
from ballot.domain.errors import N_, InvalidInput
from ballot.domain.states import Attendance, State
from ballot.i18n import gettext
from ballot.models import VoteSession
from ballot.services import box, key_cards, keys, progress, rating_sessions, roster, sessions
from ballot.services import candidates as candidate_service
from ballot.unit_of_work import transactional, transactional_post
from ballot.web import confirm
from ballot.web.downloads import attachment
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
STAFF = ("staff",)


def _actor() -> str:
    return current_user().username


def _uploaded() -> tuple[bytes, str]:
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput(N_("请选择要导入的文件（CSV 或 XLSX）。"))
    return file.read(), file.filename


def _back(session_ref: str, anchor: str = ""):
    return redirect(url_for("admin.session_page", ref=session_ref) + (f"#{anchor}" if anchor else ""))


@bp.route("/")
@role_required("staff", "chair", "scrutineer")
def home():
    """Sessions visible to this user, with their state and counts."""
    rows = [(s, sessions.counts(s)) for s in sessions.list_sessions(current_user())]
    return render_template("admin/home.html", rows=rows, labels=rules.STATE_LABELS)


def _session_form(form, session: VoteSession | None, status: int = 200):
    """The settings form (new or edit), filled with ``form``."""
    return render_template(
        "admin/session_form.html", form=form, session=session, levels=rules.LEVELS,
        rated=session is not None and rating_sessions.is_rating(session),
        basis_labels=rating.BASIS_LABELS,
        default_ratio=rules.format_ratio(session.min_excess_ratio).rstrip("%") if session
        else "20"), status


def _form_again(refused: InvalidInput, session: VoteSession | None):
    """A refused settings form comes back as typed, with the reason above it (nothing saved)."""
    unit_of_work.discard()
    flash(refused.render(gettext), "error")
    return _session_form(request.form, session, refused.status)


@bp.route("/sessions/new", methods=["GET", "POST"])
@role_required(*STAFF)
@transactional_post
def new_session():
    """Create a draft session; a refused form comes back with what was typed."""
    if request.method == "POST":
        try:
            settings = sessions.in_own_congress(inputs.session_settings(request.form),
                                                current_user())
            created = sessions.create_session(settings, request.form.get("slug"), _actor())
        except InvalidInput as refused:
            return _form_again(refused, None)
        flash(gettext("会议已创建。"), "info")
        return redirect(url_for("admin.session_page", ref=created.slug))
    return _session_form({}, None)


@bp.route("/sessions/<ref>")
@role_required("staff", "chair", "scrutineer")
def session_page(ref: str):
    """A session: settings, candidate list and ratio, roster, readiness and actions."""
    session = load_session(ref)
    return render_template(
        "admin/session.html",
        session=session,
        counts=sessions.counts(session),
        ratio=candidate_service.ratio_summary(session),
        delegates=roster.list_delegates(session),
        readiness=sessions.next_problems(session),
        steps=progress.steps(session),
        labels=rules.STATE_LABELS,
        pass_labels=rules.PASS_BASIS_LABELS, basis_labels=rating.BASIS_LABELS,
        fingerprint=keys.spoken_fingerprint(session),
        box_fingerprint=box.spoken_fingerprint(session),
        seal_problems=box.seal_problems(session),
        holders=box.holder_names(session),
    )


@bp.route("/sessions/<ref>/settings", methods=["GET", "POST"])
@role_required(*STAFF)
@transactional_post
def edit_session(ref: str):
    """Edit a draft session's settings; a refused form comes back with what was typed."""
    session = load_session(ref)
    if request.method == "POST":
        try:
            parsed = (inputs.rating_settings(request.form, session.quota)
                      if rating_sessions.is_rating(session)
                      else inputs.session_settings(request.form))
        except InvalidInput as refused:
            return _form_again(refused, session)
        sessions.update_session(session, sessions.in_own_congress(parsed, current_user()),
                                _actor())
        flash(gettext("会议设置已保存。"), "info")
        return _back(session.slug)
    return _session_form({
        "title": session.title, "congress": session.congress, "level": session.level,
        "date": session.date.isoformat(), "year": session.year, "quota": session.quota,
        "mode": "contested" if session.contested else "uncontested",
        "pass_basis": session.pass_basis,
        "late_checkin": "allowed" if session.late_checkin else "refused",
        "chief_scrutineer": session.chief_scrutineer,
        "scrutineers": session.scrutineers, "counters": session.counters,
        "drill": session.is_drill, "rating_basis": session.rating_basis,
    }, session)


@bp.route("/sessions/<ref>/scrutiny", methods=["POST"])
@role_required(*STAFF)
@transactional
def edit_scrutiny(ref: str):
    """Record the scrutineers and counting staff."""
    session = load_session(ref)
    box.update_scrutiny(session, inputs.scrutiny(request.form), _actor())
    flash(gettext("监票、计票人员已保存。"), "info")
    return _back(session.slug, "scrutiny")


@bp.route("/sessions/<ref>/seal", methods=["POST"])
@role_required("staff", "chair")
@transactional
def seal(ref: str):
    """Seal the ballot box (封箱) and download the scrutineers' key cards, once.

    The cards are made in memory and exist only in this response: reprinting reseals the box
    with new shares for every scrutineer (the earlier cards stop working).
    """
    session = load_session(ref)
    cards = box.seal(session, _actor(), reprint=request.form.get("reprint") == "1")
    # Built in full before the unit commits the seal: a failed PDF leaves no box whose cards
    # nobody has.
    response = attachment(key_cards.render_pdf(cards), "application/pdf",
                          f"key-cards-{session.slug}.pdf")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sessions/<ref>/transition", methods=["POST"])
@role_required(*STAFF)
@transactional
def transition(ref: str):
    """Lock or unlock the candidate list, or open check-in."""
    session = load_session(ref)
    target = request.form.get("target", "")
    if target == State.LOCKED:
        candidate_service.lock_list(session, _actor(), current_app.config["KEY_ENCRYPTION_SECRET"])
        message = gettext("候选名单已锁定，会议密钥已生成。")
    elif target == State.DRAFT:
        candidate_service.unlock_list(session, _actor())
        message = gettext("候选名单已解锁，可以继续修改；重新锁定时将生成新的会议密钥。")
    elif target == State.CHECKIN:
        sessions.transition(session, State.CHECKIN, _actor())
        message = gettext("签到已开始。")
    else:
        raise InvalidInput(N_("未知的操作。"))
    flash(message, "info")
    return _back(session.slug)


@bp.route("/sessions/<ref>/candidates", methods=["POST"])
@role_required(*STAFF)
@transactional
def add_candidate(ref: str):
    """Add a candidate project."""
    session = load_session(ref)
    candidate_service.add_candidate(session, inputs.candidate(request.form), _actor())
    flash(gettext("已添加候选项目。"), "info")
    return _back(session.slug, "candidates")


@bp.route("/sessions/<ref>/candidates/<int:cid>", methods=["GET", "POST"])
@role_required(*STAFF)
@transactional_post
def edit_candidate(ref: str, cid: int):
    """Edit one candidate project."""
    session = load_session(ref)
    candidate = candidate_service.get_candidate(session, cid)
    if request.method == "POST":
        candidate_service.update_candidate(session, candidate, inputs.candidate(request.form),
                                           _actor())
        flash(gettext("候选项目已保存。"), "info")
        return _back(session.slug, "candidates")
    return render_template("admin/candidate_form.html", session=session, candidate=candidate)


@bp.route("/sessions/<ref>/candidates/<int:cid>/delete", methods=["POST"])
@role_required(*STAFF)
@transactional
def delete_candidate(ref: str, cid: int):
    """Delete one candidate project."""
    session = load_session(ref)
    candidate = candidate_service.get_candidate(session, cid)
    if not confirm.confirmed():
        return confirm.ask(gettext("删除候选项目“%(title)s”", title=candidate.title),
                           gettext("该项目将从候选名单中删除，其后项目的票序依次前移。"),
                           gettext("确认删除"),
                           url_for("admin.session_page", ref=session.slug) + "#candidates")
    candidate_service.delete_candidate(session, candidate, _actor())
    flash(gettext("候选项目已删除。"), "info")
    return _back(session.slug, "candidates")


@bp.route("/sessions/<ref>/candidates/<int:cid>/move", methods=["POST"])
@role_required(*STAFF)
@transactional
def move_candidate(ref: str, cid: int):
    """Move a candidate up or down the ballot."""
    session = load_session(ref)
    offset = -1 if request.form.get("direction") == "up" else 1
    candidate_service.move_candidate(session, candidate_service.get_candidate(session, cid), offset,
                                     _actor())
    return _back(session.slug, "candidates")


@bp.route("/sessions/<ref>/candidates/import", methods=["POST"])
@role_required(*STAFF)
@transactional
def import_candidates(ref: str):
    """Import candidates from an uploaded CSV or XLSX file (all or nothing)."""
    session = load_session(ref)
    data, filename = _uploaded()
    count = candidate_service.import_candidates(
        session, data, filename, _actor(), replace=request.form.get("replace") == "1",
        max_rows=current_app.config["MAX_IMPORT_ROWS"])
    flash(gettext("已导入 %(count)s 个候选项目。", count=count), "info")
    return _back(session.slug, "candidates")


@bp.route("/sessions/<ref>/delegates", methods=["POST"])
@role_required(*STAFF)
@transactional
def add_delegate(ref: str):
    """Add a delegate to the roster."""
    session = load_session(ref)
    roster.add_delegate(session, inputs.delegate(request.form), _actor())
    flash(gettext("已添加代表。"), "info")
    return _back(session.slug, "roster")


@bp.route("/sessions/<ref>/delegates/<int:did>", methods=["GET", "POST"])
@role_required(*STAFF)
@transactional_post
def edit_delegate(ref: str, did: int):
    """Edit one delegate."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    if request.method == "POST":
        roster.update_delegate(session, delegate, inputs.delegate(request.form), _actor())
        flash(gettext("代表信息已保存。"), "info")
        return _back(session.slug, "roster")
    return render_template("admin/delegate_form.html", session=session, delegate=delegate)


@bp.route("/sessions/<ref>/delegates/<int:did>/delete", methods=["POST"])
@role_required(*STAFF)
@transactional
def delete_delegate(ref: str, did: int):
    """Remove a delegate from the roster."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    if not confirm.confirmed():
        return confirm.ask(gettext("从名册删除 %(name)s 代表", name=delegate.name),
                           gettext("%(name)s（座位 %(seat)s，%(delegation)s）将从名册中删除，应到人数减少 1 人；"
                                   "已发给该代表的代表证随之失效。", name=delegate.name,
                                   seat=delegate.seat, delegation=delegate.delegation or "—"),
                           gettext("确认删除"),
                           url_for("admin.session_page", ref=session.slug) + "#roster")
    roster.remove_delegate(session, delegate, _actor())
    flash(gettext("代表已从名册中删除。"), "info")
    return _back(session.slug, "roster")


@bp.route("/sessions/<ref>/delegates/<int:did>/leave", methods=["POST"])
@role_required(*STAFF)
@transactional
def delegate_leave(ref: str, did: int):
    """Mark a delegate on leave (请假) or clear the mark; from the check-in desk, back to it."""
    session = load_session(ref)
    delegate = roster.get_delegate(session, did)
    roster.set_leave(session, delegate, request.form.get("leave") == "1", _actor(),
                     request.form.get("reason", ""))
    if request.form.get("back") == "checkin":
        from ballot.web.admin_checkin import desk_url

        flash(gettext("%(name)s 代表已登记请假。", name=delegate.name)
              if delegate.attendance == Attendance.LEAVE
              else gettext("%(name)s 代表的请假已取消。", name=delegate.name), "info")
        return redirect(desk_url(session, delegate))
    return _back(session.slug, "roster")


@bp.route("/sessions/<ref>/delegates/import", methods=["POST"])
@role_required(*STAFF)
@transactional
def import_delegates(ref: str):
    """Import the roster from an uploaded CSV or XLSX file (all or nothing)."""
    session = load_session(ref)
    data, filename = _uploaded()
    count = roster.import_delegates(
        session, data, filename, _actor(), replace=request.form.get("replace") == "1",
        max_rows=current_app.config["MAX_IMPORT_ROWS"])
    flash(gettext("已导入 %(count)s 名代表。", count=count), "info")
    return _back(session.slug, "roster")

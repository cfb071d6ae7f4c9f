"""After the vote: the public year page of chosen projects, and the staff's tracking pages.

Public (no login): ``/c/<congress>/<year>/`` lists a congress's chosen projects of the year with
their progress, ratings and rectification, readable on a phone; report photos are served from
``/s/<ref>/photos/<id>``. Staff (admin blueprint URLs, /admin/sessions/<ref>/tracking…) keep the
plan, post progress reports with photos, record 测评 results and export the table.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from ballot import inputs
from ballot.domain import rating
from ballot.domain.errors import N_, InvalidInput, WrongState
from ballot.domain.states import State
from ballot.i18n import gettext
from ballot.services import rating_sessions, sessions, tracking
from ballot.unit_of_work import transactional
from ballot.web.downloads import attachment
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("tracking", __name__)
READERS = ("staff", "chair", "scrutineer")
EXPORT_MIMETYPES = {"csv": "text/csv; charset=utf-8",
                    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _actor() -> str:
    return current_user().username


def _published(ref: str):
    session = load_session(ref)
    if session.state != State.PUBLISHED:
        raise WrongState(N_("结果公布后才能跟踪入选项目的实施情况。"))
    return session


def _photos() -> list[tuple[bytes, str]]:
    # Read at most one byte over the limit: enough to refuse an oversized photo by its size.
    return [(file.read(tracking.photos.MAX_BYTES + 1), file.filename or "")
            for file in request.files.getlist("photos") if file and file.filename]


def _back(ref: str, project_id: int | None = None):
    if project_id is None:
        return redirect(url_for("tracking.staff_list", ref=ref))
    return redirect(url_for("tracking.staff_project", ref=ref, pid=project_id))


# --- public -----------------------------------------------------------------------------------


@bp.get("/c/<congress>/<int:year>/")
def year_page(congress: str, year: int):
    """A congress's chosen projects of ``year``: progress, ratings and rectification."""
    overview = tracking.year_overview(congress, year)
    if not overview:
        abort(404)
    return render_template("tracking/year.html", congress=congress, year=year,
                           overview=overview, grade_labels=rating.GRADE_LABELS,
                           kind_labels=tracking.REPORT_KIND_LABELS, rate_of=tracking.rate_of)


@bp.get("/s/<ref>/photos/<int:photo_id>")
def photo(ref: str, photo_id: int):
    """A report photo of a published session (the server's own re-encoding)."""
    session = sessions.get_session(ref)
    if session.state != State.PUBLISHED:
        abort(404)
    found = tracking.get_photo(session, photo_id)
    response = Response(found.data, mimetype=found.mimetype)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# --- staff ------------------------------------------------------------------------------------


@bp.get("/admin/sessions/<ref>/tracking")
@role_required(*READERS)
def staff_list(ref: str):
    """The session's chosen projects with their plan, progress and rating at a glance."""
    session = _published(ref)
    return render_template("tracking/staff_list.html", session=session,
                           projects=tracking.projects(session), grade_labels=rating.GRADE_LABELS,
                           formats=tracking.EXPORT_FORMATS, basis_labels=rating.BASIS_LABELS)


@bp.get("/admin/sessions/<ref>/tracking/<int:pid>")
@role_required(*READERS)
def staff_project(ref: str, pid: int):
    """One project: its plan, reports (with photos) and ratings, and the forms to add to them."""
    session = _published(ref)
    return render_template("tracking/staff_project.html", session=session,
                           project=tracking.get_project(session, pid),
                           grade_labels=rating.GRADE_LABELS, basis_labels=rating.BASIS_LABELS,
                           kind_labels=tracking.REPORT_KIND_LABELS, rate_of=tracking.rate_of,
                           max_photos=tracking.photos.MAX_PHOTOS,
                           max_mb=tracking.photos.MAX_BYTES // 1048576)


@bp.post("/admin/sessions/<ref>/tracking/<int:pid>/plan")
@role_required("staff")
@transactional
def update_plan(ref: str, pid: int):
    """Save the responsible unit, budget, milestones and supervising delegates."""
    session = _published(ref)
    tracking.update_plan(session, tracking.get_project(session, pid),
                         inputs.tracking_plan(request.form), _actor())
    flash(gettext("实施计划已保存。"), "info")
    return _back(ref, pid)


@bp.post("/admin/sessions/<ref>/tracking/<int:pid>/reports")
@role_required("staff")
@transactional
def post_report(ref: str, pid: int):
    """Post a progress report (or a 整改 follow-up) with up to four photos."""
    session = _published(ref)
    tracking.post_report(session, tracking.get_project(session, pid), inputs.report(request.form),
                         _photos(), _actor())
    flash(gettext("报告已发布。"), "info")
    return _back(ref, pid)


@bp.post("/admin/sessions/<ref>/tracking/<int:pid>/rating")
@role_required("staff")
@transactional
def record_rating(ref: str, pid: int):
    """Record a 满意度测评 result; 不满意 puts the project under rectification (整改)."""
    session = _published(ref)
    record = tracking.record_rating(session, tracking.get_project(session, pid),
                                    inputs.rating_counts(request.form), _actor(),
                                    sessions.counts(session).expected)
    if record.grade == rating.DISSATISFIED:
        flash(gettext("测评结果为不满意：该项目已列入整改，请发布整改情况。"), "warning")
    else:
        flash(gettext("测评结果已录入。"), "info")
    return _back(ref, pid)


@bp.post("/admin/sessions/<ref>/tracking/rating-session")
@role_required("staff")
@transactional
def create_rating_session(ref: str):
    """A draft 满意度测评 session on the ticked chosen projects; on to its session page."""
    source = _published(ref)
    values = {key: request.form.get(key) for key in ("title", "date", "basis")}
    values["codes"] = request.form.getlist("codes")
    if not values["codes"]:
        raise InvalidInput(N_("请至少勾选一个要测评的项目。"))
    created = rating_sessions.create_from(source, inputs.rating_plan(values), _actor())
    flash(gettext("满意度测评会议已创建：请导入代表名单、锁定项目名单、封箱，再像票决一样签到和投票。"),
          "info")
    return redirect(url_for("admin.session_page", ref=created.slug))


@bp.get("/admin/sessions/<ref>/tracking/export/<fmt>")
@role_required(*READERS)
def export_file(ref: str, fmt: str):
    """The tracking table for the congress office, CSV or XLSX."""
    if fmt not in tracking.EXPORT_FORMATS:
        abort(404)
    session = _published(ref)
    return attachment(tracking.export_file(session, fmt), EXPORT_MIMETYPES[fmt],
                      tracking.export_filename(session, fmt))

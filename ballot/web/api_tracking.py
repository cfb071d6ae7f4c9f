"""JSON API for tracking the chosen projects: /api/v1/sessions/<ref>/tracking….

The same services as the staff pages and the ``ballot track`` commands. A project is named by
its ballot code ("03"). Photos travel base64-encoded in the body (``photos: [{"name", "data"}]``)
and are checked by content exactly as uploads are. Described in docs/openapi.yaml.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, jsonify, request, url_for

from ballot import inputs
from ballot.domain import rating
from ballot.domain.errors import N_, InvalidInput, WrongState
from ballot.domain.states import State
from ballot.models import ProgressReport, ProjectRating, TrackedProject, VoteSession
from ballot.services import photos, rating_sessions, sessions, tracking
from ballot.services.results import decimal_text
from ballot.unit_of_work import transactional
from ballot.web.guards import current_user, load_session, role_required
from ballot.web.serializers import session_summary

bp = Blueprint("api_tracking", __name__, url_prefix="/api/v1/sessions/<ref>/tracking")
READERS = ("staff", "chair", "scrutineer")


def _published(ref: str) -> VoteSession:
    session = load_session(ref)
    if session.state != State.PUBLISHED:
        raise WrongState(N_("结果公布后才能跟踪入选项目的实施情况。"))
    return session


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(N_("请求体须为 JSON 对象。"))
    return data


def _photos(body: dict) -> list[tuple[bytes, str]]:
    items = body.get("photos") or []
    if not isinstance(items, list):
        raise InvalidInput(N_("字段“%(field)s”须为列表。"), field="photos")
    if len(items) > photos.MAX_PHOTOS:
        raise InvalidInput(N_("每份报告最多附 %(max)s 张照片。"), max=photos.MAX_PHOTOS)
    decoded = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("data"), str):
            raise InvalidInput(N_("每张照片须为 {\"name\": …, \"data\": base64} 对象。"))
        name = str(item.get("name") or "")[:80]
        try:
            decoded.append((base64.b64decode(item["data"], validate=True), name))
        except (binascii.Error, ValueError):
            raise InvalidInput(N_("照片“%(name)s”的 base64 编码无效。"), name=name or "?") from None
    return decoded


def report_json(report: ProgressReport) -> dict:
    """A report as the API shows it (photos by their public URL)."""
    return {"id": report.id, "kind": report.kind, "text": report.text,
            "percent_done": report.percent_done, "budget_spent": decimal_text(report.budget_spent),
            "author": report.author, "created_at": report.created_at.isoformat(),
            "photos": [url_for("tracking.photo", ref=report.project.candidate.session.slug,
                               photo_id=p.id) for p in report.photos]}


def rating_json(record: ProjectRating) -> dict:
    """A 测评 result with its grade and 满意率."""
    return {"satisfied": record.satisfied, "basically": record.basically,
            "dissatisfied": record.dissatisfied, "cast": record.cast, "basis": record.basis,
            "grade": record.grade, "rate": f"{tracking.rate_of(record)}", "source": record.source,
            "created_at": record.created_at.isoformat()}


def project_json(project: TrackedProject) -> dict:
    """A tracked project: plan, progress, latest report, ratings, rectification."""
    return {"code": project.candidate.code, "title": project.candidate.title,
            "responsible_unit": project.responsible_unit, "budget": decimal_text(project.budget),
            "milestones": project.milestones, "supervisors": project.supervisors,
            "percent_done": project.percent_done,
            "budget_spent": decimal_text(project.budget_spent),
            "rectification": project.rectification,
            "latest_report": report_json(project.reports[0]) if project.reports else None,
            "ratings": [rating_json(r) for r in project.ratings]}


@bp.get("")
@role_required(*READERS)
def list_projects(ref: str):
    """The session's chosen projects in rank order, with plan and progress."""
    return jsonify([project_json(p) for p in tracking.projects(_published(ref))])


@bp.post("/<project>/plan")
@role_required("staff")
@transactional
def update_plan(ref: str, project: str):
    """Set the responsible unit, budget, milestones and supervising delegates."""
    session = _published(ref)
    found = tracking.find_project(session, project)
    plan = inputs.tracking_plan(inputs.json_fields(_body(), **inputs.PLAN_JSON))
    tracking.update_plan(session, found, plan, current_user().username)
    return jsonify(project_json(found))


@bp.post("/<project>/reports")
@role_required("staff")
@transactional
def post_report(ref: str, project: str):
    """Post a progress report (``kind``: progress or rectification) with optional photos."""
    session = _published(ref)
    body = _body()
    fields = inputs.report(inputs.json_fields(body, **inputs.REPORT_JSON))
    report = tracking.post_report(session, tracking.find_project(session, project), fields,
                                  _photos(body), current_user().username)
    return jsonify(report_json(report)), 201


@bp.post("/<project>/rating")
@role_required("staff")
@transactional
def record_rating(ref: str, project: str):
    """Record a 满意度测评 result; 不满意 puts the project under rectification."""
    session = _published(ref)
    found = tracking.find_project(session, project)
    given = inputs.rating_counts(inputs.json_fields(_body(), **inputs.COUNTS_JSON))
    record = tracking.record_rating(session, found, given, current_user().username,
                                    sessions.counts(session).expected)
    return jsonify({**rating_json(record), "rectification": found.rectification,
                    "grade_label": rating.GRADE_LABELS[record.grade]}), 201


@bp.post("/rating-sessions")
@role_required("staff")
@transactional
def create_rating_session(ref: str):
    """A draft 满意度测评 session on this session's chosen projects (``codes``: a selection)."""
    source = _published(ref)
    plan = inputs.rating_plan(inputs.json_fields(_body(), **inputs.RATING_JSON))
    session = rating_sessions.create_from(source, plan, current_user().username)
    return jsonify({**session_summary(session),
                    "candidates": [{"title": c.title, "position": c.position}
                                   for c in session.candidates]}), 201

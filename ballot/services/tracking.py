"""After the vote: tracking each chosen project, progress reports, 测评 ratings and 整改.

A published session's chosen projects each get a TrackedProject (opened by ``results.publish``
in the same transaction). Staff keep its plan (responsible unit, budget, milestones, supervising
delegates), post progress reports with photos, and record 满意度测评 results; a 不满意 grade puts
the project under rectification (整改) until a later rating is not 不满意. Every change writes its
audit entry in the caller's unit of work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from ballot.domain import rating
from ballot.domain.errors import N_, InvalidInput, NotFound
from ballot.domain.fields import RatingCounts, ReportFields, TrackingPlan
from ballot.domain.states import State
from ballot.extensions import db
from ballot.models import (
    ProgressReport,
    ProjectRating,
    ReportPhoto,
    TrackedProject,
    VoteSession,
    utcnow,
)
from ballot.services import audit, photos, spreadsheets

REPORT_KIND_LABELS = {"progress": N_("进展报告"), "rectification": N_("整改情况")}


def _chosen_codes(session: VoteSession) -> list[str]:
    if session.result_document is None:
        return []
    return list(json.loads(session.result_document)["chosen"])


def open_records(session: VoteSession, actor: str) -> list[TrackedProject]:
    """Give every chosen project of the published ``session`` its tracking record (idempotent).

    The plan starts from the candidate's own department and budget; staff refine it later.
    """
    by_code = {c.code: c for c in session.candidates if c.code}
    existing = {p.candidate_id for p in _records(session)}
    opened = []
    for code in _chosen_codes(session):
        candidate = by_code[code]
        if candidate.id in existing:
            continue
        project = TrackedProject(session_id=session.id, candidate_id=candidate.id,
                                 responsible_unit=candidate.department, budget=candidate.budget,
                                 milestones="", supervisors="")
        db.session.add(project)
        opened.append(project)
    if opened:
        db.session.flush()
        audit.record(actor, "tracking.opened", session,
                     codes=[p.candidate.code for p in opened])
    return opened


def _records(session: VoteSession) -> list[TrackedProject]:
    return list(db.session.execute(
        select(TrackedProject).where(TrackedProject.session_id == session.id)).scalars())


def projects(session: VoteSession) -> list[TrackedProject]:
    """The session's tracked projects in the order they were chosen (rank order)."""
    order = {code: index for index, code in enumerate(_chosen_codes(session))}
    return sorted(_records(session), key=lambda p: order.get(p.candidate.code, len(order)))


def get_project(session: VoteSession, project_id: int) -> TrackedProject:
    """One tracked project of ``session``; NotFound otherwise."""
    project = db.session.get(TrackedProject, project_id)
    if project is None or project.session_id != session.id:
        raise NotFound(N_("找不到该跟踪项目。"))
    return project


def find_project(session: VoteSession, code: str) -> TrackedProject:
    """The tracked project whose ballot code is ``code`` ("03"); NotFound otherwise."""
    for project in _records(session):
        if project.candidate.code == code.strip().zfill(2):
            return project
    raise NotFound(N_("本次会议没有票序为“%(code)s”的入选项目。"), code=code[:8])


# --- changes --------------------------------------------------------------------------------


def update_plan(session: VoteSession, project: TrackedProject, plan: TrackingPlan,
                actor: str) -> None:
    """Set the responsible unit, budget, milestones and supervising delegates."""
    changed = {field: value for field, value in plan.columns().items()
               if getattr(project, field) != value}
    for field, value in changed.items():
        setattr(project, field, value)
    project.updated_at = utcnow()
    audit.record(actor, "tracking.plan_updated", session, code=project.candidate.code,
                 fields=sorted(changed))


def post_report(session: VoteSession, project: TrackedProject, fields: ReportFields,
                files: list[tuple[bytes, str]], actor: str) -> ProgressReport:
    """Post a progress report (or, with ``kind=rectification``, a 整改 follow-up) with photos."""
    if fields.kind == "rectification" and not project.rectification:
        raise InvalidInput(N_("该项目未被要求整改，请提交进展报告。"))
    kind, text, percent, spent = (fields.kind, fields.text, fields.percent_done,
                                  fields.budget_spent)
    checked = photos.normalise_all(files)
    report = ProgressReport(session_id=session.id, project_id=project.id, kind=kind, text=text,
                            percent_done=percent, budget_spent=spent, author=actor)
    report.photos = [ReportPhoto(session_id=session.id, mimetype=p.mimetype, width=p.width,
                                 height=p.height, data=p.data) for p in checked]
    project.reports.insert(0, report)
    project.percent_done = percent
    if spent is not None:
        project.budget_spent = spent
    project.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "tracking.report_posted", session, code=project.candidate.code,
                 kind=kind, percent_done=percent,
                 budget_spent=None if spent is None else f"{spent:f}", photos=len(checked))
    return report


def record_rating(session: VoteSession, project: TrackedProject, given: RatingCounts,
                  actor: str, roster_size: int | None = None) -> ProjectRating:
    """Record a 满意度测评 result (counts from a paper 测评); 不满意 starts rectification (整改)."""
    counts, basis, source = given.votes(), given.basis, given.source
    try:
        outcome = rating.rate(counts["satisfied"], counts["basically"], counts["dissatisfied"],
                              counts["cast"], basis=basis, roster=roster_size)
    except ValueError:
        raise InvalidInput(N_("测评票数不成立：满意、基本满意、不满意之和不能超过收回的测评票数，"
                              "收回测评票数须大于 0。")) from None
    record = ProjectRating(session_id=session.id, project_id=project.id, basis=basis,
                           basis_size=outcome.basis_size, grade=outcome.grade, source=source,
                           author=actor, **counts)
    project.ratings.insert(0, record)
    project.rectification = outcome.grade == rating.DISSATISFIED
    project.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "tracking.rated", session, code=project.candidate.code,
                 grade=outcome.grade, rectification=project.rectification, **counts)
    return record


def get_photo(session: VoteSession, photo_id: int) -> ReportPhoto:
    """One photo of ``session``'s reports; NotFound otherwise."""
    photo = db.session.get(ReportPhoto, photo_id)
    if photo is None or photo.session_id != session.id:
        raise NotFound(N_("找不到该照片。"))
    return photo


# --- the public year page and the office's export ---------------------------------------------


@dataclass(frozen=True)
class YearSession:
    """One published session of a congress's year, with its tracked projects."""

    session: VoteSession
    projects: list[TrackedProject]


def year_overview(congress: str, year: int) -> list[YearSession]:
    """The published sessions of ``congress`` for ``year`` with their chosen projects."""
    found = db.session.execute(
        select(VoteSession).where(VoteSession.congress == congress, VoteSession.year == year,
                                  VoteSession.state == State.PUBLISHED,
                                  VoteSession.kind == rating.KIND_VOTE)
        .order_by(VoteSession.date, VoteSession.id)).scalars()
    return [YearSession(s, projects(s)) for s in found]


def tracked_years() -> list[tuple[str, int]]:
    """(congress, year) pairs with a published session, newest year first."""
    rows = db.session.execute(
        select(VoteSession.congress, VoteSession.year).where(
            VoteSession.state == State.PUBLISHED, VoteSession.kind == rating.KIND_VOTE)
        .distinct()).all()
    return sorted(((c, y) for c, y in rows), key=lambda r: (-r[1], r[0]))


EXPORT_HEADERS = ("排序", "票序", "项目名称", "承办单位", "预算（万元）", "已用资金（万元）",
                  "完成进度（%）", "计划节点", "监督代表", "最近报告", "最近报告时间",
                  "测评结果", "满意率（%）", "整改")


def export_rows(session: VoteSession) -> list[dict]:
    """One row per tracked project, in rank order, for the office's CSV/XLSX."""
    rows = []
    for rank, project in enumerate(projects(session), start=1):
        latest = project.reports[0] if project.reports else None
        rated = project.ratings[0] if project.ratings else None
        rows.append({
            "排序": rank, "票序": project.candidate.code, "项目名称": project.candidate.title,
            "承办单位": project.responsible_unit,
            "预算（万元）": "" if project.budget is None else project.budget,
            "已用资金（万元）": "" if project.budget_spent is None else project.budget_spent,
            "完成进度（%）": project.percent_done,
            "计划节点": project.milestones, "监督代表": project.supervisors,
            "最近报告": latest.text if latest else "",
            "最近报告时间": latest.created_at.strftime("%Y-%m-%d %H:%M UTC") if latest else "",
            "测评结果": rating.GRADE_LABELS[rated.grade] if rated else "",
            "满意率（%）": f"{rate_of(rated)}" if rated else "",
            "整改": "是" if project.rectification else "",
        })
    return rows


def rate_of(record: ProjectRating) -> Decimal:
    """满意率 of a stored rating, in percent."""
    return rating.Rating(record.satisfied, record.basically, record.dissatisfied, record.cast,
                         record.basis_size, record.grade).rate


EXPORT_FORMATS = ("csv", "xlsx")


def export_file(session: VoteSession, fmt: str) -> bytes:
    """The tracking table for the congress office: ``csv`` or ``xlsx`` (title block, A4)."""
    subject = "民生实事项目实施情况"
    rows = export_rows(session)
    if fmt == "csv":
        return spreadsheets.table_csv(f"{session.display_title} · {subject}", EXPORT_HEADERS, rows)
    lines = [f"{session.display_title} · {subject}",
             f"{session.congress}　{session.year} 年　导出时间 {utcnow():%Y-%m-%d %H:%M} UTC"]
    return spreadsheets.workbook_bytes(lambda book: spreadsheets.add_sheet(
        book, "项目实施情况", EXPORT_HEADERS, rows, lines, landscape=True,
        number_formats={"预算（万元）": "#,##0.00", "已用资金（万元）": "#,##0.00"}))


def export_filename(session: VoteSession, fmt: str) -> str:
    """<slug>-tracking.csv / .xlsx"""
    return f"{session.slug}-tracking.{fmt}"

"""Candidate projects: edit while drafting, import from CSV/XLSX, lock the list."""

from __future__ import annotations

from sqlalchemy import select

from ballot import inputs
from ballot.domain import rating, rules
from ballot.domain.errors import N_, ImportRejected, InvalidInput, NotFound
from ballot.domain.fields import CandidateFields
from ballot.domain.states import State
from ballot.extensions import db
from ballot.models import Candidate, VoteSession
from ballot.services import audit, keys, sessions, tabular

ALIASES = {
    "title": ("项目名称", "名称", "项目", "title", "name"),
    "summary": ("项目简介", "简介", "主要内容", "建设内容", "summary", "description"),
    "category": ("类别", "项目类别", "领域", "category"),
    "department": ("承办单位", "责任单位", "牵头单位", "department"),
    "budget": ("预算（万元）", "预算(万元)", "预算", "投资（万元）", "投资(万元)", "budget"),
    "source": ("征集渠道", "来源", "项目来源", "source"),
    "position": ("序号", "票序", "order", "position"),
}
def _require_draft(session: VoteSession) -> None:
    sessions.require_state(session, State.DRAFT)


def _refuse_untracked(session: VoteSession) -> None:
    # A 测评 rates projects its 票决 chose, through their tracking records (publishing it records
    # each grade there): a project typed in or imported has none, so its grade would go nowhere.
    if session.kind == rating.KIND_RATING:
        raise InvalidInput(N_("满意度测评只能测评票决选出、正在跟踪的项目，不能手工添加或导入项目。"
                              "要测评其他项目，请在原票决会议的“项目实施跟踪”页勾选项目，"
                              "重新创建满意度测评。"))


def add_candidate(session: VoteSession, fields: CandidateFields, actor: str) -> Candidate:
    """Add a candidate at the end of the ballot order (not to a 测评: _refuse_untracked)."""
    _require_draft(session)
    _refuse_untracked(session)
    candidate = Candidate(session=session, position=len(session.candidates) + 1,
                          **fields.columns())
    db.session.add(candidate)
    db.session.flush()
    audit.record(actor, "candidate.add", session, candidate_id=candidate.id, title=fields.title)
    return candidate


def get_candidate(session: VoteSession, candidate_id: int) -> Candidate:
    """A candidate of ``session`` by id, or NotFound."""
    candidate = db.session.get(Candidate, candidate_id)
    if candidate is None or candidate.session_id != session.id:
        raise NotFound(N_("找不到该候选项目。"))
    return candidate


def update_candidate(session: VoteSession, candidate: Candidate, fields: CandidateFields,
                     actor: str) -> None:
    """Edit a candidate while the list is a draft."""
    _require_draft(session)
    for key, value in fields.columns().items():
        setattr(candidate, key, value)
    audit.record(actor, "candidate.update", session, candidate_id=candidate.id, title=fields.title)


def delete_candidate(session: VoteSession, candidate: Candidate, actor: str) -> None:
    """Remove a candidate and close the gap in the ballot order."""
    _require_draft(session)
    session.candidates.remove(candidate)
    db.session.delete(candidate)
    _renumber(session)
    audit.record(actor, "candidate.delete", session, candidate_id=candidate.id, title=candidate.title)


def move_candidate(session: VoteSession, candidate: Candidate, offset: int, actor: str) -> None:
    """Move a candidate up (−1) or down (+1) in the ballot order."""
    _require_draft(session)
    ordered = list(session.candidates)
    index = ordered.index(candidate)
    target = max(0, min(len(ordered) - 1, index + offset))
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered, start=1):
        item.position = position
    audit.record(actor, "candidate.move", session, candidate_id=candidate.id, position=target + 1)


def _renumber(session: VoteSession) -> None:
    for position, item in enumerate(sorted(session.candidates, key=lambda c: c.position), start=1):
        item.position = position


def import_candidates(
    session: VoteSession, data: bytes, filename: str, actor: str, *, replace: bool = False,
    max_rows: int = 5000,
) -> int:
    """Import candidates from CSV/XLSX, all or nothing; ImportRejected lists every bad row.
    Not into a 测评 (_refuse_untracked)."""
    _require_draft(session)
    _refuse_untracked(session)
    table = tabular.read_table(data, filename, ALIASES, ("title",), max_rows)
    errors: list[tabular.RowError] = []
    parsed: list[tuple[int, CandidateFields]] = []
    existing = set() if replace else {c.title for c in session.candidates}
    seen: dict[str, int] = {}
    for line, row in table.rows:
        clean, problems = inputs.candidate_fields(row)
        for field, message, params in problems:
            errors.append(tabular.RowError(line, table.headers.get(field), message, params))
        title = clean.title
        if title and title in seen:
            errors.append(tabular.RowError(line, table.headers["title"], N_(
                "项目“%(title)s”与第 %(other)s 行重复。"), {"title": title, "other": seen[title]}))
        elif title and title in existing:
            errors.append(tabular.RowError(line, table.headers["title"], N_(
                "项目“%(title)s”已在候选名单中。"), {"title": title}))
        seen.setdefault(title, line)
        order = row.get("position", "")
        valid_order = order.isascii() and order.isdigit() and len(order) <= 6
        if order and not valid_order:
            errors.append(tabular.RowError(line, table.headers.get("position"), N_(
                "序号“%(value)s”须为正整数。"), {"value": order}))
        parsed.append((int(order) if valid_order else 10**6 + line, clean))
    if errors:
        raise ImportRejected(errors)
    if replace:
        for candidate in list(session.candidates):
            session.candidates.remove(candidate)
            db.session.delete(candidate)
    start = len(session.candidates)
    for offset, (_, clean) in enumerate(sorted(parsed, key=lambda item: item[0]), start=1):
        session.candidates.append(Candidate(position=start + offset, **clean.columns()))
    db.session.flush()
    audit.record(actor, "candidate.import", session, filename=filename, rows=len(parsed),
                 replace=replace)
    return len(parsed)


def lock_list(session: VoteSession, actor: str, key_secret: str) -> None:
    """Lock the candidate list (差额 rule enforced), number the ballot, create the session key.

    A 测评 has no quota to choose: its ballot may rate every listed project 满意, so its quota
    follows the list as locked (projects removed while it was a draft)."""
    if session.kind == rating.KIND_RATING and session.candidates:
        session.quota = len(session.candidates)
    sessions.transition(session, State.LOCKED, actor)
    width = 3 if len(session.candidates) > 99 else 2
    for candidate in session.candidates:
        candidate.code = f"{candidate.position:0{width}d}"
    keys.create_session_key(session, key_secret)
    audit.record(actor, "session.key_created", session, fingerprint=session.key_fingerprint)


def unlock_list(session: VoteSession, actor: str) -> None:
    """Reopen a locked list for editing before check-in starts; the session key is discarded."""
    sessions.transition(session, State.DRAFT, actor)
    unlock_keys(session)


def unlock_keys(session: VoteSession) -> None:
    """Drop the ballot numbering, the session key and the sealed box, whose key cards name
    the session key (the list is editable again)."""
    from ballot.services import box  # box reads rounds, which read sessions

    for candidate in session.candidates:
        candidate.code = None
    session.public_key = session.private_key_encrypted = session.key_fingerprint = None
    box.clear(session)


def ratio_summary(session: VoteSession) -> dict:
    """Candidates, quota, required minimum and the ratio (candidates − N) / N for display."""
    count = len(session.candidates)
    required = rules.required_candidates(session.quota, session.min_excess_ratio, session.contested)
    ratio = rules.excess_ratio(count, session.quota) if session.quota else None
    return {
        "count": count,
        "quota": session.quota,
        "required": required,
        "missing": max(0, required - count),
        "ratio": rules.format_ratio(ratio) if ratio is not None else "—",
        "min_ratio": rules.format_ratio(session.min_excess_ratio),
    }


def by_code(session: VoteSession) -> dict[str, Candidate]:
    """Locked candidates keyed by their ballot code."""
    return {c.code: c for c in session.candidates if c.code}


def list_for_session(session_id: int) -> list[Candidate]:
    """Candidates of a session in ballot order."""
    return list(db.session.execute(
        select(Candidate).where(Candidate.session_id == session_id).order_by(Candidate.position)
    ).scalars())

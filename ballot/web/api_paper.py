"""JSON API of the counting room (issue 22.3), /api/v1/sessions/<ref>/rounds/<n>/paper…: the
counters' passes, the paper count's status, the scrutineer's resolution and finish. The same
services and checks as the counting-room screens and ``ballot paper-*``; docs/openapi.yaml."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from ballot.domain.errors import N_, InvalidInput
from ballot.services import paper_count
from ballot.services.paper_count import Reading
from ballot.unit_of_work import transactional
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("api_paper", __name__, url_prefix="/api/v1/sessions/<ref>/rounds/<int:number>/paper")
MAX_SHEETS_PER_POST = 2000


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(N_("请求体须为 JSON 对象。"))
    return data


def _positive(body: dict, key: str, required: bool = True) -> int | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**31:
        raise InvalidInput(N_("字段“%(field)s”须为正整数。"), field=key)
    return value


def reading_of(item: object, sheet_no: int | str) -> Reading:
    """A sheet from JSON: {"marks": {code: "for"|"against"|"abstain"}} (a project left out is
    弃权) or {"unreadable": true}."""
    if isinstance(item, dict) and item.get("unreadable") is True and "marks" not in item:
        return paper_count.UNREADABLE
    if isinstance(item, dict) and isinstance(item.get("marks"), dict) and not item.get(
            "unreadable"):
        return Reading(dict(item["marks"]))
    raise InvalidInput(N_("第 %(sheet)s 张选票：须为 {\"marks\": {项目编号: \"for\"/\"against\"/\"abstain\"}} "
                          "或 {\"unreadable\": true}。"), sheet=sheet_no)


def reading_json(reading: Reading | None) -> dict | None:
    if reading is None:
        return None
    return {"unreadable": True} if reading.marks is None else {"marks": reading.marks}


def status_json(state: paper_count.PaperStatus) -> dict:
    """The paper count's status as the API returns it."""
    return {
        "round": state.number,
        "issued_paper": state.issued_paper,
        "passes": {str(p): {"account": s.account, "sheets": s.sheets}
                   for p, s in state.passes.items()},
        "mismatches": [{"sheet": m.sheet_no, "first": reading_json(m.first),
                        "second": reading_json(m.second), "resolved": reading_json(m.resolved)}
                       for m in state.mismatches],
        "ready": state.ready,
        "finished": state.finished,
        "problems": [{"code": p.code, "message": p.render()} for p in state.problems],
    }


@bp.post("/passes/<int:pass_no>")
@role_required("counter")
@transactional
def record_pass(ref: str, number: int, pass_no: int):
    """A counter enters sheets into their pass: {"sheets": [...], "first": k (optional)}."""
    session = load_session(ref)
    body = _body()
    sheets = body.get("sheets")
    if not isinstance(sheets, list) or not 1 <= len(sheets) <= MAX_SHEETS_PER_POST:
        raise InvalidInput(N_("字段“sheets”须为选票列表（1 到 %(max)s 张）。"),
                           max=MAX_SHEETS_PER_POST)
    first = _positive(body, "first", required=False)
    start = first or 1
    readings = [reading_of(item, start + i) for i, item in enumerate(sheets)]
    start = paper_count.record_sheets(session, number, pass_no, first, readings, current_user())
    state = paper_count.status(session, number)
    return jsonify({"first": start, "entered": len(readings),
                    "status": status_json(state)}), 201


@bp.get("")
@role_required("counter", "scrutineer", "staff", "chair")
def paper_status(ref: str, number: int):
    """Where the paper count stands (mismatches with both readings only for scrutineers)."""
    session = load_session(ref)
    document = status_json(paper_count.status(session, number))
    if current_user().role not in paper_count.SCRUTINEER_ROLES:
        document["mismatches"] = [{"sheet": m["sheet"], "resolved": m["resolved"] is not None}
                                  for m in document["mismatches"]]
    return jsonify(document)


@bp.post("/resolve")
@role_required("scrutineer")
@transactional
def resolve(ref: str, number: int):
    """A scrutineer's checked reading of a mismatched sheet: {"sheet": k, "marks": {...}} or
    {"sheet": k, "unreadable": true}."""
    session = load_session(ref)
    body = _body()
    sheet_no = _positive(body, "sheet")
    paper_count.resolve(session, number, sheet_no, reading_of(body, sheet_no), current_user())
    return jsonify({"status": status_json(paper_count.status(session, number))})


@bp.post("/finish")
@role_required("scrutineer")
@transactional
def finish(ref: str, number: int):
    """A scrutineer finishes the paper count: the paper ballots go on the board."""
    session = load_session(ref)
    body = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(body, dict) or not isinstance(body.get("empty", False), bool):
        raise InvalidInput(N_("请求体须为 JSON 对象；“empty”须为 true 或 false。"))
    done = paper_count.finish(session, number, current_user(), empty=body.get("empty", False))
    return jsonify({"round": number, "sheets": done.sheets, "valid": done.valid,
                    "invalid": done.sheets - done.valid,
                    "invalid_by_reason": done.invalid_by_reason,
                    "merkle_root": done.merkle_root})

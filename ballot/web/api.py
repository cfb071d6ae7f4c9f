"""JSON API, /api/v1, for what the admin pages can do. Described in docs/openapi.yaml."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ballot import inputs
from ballot.domain.errors import N_, InvalidInput
from ballot.domain.states import State
from ballot.services import candidates as candidate_service
from ballot.services import roster, sessions
from ballot.unit_of_work import transactional
from ballot.web import serializers
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("api", __name__, url_prefix="/api/v1")
READERS = ("staff", "chair", "scrutineer")


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(N_("请求体须为 JSON 对象。"))
    return data


def _fields(kinds: dict) -> dict:
    """The JSON body's fields of ``kinds`` (inputs.SESSION_JSON…), each of its JSON type."""
    return inputs.json_fields(_body(), **kinds)


def _boolean(body: dict, key: str, default: bool) -> bool:
    """A JSON true/false field: the string "false" is not a boolean (it is truthy in Python)."""
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise InvalidInput(N_("字段“%(field)s”须为 true 或 false。"), field=key)
    return value


def _text(body: dict, key: str) -> str:
    """A JSON text field (absent: empty)."""
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise InvalidInput(N_("字段“%(field)s”须为文字。"), field=key)
    return value


def _actor() -> str:
    return current_user().username


@bp.get("/sessions")
@role_required(*READERS)
def list_sessions():
    """Sessions visible to the caller."""
    return jsonify([serializers.session_summary(s) for s in sessions.list_sessions(current_user())])


@bp.post("/sessions")
@role_required("staff")
@transactional
def create_session():
    """Create a draft session."""
    body = _fields(inputs.SESSION_JSON)
    settings = sessions.in_own_congress(inputs.session_settings(body), current_user())
    created = sessions.create_session(settings, body.get("slug"), _actor())
    return jsonify(serializers.session_detail(created)), 201


@bp.get("/sessions/<ref>")
@role_required(*READERS)
def get_session(ref: str):
    """One session with counts, ratio and readiness."""
    return jsonify(serializers.session_detail(load_session(ref)))


@bp.get("/sessions/<ref>/counts")
@role_required(*READERS)
def get_counts(ref: str):
    """Live attendance: 应到, 实到, 请假, 未到 and the quorum."""
    session = load_session(ref)
    return jsonify({"state": session.state, **sessions.counts(session).to_dict()})


@bp.post("/sessions/<ref>/transition")
@role_required("staff")
@transactional
def transition(ref: str):
    """Lock/unlock the candidate list or open check-in; 409 with every problem when not ready."""
    session = load_session(ref)
    target = _body().get("target")
    if target == State.LOCKED:
        candidate_service.lock_list(session, _actor(), current_app.config["KEY_ENCRYPTION_SECRET"])
    elif target == State.DRAFT:
        candidate_service.unlock_list(session, _actor())
    elif target == State.CHECKIN:
        sessions.transition(session, State.CHECKIN, _actor())
    else:
        raise InvalidInput(N_("target 只能是 locked、draft 或 checkin。"))
    return jsonify(serializers.session_detail(session))


@bp.get("/sessions/<ref>/candidates")
@role_required(*READERS)
def list_candidates(ref: str):
    """The candidate list in ballot order."""
    session = load_session(ref)
    return jsonify([serializers.candidate(c) for c in session.candidates])


@bp.post("/sessions/<ref>/candidates")
@role_required("staff")
@transactional
def add_candidate(ref: str):
    """Add a candidate project."""
    session = load_session(ref)
    created = candidate_service.add_candidate(
        session, inputs.candidate(_fields(inputs.CANDIDATE_JSON)), _actor())
    return jsonify(serializers.candidate(created)), 201


@bp.post("/sessions/<ref>/candidates/import")
@role_required("staff")
@transactional
def import_candidates(ref: str):
    """Import candidates from a multipart upload (field ``file``), all or nothing."""
    session = load_session(ref)
    file = request.files.get("file")
    if file is None:
        raise InvalidInput(N_("请在表单字段 file 中上传 CSV 或 XLSX 文件。"))
    count = candidate_service.import_candidates(
        session, file.read(), file.filename or "", _actor(),
        replace=request.form.get("replace") == "1", max_rows=current_app.config["MAX_IMPORT_ROWS"])
    return jsonify({"imported": count}), 201


@bp.get("/sessions/<ref>/delegates")
@role_required("staff")
def list_delegates(ref: str):
    """The roster in roster order."""
    return jsonify([serializers.delegate(d) for d in roster.list_delegates(load_session(ref))])


@bp.post("/sessions/<ref>/delegates")
@role_required("staff")
@transactional
def add_delegate(ref: str):
    """Add a delegate."""
    session = load_session(ref)
    created = roster.add_delegate(session, inputs.delegate(_fields(inputs.DELEGATE_JSON)), _actor())
    return jsonify(serializers.delegate(created)), 201


@bp.post("/sessions/<ref>/delegates/import")
@role_required("staff")
@transactional
def import_delegates(ref: str):
    """Import the roster from a multipart upload (field ``file``), all or nothing."""
    session = load_session(ref)
    file = request.files.get("file")
    if file is None:
        raise InvalidInput(N_("请在表单字段 file 中上传 CSV 或 XLSX 文件。"))
    count = roster.import_delegates(
        session, file.read(), file.filename or "", _actor(),
        replace=request.form.get("replace") == "1", max_rows=current_app.config["MAX_IMPORT_ROWS"])
    return jsonify({"imported": count}), 201


@bp.post("/sessions/<ref>/delegates/<int:did>/leave")
@role_required("staff")
@transactional
def delegate_leave(ref: str, did: int):
    """Mark a delegate on leave (body: {"leave": true, "reason": "..."})."""
    session = load_session(ref)
    body = _body()
    delegate = roster.get_delegate(session, did)
    roster.set_leave(session, delegate, _boolean(body, "leave", True), _actor(),
                     _text(body, "reason"))
    return jsonify(serializers.delegate(delegate))

"""Kiosk pages: enrolment with a pairing code, the landing page, and the check-in kiosk."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_time

from ballot import unit_of_work
from ballot.domain import rules
from ballot.domain.errors import PairingCodeInvalid
from ballot.domain.states import State
from ballot.i18n import gettext
from ballot.services import checkin, kiosks, sessions
from ballot.web.kiosk_auth import (
    KIOSK_COOKIE,
    counting_failed_scans,
    keep_last_seen,
    kiosk_required,
    set_kiosk_cookie,
)

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk")

SCAN_MAX_CHARS = 400


@bp.route("")
def home():
    """Send an enrolled kiosk to the screen for its mode, anything else to enrolment."""
    kiosk = kiosks.authenticate(request.cookies.get(KIOSK_COOKIE))
    if kiosk is None:
        return redirect(url_for("kiosk.enrol"))
    keep_last_seen(kiosk)
    if kiosk.mode == "voting":
        if "voting.idle" in current_app.view_functions:
            return redirect(url_for("voting.idle"))
        return render_template("kiosk/message.html", kiosk=kiosk,
                               message=gettext("本机已登记为投票机，投票功能尚未启用。"))
    return redirect(url_for("kiosk.checkin_page"))


@bp.route("/enrol", methods=["GET", "POST"])
def enrol():
    """Pair this browser with a kiosk using the one-time code staff created."""
    error = None
    if request.method == "POST":
        code = request.form.get("code", "")[:40]
        try:
            _kiosk, credential = unit_of_work.run(lambda: kiosks.enrol(code))
        except PairingCodeInvalid as exc:
            error = exc.render(gettext)
        else:
            return set_kiosk_cookie(redirect(url_for("kiosk.home")), credential)
    current = kiosks.authenticate(request.cookies.get(KIOSK_COOKIE))
    return render_template("kiosk/enrol.html", error=error, current=current), 400 if error else 200


@bp.route("/checkin")
@kiosk_required("checkin")
def checkin_page():
    """The full-screen check-in kiosk: scanner input, camera, greeting."""
    strings = {
        "welcome": gettext("欢迎您，%(name)s 代表"),
        "seat": gettext("座位号：%(seat)s"),
        "checked_in": gettext("签到成功"),
        "already_title": gettext("已签到"),
        "already": gettext("您已于 %(time)s 签到，无需重复签到。"),
        "failed": gettext("签到未成功"),
        "offline": gettext("网络连接中断，签到未完成。请稍后再刷卡；如持续出现请联系工作人员。"),
        "camera_off": gettext("无法使用摄像头，请使用扫码器刷卡。"),
        "counts": gettext("实到 %(present)s / 应到 %(expected)s"),
        "not_open": gettext("签到尚未开始或已结束（会议状态：%(state)s）"),
        "late": gettext("投票已经开始：请现在前往投票机投票，投票结束前有效。"),
    }
    return render_template("kiosk/checkin.html", kiosk=g.kiosk, session=g.kiosk_session,
                           strings=strings)


@bp.route("/api/checkin/status")
@kiosk_required("checkin")
def checkin_status():
    """Whether check-in is open, and the live attendance, for the kiosk's header."""
    session = g.kiosk_session
    counts = sessions.counts(session)
    return jsonify({
        "state": session.state,
        "state_label": gettext(rules.STATE_LABELS.get(session.state, session.state)),
        "open": rules.checkin_open(session.state, session.late_checkin),
        "voting": session.state == State.VOTING,
        "expected": counts.expected,
        "present": counts.present,
    })


@bp.route("/api/checkin/scan", methods=["POST"])
@kiosk_required("checkin")
def checkin_scan():
    """Check in the delegate whose card text was scanned; errors answer JSON with a message."""
    body = request.get_json(silent=True)
    text = str(body.get("text") or "")[:SCAN_MAX_CHARS] if isinstance(body, dict) else ""
    kiosk, session = g.kiosk, g.kiosk_session
    result = counting_failed_scans(kiosk, lambda: checkin.scan(session, kiosk, text))
    delegate = result.delegate
    return jsonify({
        "status": "already" if result.already else "checked_in",
        "late": result.late,
        "name": delegate.name,
        "seat": delegate.seat,
        "delegation": delegate.delegation,
        "checked_in_at": result.checked_in_at.isoformat(),
        "time": format_time(result.checked_in_at, "HH:mm"),
    })

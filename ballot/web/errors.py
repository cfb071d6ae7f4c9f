"""Errors mapped once per surface: pages get a friendly page or a flash, the API gets JSON."""

from __future__ import annotations

import logging

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ballot import unit_of_work
from ballot.domain.errors import N_, BallotError, ImportRejected, NotReady, PasswordChangeRequired
from ballot.i18n import gettext
from ballot.web.guards import LoginRequired, login_redirect
from ballot.web.redirects import same_origin_path

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: N_("请求无效，请返回上一页重试。"),
    401: N_("请先登录。"),
    403: N_("您没有执行此操作的权限。"),
    404: N_("找不到所请求的页面。"),
    405: N_("不支持此请求方式。"),
    413: N_("上传的文件太大，请拆分后重试。"),
    429: N_("操作过于频繁，请稍后再试。"),
    503: N_("服务器正忙，操作未进行，请稍后重试。"),
}


def _wants_json() -> bool:
    # The API, the kiosks' calls, the *.json documents (board, result, live figures) and the live
    # streams (read by a script, which shows the connection lost rather than a login page).
    return request.path.startswith(("/api/", "/kiosk/api/")) \
        or request.path.endswith((".json", ".stream"))


def error_payload(error: BallotError) -> dict:
    """The JSON body for a domain error: code, message and any detail lists."""
    body = {"error": error.code, "message": error.render(gettext)}
    if isinstance(error, NotReady):
        body["problems"] = [{"code": p.code, "message": p.render(gettext)} for p in error.problems]
    if isinstance(error, ImportRejected):
        body["rows"] = [
            {"line": e.line, "column": e.column, "message": e.render(gettext)}
            for e in error.row_errors
        ]
    return body


def register(app: Flask) -> None:
    """Install the error handlers on ``app``."""

    @app.errorhandler(BallotError)
    def domain_error(error: BallotError):
        unit_of_work.discard()
        if _wants_json():
            return jsonify(error_payload(error)), error.status
        if isinstance(error, PasswordChangeRequired):
            flash(error.render(gettext), "error")
            return redirect(url_for("auth.change_password"))
        if isinstance(error, ImportRejected):
            return render_template("errors/import_rejected.html", error=error,
                                   message=error.render(gettext),
                                   rows=error_payload(error)["rows"],
                                   back=request.referrer), error.status
        if request.method == "POST" and request.referrer and error.status != 404:
            flash(error.render(gettext), "error")
            for detail in error_payload(error).get("problems", []):
                flash(detail["message"], "detail")
            return redirect(request.referrer)
        return render_template("errors/error.html", status=error.status,
                               message=error.render(gettext)), error.status

    @app.errorhandler(LoginRequired)
    def login_required(_error):
        if _wants_json():
            return jsonify({"error": "unauthorized", "message": gettext("请先登录。")}), 401
        return login_redirect()

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        message = gettext("页面已过期或请求来源无效，请刷新页面后重试。")
        if _wants_json():
            return jsonify({"error": "csrf", "message": message}), 400
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = gettext(HTTP_MESSAGES.get(error.code, N_("请求无法处理。")))
        if _wants_json():
            return jsonify({"error": error.name.lower().replace(" ", "_"), "message": message}), error.code
        return render_template("errors/error.html", status=error.code, message=message), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        unit_of_work.discard()
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = gettext("服务器内部错误，操作未完成，请重试；如仍失败请联系会务技术人员。")
        if _wants_json():
            return jsonify({"error": "internal", "message": message}), 500
        return render_template("errors/error.html", status=500, message=message), 500

    @app.context_processor
    def _login_url():
        return {"login_url": url_for("auth.login")}

    @app.route("/healthz")
    def healthz():
        return {"ok": True}

    @app.route("/lang/<code>")
    def set_language(code: str):
        from flask import session as cookie

        if code in app.config["LANGUAGES"]:
            cookie["lang"] = code
        return redirect(same_origin_path(request.args.get("next")) or "/")

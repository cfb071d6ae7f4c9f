"""Security headers on every response (a CSP with no inline script, no framing, no sniffing),
and requests whose body cannot be read or that carry NUL characters refused before any view
sees them."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ballot.domain.errors import N_, InvalidInput

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    # Inline style attributes are harmless next to a script-free policy; bars and gauges use them.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def _read_body() -> None:
    """Read the request body now, where a broken one can be answered plainly.

    A chunked body with a bad chunk size (``zz``) makes the server's reader raise its own
    error (werkzeug an OSError, gunicorn an InvalidChunkSize): from wherever the body is first
    read, that was a 500. The body is kept, so forms and JSON are parsed from this copy.
    """
    try:
        request.get_data(cache=True)
    except HTTPException:
        raise  # 413 over the size cap, 400 on a client that went away: already clear answers
    except Exception:  # noqa: BLE001 -- each WSGI server raises a class of its own
        raise InvalidInput(N_("请求内容不完整或格式错误，无法读取，请重新提交。")) from None


def _carries_nul() -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in value for value in request.args.values()):
        return True
    if any("\x00" in value for value in request.form.values()):
        return True
    return request.is_json and b"\\u0000" in request.get_data(cache=True)


def install(app: Flask) -> None:
    """Add the headers to every response of ``app``; refuse text fields holding NUL characters
    (no legitimate input has them, and PostgreSQL cannot store them)."""

    @app.before_request
    def _refuse_nul():
        _read_body()
        if _carries_nul():
            raise InvalidInput(N_("提交的内容含有空字符（NUL），请删除后重新提交。"))

    # Only a site served over HTTPS (secure cookies) may tell browsers to insist on HTTPS:
    # the hall laptop's plain-HTTP `ballot serve` must stay reachable.
    hsts = app.config.get("HSTS_SECONDS", 0) if app.config.get("SESSION_COOKIE_SECURE") else 0

    @app.after_request
    def _headers(response: Response) -> Response:
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # same-origin: error pages redirect back to the referring page, never leak it outside.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if request.path.startswith(("/kiosk", "/admin", "/api", "/chair", "/login")):
            response.headers["Cache-Control"] = "no-store"
        return response

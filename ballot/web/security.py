"""Security headers on every response (a CSP with no inline script, no framing, no sniffing),
and requests carrying NUL characters refused before any view sees them."""

from __future__ import annotations

from flask import Flask, Response, request

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
        if _carries_nul():
            raise InvalidInput(N_("提交的内容含有空字符（NUL），请删除后重新提交。"))

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # same-origin: error pages redirect back to the referring page, never leak it outside.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        if request.path.startswith(("/kiosk", "/admin", "/api", "/chair", "/login")):
            response.headers["Cache-Control"] = "no-store"
        return response

"""The kiosk guard: only a browser enrolled by staff (and not revoked) may use kiosk endpoints."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, jsonify, redirect, request, url_for
from sqlalchemy import update

from ballot.database import begin_write
from ballot.extensions import db
from ballot.i18n import gettext
from ballot.models import Kiosk
from ballot.services import kiosks

KIOSK_COOKIE = "ballot_kiosk"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30  # a month: kiosks are set up days before the session


def _refuse(error: str, message: str, status: int):
    if request.path.startswith("/kiosk/api/"):
        return jsonify({"error": error, "message": message}), status
    return redirect(url_for("kiosk.enrol"))


def kiosk_required(mode: str | None = None):
    """Allow only enrolled kiosks (of ``mode`` when given); sets ``g.kiosk`` and ``g.kiosk_session``.

    Unknown or revoked browsers get JSON 401 under /kiosk/api/ and the enrol page otherwise.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            kiosk = kiosks.authenticate(request.cookies.get(KIOSK_COOKIE))
            if kiosk is None:
                db.session.rollback()
                return _refuse("kiosk_unknown",
                               gettext("本设备未登记或已被停用，请联系工作人员重新配对。"), 401)
            keep_last_seen(kiosk)
            g.kiosk = kiosk
            g.kiosk_session = kiosk.session
            g.locale = kiosk.language
            if mode is not None and kiosk.mode != mode:
                if request.path.startswith("/kiosk/api/"):
                    return jsonify({"error": "kiosk_wrong_mode",
                                    "message": gettext("本设备的用途不是此项操作。")}), 403
                return redirect(url_for("kiosk.home"))
            return view(*args, **kwargs)

        return wrapped

    return decorator


def keep_last_seen(kiosk) -> None:
    """Commit a moved ``last_seen_at`` now, so the view rolling back its own work keeps it.

    The read that authenticated the kiosk is rolled back first and the write runs in a write
    transaction of its own (``begin_write``): SQLite refuses to turn a read transaction into a
    write once another process has committed in between ("database is locked").
    """
    if not db.session.dirty:
        return
    kiosk_id, seen = kiosk.id, kiosk.last_seen_at
    begin_write()
    db.session.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(last_seen_at=seen))
    db.session.commit()


def set_kiosk_cookie(response, credential: str):
    """Store the device credential in an HttpOnly cookie scoped to the kiosk pages."""
    response.set_cookie(
        KIOSK_COOKIE, credential, max_age=COOKIE_MAX_AGE, path="/kiosk", httponly=True,
        samesite="Strict", secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response

"""The kiosk guard: only a browser enrolled by staff (and not revoked) may use kiosk endpoints.

Also the kiosks' two side writes (the last-seen time, failed scans): short transactions of their
own (``unit_of_work.side_write``), kept whatever becomes of the request's own unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import TypeVar

from flask import current_app, g, jsonify, redirect, request, url_for

from ballot import unit_of_work
from ballot.domain.errors import CardOfOtherSession, CardReplaced, UnknownCard
from ballot.i18n import gettext
from ballot.models import Kiosk, utcnow
from ballot.services import kiosks

T = TypeVar("T")

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


def keep_last_seen(kiosk: Kiosk, now: datetime | None = None) -> None:
    """Store a kiosk's new last-seen time now (at most once a SEEN_INTERVAL), in a short write
    transaction of its own: it stays when the request's own work is rolled back, and on SQLite
    a write inside the read transaction that authenticated the kiosk could fail with "database
    is locked" once another process committed in between."""
    now = now or utcnow()
    if kiosks.seen_is_stale(kiosk, now):
        kiosk_id = kiosk.id
        unit_of_work.side_write(lambda: kiosks.note_seen(kiosk_id, now))


def counting_failed_scans(kiosk: Kiosk, work: Callable[[], T]) -> T:
    """Run ``work`` for a scanned card as one unit of work, counting an unrecognised card
    against the kiosk's limit in a short transaction of its own (the unit was rolled back)."""
    kiosks.check_scan_allowed(kiosk)
    try:
        return unit_of_work.run(work)
    except (UnknownCard, CardOfOtherSession, CardReplaced):
        unit_of_work.side_write(lambda: kiosks.note_failed_scan(kiosk))
        raise


def set_kiosk_cookie(response, credential: str):
    """Store the device credential in an HttpOnly cookie scoped to the kiosk pages."""
    response.set_cookie(
        KIOSK_COOKIE, credential, max_age=COOKIE_MAX_AGE, path="/kiosk", httponly=True,
        samesite="Strict", secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response

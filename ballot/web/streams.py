"""Server-sent event responses for screens that follow a session live (chair screens, idle
voting kiosks), fed by this process's ``LiveFeed``.

A stream holds its connection open, so it is offered only where an open connection is cheap:
under gevent workers (``gunicorn -k gevent``, a greenlet each) and the one-machine ``ballot
serve`` (a thread each). ``BALLOT_LIVE_STREAM`` = ``1`` / ``0`` forces it on or off; the default
``auto`` asks whether gevent patched this process. Where streams are off, the pages poll.
"""

from __future__ import annotations

import functools
import random
import sys
from collections.abc import Callable

from flask import Flask, Response, current_app

from ballot.database import read_without_transaction
from ballot.services import live
from ballot.services.live_feed import Figures, LiveFeed, event_stream

EXTENSION = "ballot_live_feed"


def enabled() -> bool:
    """Whether this server offers live streams (see the module docstring)."""
    setting = str(current_app.config.get("LIVE_STREAM", "auto")).lower()
    if setting in ("1", "true", "on"):
        return True
    if setting in ("0", "false", "off"):
        return False
    return _under_gevent()


@functools.cache
def _under_gevent() -> bool:
    # Asked once per process: gunicorn's gevent worker patches before it loads the app.
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("socket"))


def feed() -> LiveFeed:
    """This app's feed, made on first use."""
    app = current_app._get_current_object()
    existing = app.extensions.get(EXTENSION)
    if existing is None:
        existing = app.extensions[EXTENSION] = LiveFeed(_reader(app),
                                                        app.config.get("LIVE_PERIOD", 1.0))
    return existing


def _reader(app: Flask):
    def read(ids: list[int]) -> dict[int, Figures]:
        with app.app_context():
            read_without_transaction()
            return live.figures_of_sessions(ids)

    return read


def response(session_id: int, read: Callable[[], Figures],
             shown: Callable[[Figures], dict] = lambda figures: figures) -> Response:
    """The stream of ``shown(figures)`` for the session, or 204 (the browser's EventSource stops
    and the page polls instead) where this server offers no streams. The first figures are the
    feed's, where a stream of this process follows the session already, or ``read()``."""
    if not enabled():
        return Response(status=204)
    first = feed().latest(session_id) or read()
    # The body is read after the request ends, so the request's database session (and its
    # connection) is already given back while the stream waits.
    # Each stream ends after a while (the browser reconnects and is authenticated again); the
    # lifetimes are spread so a hall's screens, all opened at once, do not all come back at once.
    lifetime = current_app.config.get("LIVE_STREAM_SECONDS", 300.0) * random.uniform(0.75, 1.0)
    stream = event_stream(feed(), session_id, first, shown, lifetime=lifetime)
    return Response(stream, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

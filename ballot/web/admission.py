"""Admission: at most as many requests of a server process work at once as it has database
connections; the others wait their turn.

Sync and threaded workers bound this themselves (one request per process or per thread). A gevent
worker takes every connection it is offered, so when the machine is behind, hundreds of requests
would start at once and fail on the connection pool's time-out. Here they wait, in order, up to
``REQUEST_WAIT_SECONDS``, then get a clear "busy, try again" (503) and no half-done work. Live
streams leave their slot once their request part is over.
"""

from __future__ import annotations

import threading

from flask import Flask, abort, current_app, g

EXTENSION = "ballot_admission"


def install(app: Flask) -> None:
    """Admit ``app``'s requests through a per-process gate of ``DB_POOL_SIZE`` slots."""
    app.extensions[EXTENSION] = threading.BoundedSemaphore(app.config["DB_POOL_SIZE"])
    app.before_request_funcs.setdefault(None, []).insert(0, _enter)
    app.teardown_request(_leave)


def _enter() -> None:
    gate = current_app.extensions[EXTENSION]
    if not gate.acquire(timeout=current_app.config.get("REQUEST_WAIT_SECONDS", 60.0)):
        abort(503)
    g.ballot_admitted = True


def _leave(_error) -> None:
    if g.pop("ballot_admitted", False):
        current_app.extensions[EXTENSION].release()

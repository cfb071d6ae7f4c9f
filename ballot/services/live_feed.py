"""Live figures pushed to screens that stay connected (server-sent events), one read per second.

A screen that polls costs the server a whole request every 1.5 s; a province's 800 chair screens
and 2,400 kiosks polling on the same morning cost it more than the ballots do. A ``LiveFeed``
lives in each server process instead: it reads the figures of every session one of its screens
follows in one statement per ``period`` and wakes only the screens whose session changed. The
feed knows nothing of Flask or the database: it is given the function that reads the figures.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

Figures = dict
RECONNECT = "reconnect"  # the event that ends a stream on purpose
Reader = Callable[[list[int]], dict[int, Figures]]


class Channel:
    """The latest figures of one session, and the screens waiting for them to change."""

    def __init__(self, figures: Figures):
        self.figures = figures
        self.version = 0
        self.followers = 0
        self._changed = threading.Condition()

    def publish(self, figures: Figures) -> None:
        """Store ``figures``; wake the followers if they differ from the last ones."""
        with self._changed:
            if figures == self.figures:
                return
            self.figures = figures
            self.version += 1
            self._changed.notify_all()

    def snapshot(self) -> tuple[int, Figures]:
        """The (version, figures) now."""
        with self._changed:
            return self.version, self.figures

    def wait(self, version: int, timeout: float) -> tuple[int, Figures] | None:
        """The (version, figures) after ``version``, or None if nothing changed in ``timeout``."""
        with self._changed:
            if self.version == version:
                self._changed.wait(timeout)
            if self.version == version:
                return None
            return self.version, self.figures


class LiveFeed:
    """One per server process: follows the sessions its open streams show."""

    def __init__(self, read: Reader, period: float = 1.0):
        self._read = read
        self.period = period
        self._lock = threading.Lock()
        self._channels: dict[int, Channel] = {}
        self._reader: threading.Thread | None = None

    @contextmanager
    def follow(self, session_id: int, figures: Figures) -> Iterator[Channel]:
        """The session's channel while the block runs; ``figures``: as just read by the caller."""
        with self._lock:
            channel = self._channels.get(session_id)
            if channel is None:
                channel = self._channels[session_id] = Channel(figures)
            channel.followers += 1
            if self._reader is None:
                self._reader = threading.Thread(target=self._run, name="live-feed", daemon=True)
                self._reader.start()
        try:
            yield channel
        finally:
            with self._lock:
                channel.followers -= 1
                if channel.followers == 0:
                    del self._channels[session_id]

    def latest(self, session_id: int) -> Figures | None:
        """The session's figures as last read (at most a period old), if a stream follows it."""
        with self._lock:
            channel = self._channels.get(session_id)
            return None if channel is None else channel.figures

    def followed(self) -> list[int]:
        """The sessions some stream of this process follows now."""
        with self._lock:
            return list(self._channels)

    def refresh(self) -> None:
        """Read every followed session's figures once and publish them."""
        ids = self.followed()
        if not ids:
            return
        fresh = self._read(ids)
        with self._lock:
            channels = [(self._channels.get(i), figures) for i, figures in fresh.items()]
        for channel, figures in channels:
            if channel is not None:
                channel.publish(figures)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._channels:
                    self._reader = None
                    return
            started = time.monotonic()
            try:
                self.refresh()
            except Exception:  # a database hiccup: the screens keep their figures, retry later
                log.exception("live feed: reading the figures failed")
            time.sleep(max(0.0, self.period - (time.monotonic() - started)))


def event_stream(feed: LiveFeed, session_id: int, first: Figures,
                 shown: Callable[[Figures], dict] = lambda figures: figures,
                 lifetime: float = 300.0, heartbeat: float = 15.0) -> Iterator[str]:
    """Server-sent events: ``shown(figures)`` now, then each time it changes, for ``lifetime``
    seconds; a comment every ``heartbeat`` seconds of quiet, so a screen that went away is
    noticed. The stream ends with a ``reconnect`` event: the page opens a new one at once (and is
    authenticated again), rather than after the ``retry`` pause a lost connection waits."""
    last = shown(first)
    yield f"retry: 2000\ndata: {_json(last)}\n\n"
    with feed.follow(session_id, first) as channel:
        # Start from what the channel holds now, not from ``first``: where another screen of
        # this process follows the session already, the feed may have read a change (voting
        # opened) after ``first`` was read and before this stream began; waiting only for the
        # change after that one lost it, and an idle kiosk never saw voting open.
        change: tuple[int, Figures] | None = channel.snapshot()
        end = time.monotonic() + lifetime
        while True:
            if change is not None:
                version, figures = change
                view = shown(figures)
                if view != last:
                    last = view
                    yield f"data: {_json(last)}\n\n"
            if (left := end - time.monotonic()) <= 0:
                break
            change = channel.wait(version, min(heartbeat, left))
            if change is None:
                yield ": \n\n"
    yield f"event: {RECONNECT}\ndata: {{}}\n\n"


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

"""The load generator: asyncio kiosks doing the real HTTP flow, and chair screens following.

A kiosk does what kiosk-vote.js does for each delegate: load the idle page (the page reloads
itself after every receipt) and read its CSRF token, POST the scanned card to /issue, POST the
choices to /cast. A chair screen loads /chair/<ref> once. Then, as the pages do: where the
server offers live streams, each page holds its stream open (a kiosk, a round being open, opens
its stream a minute after each page load) and the chair's figures arrive as events; otherwise an
idle kiosk asks /kiosk/api/vote/status every 15 s (a round is open) and the chair GETs
live.json and waits 1.5 s after each answer. Every request and every loop is bounded in time.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import time
from dataclasses import dataclass, field

import aiohttp

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
CHAIR_PERIOD = 1.5  # chair.js PERIOD
STATUS_PERIOD = 15.0  # kiosk-vote.js OPEN_PERIOD_MS: an idle kiosk while a round is open
STATUS_STREAM_DELAY = 60.0  # kiosk-vote.js OPEN_STREAM_DELAY_MS
REQUEST_TIMEOUT = 30.0
STREAM_READ_TIMEOUT = 60.0  # the server sends a comment every 15 s of quiet
CAST_ATTEMPTS = 3  # the page's retry button after an unknown outcome


@dataclass
class Stats:
    """Latencies and failures of one run."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    receipts: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    chair_views: dict[str, list[tuple[float, int, int]]] = field(default_factory=dict)
    last_failure: object = None

    def record(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def choices_for(rng: random.Random, codes: list[str], quota: int) -> dict[str, str]:
    """A valid 差额 ballot whose approvals fall off with the ballot position, so counts never tie
    at the cutoff (the 3,000-delegate session is published and exported afterwards)."""
    choices = {}
    approvals = 0
    for i, code in enumerate(codes):
        if approvals < quota and rng.random() < 0.95 - 0.07 * i:
            choices[code] = "for"
            approvals += 1
        else:
            choices[code] = rng.choice(("against", "abstain"))
    return choices


class Client:
    """One aiohttp session shared by every simulated device; cookies are kept per device."""

    def __init__(self, base_url: str, stats: Stats, connections: int):
        self.base = base_url
        self.stats = stats
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, ttl_dns_cache=None),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        # Streams hold their connections open: a pool of their own, without a limit.
        self.streams = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=None),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=REQUEST_TIMEOUT,
                                          sock_read=STREAM_READ_TIMEOUT))

    async def close(self) -> None:
        await self.http.close()
        await self.streams.close()

    async def follow(self, kind: str, path: str, cookies: dict[str, str], on_event) -> None:
        """Hold the server-sent event stream at ``path`` open as a page's EventSource does,
        calling ``on_event(data)`` for each event and reconnecting when the server ends it,
        until cancelled. The time to the response's headers is recorded as ``kind``."""
        headers = {"Accept": "text/event-stream"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        while True:
            start = time.perf_counter()
            try:
                async with self.streams.get(self.base + path, headers=headers) as response:
                    self.stats.record(kind, time.perf_counter() - start)
                    if response.status != 200:
                        self.stats.error(f"{kind} {response.status}")
                        return
                    event, planned = "message", False
                    async for line in response.content:
                        if line.startswith(b"event: "):
                            event = line[7:].strip().decode()
                        elif line.startswith(b"data: ") and event == "message":
                            on_event(json.loads(line[6:]))
                        elif line.startswith(b"data: ") and event == "reconnect":
                            planned = True  # the server ends the stream: follow again at once
                        elif not line.strip():
                            event = "message"
                    if planned:
                        continue
            except (TimeoutError, aiohttp.ClientError, ValueError):
                self.stats.error(f"{kind} 0")
            await asyncio.sleep(2.0)  # the stream's "retry: 2000"

    async def request(self, kind: str, method: str, path: str, cookies: dict[str, str],
                      **kwargs) -> tuple[int, object]:
        """One timed request; returns (status, parsed body), status 0 on a transport failure."""
        headers = kwargs.pop("headers", {})
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        start = time.perf_counter()
        try:
            async with self.http.request(method, self.base + path, headers=headers,
                                         **kwargs) as response:
                if response.content_type == "application/json":
                    body = await response.json()
                else:
                    body = await response.text()
                for name, morsel in response.cookies.items():
                    cookies[name] = morsel.value
                status = response.status
        except (TimeoutError, aiohttp.ClientError, ValueError):
            status, body = 0, None
        self.stats.record(kind, time.perf_counter() - start)
        if status != 200:
            self.stats.error(f"{kind} {status}")
            self.stats.last_failure = body if isinstance(body, (dict, str)) else None
        return status, body


async def kiosk(client: Client, slug: str, credential: str, queue: list[tuple[float, str]],
                start: float, rng: random.Random, streams: bool = False,
                opened_at: float | None = None) -> None:
    """Serve ``queue`` of (arrival offset, card text) in order, as one voting kiosk; between
    delegates (until its last one) the idle page follows the round's status: its stream (opened
    at ``opened_at``, then with every page load) or a request every STATUS_PERIOD seconds."""
    cookies = {"ballot_kiosk": credential}
    next_poll = start + rng.uniform(0, STATUS_PERIOD)
    status_stream = None

    def open_stream():
        nonlocal status_stream
        if status_stream is not None:
            status_stream.cancel()  # the page is reloaded: its EventSource goes
        status_stream = asyncio.create_task(follow_later())

    async def follow_later():
        # kiosk-vote.js: with a round open, the page follows it from a minute after loading.
        await asyncio.sleep(STATUS_STREAM_DELAY)
        await client.follow("status_stream", "/kiosk/api/vote/status.stream", cookies,
                            lambda _data: None)

    if streams:
        await asyncio.sleep(max(0.0, (opened_at or start) - time.perf_counter()))
        open_stream()
        next_poll = math.inf
    try:
        await _serve_queue(client, slug, cookies, queue, start, rng, next_poll,
                           open_stream if streams else None)
    finally:
        if status_stream is not None:
            status_stream.cancel()


async def _serve_queue(client: Client, slug: str, cookies: dict[str, str],
                       queue: list[tuple[float, str]], start: float, rng: random.Random,
                       next_poll: float, open_stream) -> None:
    stats = client.stats
    for arrival, card in queue:
        while True:
            now = time.perf_counter()
            if start + arrival <= now:
                break
            if next_poll <= now:
                await client.request("status", "GET", "/kiosk/api/vote/status", cookies)
                next_poll = time.perf_counter() + STATUS_PERIOD
                continue
            await asyncio.sleep(min(start + arrival, next_poll) - now)
        status, page = await client.request("page", "GET", "/kiosk/vote/", cookies)
        if open_stream is not None:
            open_stream()
        match = CSRF_RE.search(page) if status == 200 and isinstance(page, str) else None
        if match is None:
            stats.error("flow")
            continue
        headers = {"X-CSRFToken": match.group(1)}
        status, issued = await client.request("issue", "POST", "/kiosk/api/vote/issue", cookies,
                                              json={"card": card}, headers=dict(headers))
        if status != 200:
            stats.error("flow")
            continue
        ballot = issued["ballot"]
        choices = choices_for(rng, [c["code"] for c in ballot["candidates"]], ballot["quota"])
        for _attempt in range(CAST_ATTEMPTS):
            status, receipt = await client.request(
                "cast", "POST", "/kiosk/api/vote/cast", cookies,
                json={"token": issued["token"], "choices": choices}, headers=dict(headers))
            if status == 200 or 400 <= status < 500:
                break
        if status == 200:
            stats.receipts.setdefault(slug, []).append(
                (time.perf_counter(), receipt["tracking_code"]))
        else:
            stats.error("flow")
        if open_stream is None:
            next_poll = time.perf_counter() + STATUS_PERIOD  # the page reloads: a fresh timer


async def chair(client: Client, slug: str, cookie: str, until: asyncio.Event,
                expected: dict[str, int], grace: float, streams: bool = False,
                opened_at: float = 0.0) -> None:
    """Load the chair screen at ``opened_at``, then follow its figures (stream, or live.json
    every 1.5 s) until told to stop."""
    cookies = {"session": cookie}
    stats = client.stats
    views = stats.chair_views.setdefault(slug, [])
    await asyncio.sleep(max(0.0, opened_at - time.perf_counter()))
    await client.request("chair_page", "GET", f"/chair/{slug}", cookies)
    if streams:
        def shown(live: dict) -> None:
            views.append((time.perf_counter(), live["issued"], live["returned"]))

        stream = asyncio.create_task(client.follow("chair_stream", f"/chair/{slug}/live.stream",
                                                   cookies, shown))
        try:
            await until.wait()
            stop_at = time.perf_counter() + grace
            while time.perf_counter() < stop_at and not (
                    views and views[-1][2] >= expected.get(slug, 0)):
                await asyncio.sleep(0.1)
        finally:
            stream.cancel()
        return
    stop_at = None
    while True:
        status, live = await client.request("chair_live", "GET", f"/chair/{slug}/live.json",
                                            cookies, headers={"Accept": "application/json"})
        if status == 200:
            views.append((time.perf_counter(), live["issued"], live["returned"]))
        if until.is_set():
            # After the last ballot: keep polling until the screen has caught up (bounded).
            stop_at = stop_at or time.perf_counter() + grace
            caught_up = views and views[-1][2] >= expected.get(slug, 0)
            if caught_up or time.perf_counter() >= stop_at:
                return
        await asyncio.sleep(CHAIR_PERIOD)


def staleness(stats: Stats) -> list[float]:
    """For each acknowledged ballot, how long until a chair screen showed a count including it.

    Ballots of a session are taken in the order their receipts arrived; the k-th is on the
    screen once a live.json answer reports returned >= k. A ballot never shown counts up to
    the last poll (and is flagged by the caller through the final count check).
    """
    delays = []
    for slug, receipts in stats.receipts.items():
        views = stats.chair_views.get(slug, [])
        acked = sorted(t for t, _code in receipts)
        v = 0
        for k, acked_at in enumerate(acked, start=1):
            while v < len(views) and views[v][2] < k:
                v += 1
            if v == len(views):
                delays.append(float("inf"))
                continue
            delays.append(max(0.0, views[v][0] - acked_at))
    return delays


async def run_sessions(base_url: str, sessions: list, kiosks_per_session: int, window: float,
                       deadline: float, seed: int, connections: int,
                       with_chairs: bool = True, streams: bool = False,
                       warm_up: float = 0.0, on_start=None) -> tuple[Stats, float]:
    """Drive ``sessions`` (bench.seed.Seeded, their chairs logged in: ``.chair_cookie``).

    window == 0: closed loop, every kiosk as fast as it can. window > 0: each delegate arrives
    at a uniformly random moment of the window and queues at the next free kiosk of the hall.
    ``streams``: the server offers live streams, and the pages follow them. ``warm_up``: the
    screens are switched on at random moments of that many seconds before the window opens
    (a hall's screens are on before voting starts). Returns the stats and the wall time from
    the window's start to the last receipt; ``on_start()`` is called as the window opens.
    """
    stats = Stats()
    client = Client(base_url, stats, connections)
    rng = random.Random(seed)
    done = asyncio.Event()
    expected: dict[str, int] = {}
    tasks = []
    try:
        switched_on = time.perf_counter() + 0.2
        start = switched_on + warm_up
        for session in sessions:
            arrivals = sorted((rng.uniform(0, window) if window else 0.0, card)
                              for card in session.cards)
            queues: list[list] = [[] for _ in range(kiosks_per_session)]
            for i, item in enumerate(arrivals):
                queues[i % kiosks_per_session].append(item)
            for credential, queue in zip(session.kiosk_credentials, queues, strict=True):
                tasks.append(asyncio.create_task(kiosk(
                    client, session.slug, credential, queue, start,
                    random.Random(rng.random()), streams,
                    switched_on + rng.uniform(0, warm_up))))
        chairs = [asyncio.create_task(chair(client, s.slug, s.chair_cookie, done, expected,
                                            grace=5.0, streams=streams,
                                            opened_at=switched_on + rng.uniform(0, warm_up)))
                  for s in sessions] if with_chairs else []
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        if on_start is not None:
            on_start()
        finished, pending = await asyncio.wait(tasks, timeout=deadline)
        for task in pending:
            task.cancel()
            stats.error("deadline")
        for task in finished:
            if task.exception() is not None:
                stats.error("crash")
        last = max((t for r in stats.receipts.values() for t, _ in r), default=start)
        wall = max(last - start, 1e-9)
        for session in sessions:
            expected[session.slug] = len(stats.receipts.get(session.slug, []))
        done.set()
        if chairs:
            await asyncio.wait(chairs, timeout=30)
            for task in chairs:
                task.cancel()
        return stats, wall
    finally:
        await client.close()


async def hammer(base_url: str, path: str, concurrency: int, seconds: float,
                 requests: list[tuple[str, dict, dict]] | None = None,
                 kind: str = "trivial") -> Stats:
    """Closed-loop GETs by ``concurrency`` clients for ``seconds``: the ceiling (``path``), or a
    poll's cost: client i repeats ``requests[i % len(requests)]`` = (path, cookies, headers)."""
    stats = Stats()
    client = Client(base_url, stats, concurrency)
    end = time.perf_counter() + seconds
    requests = requests or [(path, {}, {})]

    async def loop(i: int):
        target, cookies, headers = requests[i % len(requests)]
        while time.perf_counter() < end:
            await client.request(kind, "GET", target, dict(cookies), headers=dict(headers))

    try:
        await asyncio.wait_for(asyncio.gather(*(loop(i) for i in range(concurrency))),
                               seconds + REQUEST_TIMEOUT + 5)
    finally:
        await client.close()
    return stats

"""The load generator: asyncio kiosks doing the real HTTP flow, and chair screens polling.

A kiosk does what kiosk-vote.js does for each delegate: load the idle page (the page reloads
itself after every receipt) and read its CSRF token, POST the scanned card to /issue, POST the
choices to /cast; while idle it asks /kiosk/api/vote/status every 15 s (a round is open). A chair
screen loads /chair/<ref> once, then GETs live.json and waits 1.5 s after each answer, as
chair.js does. Every request and every loop is bounded in time.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field

import aiohttp

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
CHAIR_PERIOD = 1.5  # chair.js PERIOD
STATUS_PERIOD = 15.0  # kiosk-vote.js OPEN_PERIOD_MS: an idle kiosk while a round is open
REQUEST_TIMEOUT = 30.0
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

    async def close(self) -> None:
        await self.http.close()

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
                start: float, rng: random.Random) -> None:
    """Serve ``queue`` of (arrival offset, card text) in order, as one voting kiosk; between
    delegates (until its last one) the idle page asks for the round's status every STATUS_PERIOD
    seconds."""
    cookies = {"ballot_kiosk": credential}
    stats = client.stats
    next_poll = start + rng.uniform(0, STATUS_PERIOD)
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
        next_poll = time.perf_counter() + STATUS_PERIOD  # the page reloads: a fresh timer


async def chair(client: Client, slug: str, cookie: str, until: asyncio.Event,
                expected: dict[str, int], grace: float) -> None:
    """Load the chair screen, then poll live.json every 1.5 s until told to stop."""
    cookies = {"session": cookie}
    stats = client.stats
    views = stats.chair_views.setdefault(slug, [])
    await client.request("chair_page", "GET", f"/chair/{slug}", cookies)
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
                       with_chairs: bool = True) -> tuple[Stats, float]:
    """Drive ``sessions`` (bench.seed.Seeded, their chairs logged in: ``.chair_cookie``).

    window == 0: closed loop, every kiosk as fast as it can. window > 0: each delegate arrives
    at a uniformly random moment of the window and queues at the next free kiosk of the hall.
    Returns the stats and the wall time from the first request to the last receipt.
    """
    stats = Stats()
    client = Client(base_url, stats, connections)
    rng = random.Random(seed)
    done = asyncio.Event()
    expected: dict[str, int] = {}
    tasks = []
    try:
        start = time.perf_counter() + 0.2
        for session in sessions:
            arrivals = sorted((rng.uniform(0, window) if window else 0.0, card)
                              for card in session.cards)
            queues: list[list] = [[] for _ in range(kiosks_per_session)]
            for i, item in enumerate(arrivals):
                queues[i % kiosks_per_session].append(item)
            for credential, queue in zip(session.kiosk_credentials, queues, strict=True):
                tasks.append(asyncio.create_task(kiosk(
                    client, session.slug, credential, queue, start,
                    random.Random(rng.random()))))
        chairs = [asyncio.create_task(chair(client, s.slug, s.chair_cookie, done, expected,
                                            grace=5.0))
                  for s in sessions] if with_chairs else []
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

"""``make bench``: the service under load on SQLite and PostgreSQL, with its ceilings.

    .venv/bin/python -m bench.run [--quick] [--db sqlite --db postgres] [--only PART ...]

Writes bench/results/latest.json and latest.md (see bench/README.md for what each figure means).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import click
import flask
from sqlalchemy import func, select

from ballot.app import create_app
from ballot.extensions import db
from ballot.models import BallotIssue, BallotToken, BoardEntry, User
from ballot.web.guards import login_user
from bench import ceilings, load, offline, report
from bench.seed import seed_sessions
from bench.server import Server, WorkerConfig, environment, machine_cpu, postgres_cpu

PARTS = ("workers", "sessions", "offline", "province")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/ballot_bench"
RESULTS = Path(__file__).resolve().parent / "results"
TRIVIAL_PATH = "/healthz"


@dataclass
class Plan:
    """What one run measures; the defaults are the full ``make bench``."""

    dbs: tuple[str, ...] = ("sqlite", "postgres")
    parts: tuple[str, ...] = PARTS
    sessions: tuple[tuple[int, int], ...] = ((60, 8), (400, 32), (3000, 64))
    candidates: tuple[WorkerConfig, ...] = (
        WorkerConfig("sync", 2), WorkerConfig("sync", 4), WorkerConfig("gthread", 2, 4),
        WorkerConfig("gthread", 4, 4), WorkerConfig("gevent", 2))
    selection: tuple[int, int] = (200, 16)
    fixed_workers: WorkerConfig | None = None
    trivial_seconds: float = 5.0
    crypto_seconds: float = 1.0
    insert_seconds: float = 3.0
    # Encrypting and verifying a ballot costs milliseconds: 10,000 keeps this part to minutes.
    synthetic_entries: int = 10_000
    province_sessions: int = 800
    province_delegates: int = 60
    province_kiosks: int = 3
    province_window: float = 600.0
    province_db: str = "postgres"
    province_overrun: float = 60.0
    # Screens hold their live streams open: the province runs on gevent workers (PostgreSQL).
    province_workers: WorkerConfig = WorkerConfig("gevent", 2)
    province_warm_up: float = 30.0
    connections: int = 1000
    seed: int = 2027
    pg_url: str = DEFAULT_PG
    notes: list[str] = field(default_factory=list)


QUICK = dict(sessions=((60, 8), (400, 32)), candidates=(WorkerConfig("sync", 3),
             WorkerConfig("gthread", 2, 4), WorkerConfig("gevent", 2)), selection=(200, 16),
             trivial_seconds=2.0, insert_seconds=1.0, crypto_seconds=0.5,
             synthetic_entries=5000, province_sessions=40, province_window=30.0,
             province_warm_up=5.0)


# --- databases --------------------------------------------------------------------------------


def ensure_pg_database(url: str) -> None:
    """Create the benchmark database if missing (trust auth on 127.0.0.1)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                    (name,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


class Database:
    """A fresh benchmark database, the production environment for it, and a seeding app."""

    def __init__(self, kind: str, plan: Plan, workdir: Path):
        self.kind = kind
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.sqlite'}"
        else:
            ensure_pg_database(plan.pg_url)
            self.url = plan.pg_url
        secret, key_secret = secrets.token_urlsafe(36), secrets.token_urlsafe(36)
        self.env = environment(self.url, secret, key_secret)
        self.app = create_app({"CONFIG_NAME": "default", "SQLALCHEMY_DATABASE_URI": self.url,
                               "SECRET_KEY": secret, "KEY_ENCRYPTION_SECRET": key_secret})
        with self.app.app_context():
            db.drop_all()
            db.create_all()
        self.workdir = workdir
        self._serializer = self.app.session_interface.get_signing_serializer(self.app)

    def seed(self, prefix: str, count: int, delegates: int, kiosks: int) -> list:
        """Seed sessions and log each one's chair in (the app's own login, minus the password
        check), keeping the signed session cookie its browser would hold."""
        seeded = seed_sessions(self.app, prefix, count, delegates, kiosks)
        with self.app.test_request_context():
            for item in seeded:
                login_user(db.session.get(User, item.chair_user_id))
                item.chair_cookie = self._serializer.dumps(dict(flask.session))
            db.session.commit()
        self.settle()
        return seeded

    def settle(self) -> None:
        """On PostgreSQL, VACUUM ANALYZE after a bulk seeding (never timed): a real database's
        autovacuum has done that long before its session day, and would otherwise do it during
        the measured window, against the seeding's (and earlier parts') rows."""
        if self.kind != "postgres":
            return
        with self.app.app_context(), db.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")

    def server(self, config: WorkerConfig) -> Server:
        return Server(config, self.env, self.workdir / f"gunicorn-{self.kind}.log")

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- measuring a load phase -------------------------------------------------------------------


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50 / p95 / p99 / max in milliseconds (nearest rank)."""
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 1)

    return {"p50_ms": rank(0.50), "p95_ms": rank(0.95), "p99_ms": rank(0.99),
            "max_ms": round(1000 * ordered[-1], 1)}


class CpuMeter:
    """CPU used by the load generator, the server, PostgreSQL and the machine over a phase."""

    def __init__(self, server: Server, database: Database):
        self.server = server
        self.pg_name = database.url.rsplit("/", 1)[1] if database.kind == "postgres" else None
        self.start = self._sample()

    def _sample(self) -> tuple[float, ...]:
        busy, _total = machine_cpu()
        return (time.perf_counter(), time.process_time(), self.server.cpu_seconds(),
                postgres_cpu(self.pg_name) if self.pg_name else 0.0, busy)

    def cores(self) -> dict[str, float]:
        """Average cores used by each party (2.0 = both cores all the time)."""
        end = self._sample()
        wall = end[0] - self.start[0]
        names = ("generator", "server", "postgres", "machine")
        self.seconds = {name: end[i] - self.start[i] for i, name in enumerate(names, start=1)}
        cores = {name: round(used / wall, 2) for name, used in self.seconds.items()}
        # Whatever else ran on the machine meanwhile (other users, the kernel, the seeding app).
        cores["other"] = round(max(0.0, cores["machine"] - cores["generator"] - cores["server"]
                                   - cores["postgres"]), 2)
        return cores


def _board_check(database: Database, sessions: list, stats: load.Stats) -> dict[str, int]:
    """Compare the receipts the kiosks got with what the database holds, session by session.

    A double count is a board entry the issue and token records cannot account for (more
    entries than ballots issued or tokens used) or one tracking code handed to two kiosks.
    An entry whose kiosk gave up waiting for the receipt (a timeout) is "unacknowledged": it
    was counted once, but the delegate never saw the receipt.
    """
    ids = [s.session_id for s in sessions]
    with database.app.app_context():
        entries: dict[int, set[str]] = {}
        on_board: dict[int, int] = {}
        for session_id, entry_hash in db.session.execute(
                select(BoardEntry.session_id, BoardEntry.entry_hash)
                .where(BoardEntry.session_id.in_(ids))):
            entries.setdefault(session_id, set()).add(entry_hash[:12])
            on_board[session_id] = on_board.get(session_id, 0) + 1
        issued = dict(db.session.execute(
            select(BallotIssue.session_id, func.count()).where(BallotIssue.session_id.in_(ids))
            .group_by(BallotIssue.session_id)).all())
        used = dict(db.session.execute(
            select(BallotToken.session_id, func.count())
            .where(BallotToken.session_id.in_(ids), BallotToken.state == "used")
            .group_by(BallotToken.session_id)).all())
        db.session.rollback()
    totals = {"double_counts": 0, "lost": 0, "unacknowledged": 0, "board_entries": 0,
              "issued": 0}
    for session in sessions:
        codes = [code.replace("-", "").lower()
                 for _t, code in stats.receipts.get(session.slug, [])]
        count = on_board.get(session.session_id, 0)
        totals["double_counts"] += (len(codes) - len(set(codes))
                                    + max(0, count - issued.get(session.session_id, 0))
                                    + max(0, count - used.get(session.session_id, 0)))
        totals["lost"] += len(set(codes) - entries.get(session.session_id, set()))
        totals["unacknowledged"] += max(0, count - len(set(codes)))
        totals["board_entries"] += count
        totals["issued"] += issued.get(session.session_id, 0)
    return totals


def drive(database: Database, server: Server, plan: Plan, name: str, sessions: list,
          kiosks: int, window: float, deadline: float, warm_up: float = 0.0) -> dict:
    """Run one load scenario against ``server`` and summarise it (CPU counted from the window's
    start: the screens switched on during ``warm_up`` are not part of it)."""
    meters: list[CpuMeter] = []

    def window_opens() -> None:
        meters.append(CpuMeter(server, database))

    stats, wall = asyncio.run(load.run_sessions(
        server.url, sessions, kiosks, window, deadline, plan.seed, plan.connections,
        streams=server.config.streams, warm_up=warm_up, on_start=window_opens))
    meter = meters[0]
    cpu = meter.cores()
    check = _board_check(database, sessions, stats)
    cast = sum(len(r) for r in stats.receipts.values())
    expected = sum(len(s.cards) for s in sessions)
    kiosk_lat = [v for k in ("page", "issue", "cast") for v in stats.latencies.get(k, [])]
    requests = sum(len(v) for v in stats.latencies.values())
    stale = load.staleness(stats)
    shown = [s for s in stale if math.isfinite(s)]
    # A failed request also leaves its ballot uncast ("flow"): count the request, not both.
    errors = sum(v for k, v in stats.errors.items() if k != "flow") + check["lost"]
    return {
        "name": name, "db": database.kind, "workers": server.config.label,
        "live": "streams" if server.config.streams else "polls",
        "sessions": len(sessions), "delegates_per_session": len(sessions[0].cards),
        "kiosks_per_session": kiosks, "window_s": window, "ballots_expected": expected,
        "ballots_cast": cast, "wall_s": round(wall, 2), "ballots_per_s": round(cast / wall, 1),
        "requests": requests, "kiosk_latency": percentiles(kiosk_lat),
        "latency_by_kind": {k: {"count": len(v), **percentiles(v)}
                            for k, v in sorted(stats.latencies.items())},
        "errors": errors, "missing": expected - cast,
        "errors_by_kind": dict(sorted(stats.errors.items())),
        "last_failure": str(stats.last_failure)[-300:] if stats.last_failure else None,
        **check,
        "chair_staleness": {**{k.replace("_ms", "_s"): (None if v is None else round(v / 1000, 2))
                               for k, v in percentiles(shown).items()},
                            "never_shown": len(stale) - len(shown)},
        "cpu_cores": cpu,
        # CPU per ballot: steadier than ballots/s when other jobs share the machine.
        "cpu_ms_per_ballot": {name: round(1000 * meter.seconds[name] / max(cast, 1), 2)
                              for name in ("server", "postgres", "generator")},
    }


def trivial(database: Database, server: Server, plan: Plan) -> dict:
    """The same server's throughput on its health check: what a request costs that touches
    neither the database nor the ballot box (for scale; no longer a target)."""
    meter = CpuMeter(server, database)
    stats = asyncio.run(load.hammer(server.url, TRIVIAL_PATH, 64, plan.trivial_seconds))
    cpu = meter.cores()
    done = stats.latencies.get("trivial", [])
    return {"path": TRIVIAL_PATH, "concurrency": 64,
            "requests_per_s": round(len(done) / plan.trivial_seconds, 1),
            "server_cpu_ms_per_request": round(
                1000 * meter.seconds["server"] / max(len(done), 1), 3),
            "errors": sum(stats.errors.values()), **percentiles(done), "cpu_cores": cpu}


# --- the parts --------------------------------------------------------------------------------


def choose_workers(database: Database, plan: Plan, log) -> tuple[WorkerConfig, list[dict]]:
    """Run the selection scenario under each candidate set-up; the fastest error-free one wins."""
    if plan.fixed_workers is not None:
        return plan.fixed_workers, []
    delegates, kiosks = plan.selection
    rows = []
    # SQLite's calls block a gevent worker's other connections while it waits for the lock.
    candidates = [c for c in plan.candidates
                  if database.kind == "postgres" or c.worker_class != "gevent"]
    for config in candidates:
        sessions = database.seed(f"w{config.label}", 1, delegates, kiosks)
        with database.server(config) as server:
            row = drive(database, server, plan, f"select {delegates}/{kiosks}", sessions,
                        kiosks, 0.0, 120.0)
        log(f"  {database.kind} {config.label}: {row['ballots_per_s']} ballots/s, "
            f"p99 {row['kiosk_latency']['p99_ms']} ms, errors {row['errors']}")
        rows.append(row)
    good = [(r, c) for r, c in zip(rows, candidates, strict=True)
            if r["errors"] == 0 and r["double_counts"] == 0] or list(zip(rows, candidates,
                                                                          strict=True))
    best = max(good, key=lambda rc: rc[0]["ballots_per_s"])[1]
    return best, rows


def run(plan: Plan, out: Path, log=print) -> dict:
    """Run every part of ``plan`` and write ``latest.json`` and ``latest.md`` into ``out``."""
    started = time.time()
    result: dict = {"started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started)),
                    "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()},
                    "plan": _plan_dict(plan), "ceilings": {}, "workers": {}, "scenarios": [],
                    "offline": {}, "notes": list(plan.notes)}
    log("Ed25519 rates …")
    result["ceilings"]["ed25519"] = ceilings.ed25519_rates(plan.crypto_seconds)
    log("ballot box group and proof rates …")
    result["ceilings"]["ballot_box"] = ceilings.ballot_box_rates(plan.crypto_seconds)
    workdir = Path(tempfile.mkdtemp(prefix="ballot-bench-"))
    try:
        chosen: dict[str, WorkerConfig] = {}
        for kind in plan.dbs:
            log(f"== {kind} ==")
            database = Database(kind, plan, workdir)
            try:
                result["ceilings"][f"insert_commit_{kind}"] = ceilings.insert_commit_rate(
                    database.url, plan.insert_seconds)
                config, rows = choose_workers(database, plan, log) \
                    if "workers" in plan.parts else (plan.fixed_workers or WorkerConfig("sync", 3), [])
                chosen[kind] = config
                result["workers"][kind] = {"chosen": config.label, "comparison": rows}
                if "sessions" in plan.parts:
                    _sessions_part(database, config, plan, result, log)
                if kind == plan.province_db and "province" in plan.parts:
                    _province_part(database, config, plan, result, log)
                if "offline" in plan.parts and kind == _synthetic_db(plan):
                    log(f"synthetic {plan.synthetic_entries}-entry bundle …")
                    session_id = offline.synthetic_session(database.app, plan.synthetic_entries,
                                                           plan.seed)
                    result["offline"][f"synthetic_{kind}"] = offline.close_publish_verify(
                        database.app, session_id)
            finally:
                database.close()
    finally:
        for log_file in workdir.glob("*.log"):
            if log_file.stat().st_size:
                out.mkdir(parents=True, exist_ok=True)
                shutil.copy(log_file, out / log_file.name)
        shutil.rmtree(workdir, ignore_errors=True)
    result["run_seconds"] = round(time.time() - started, 1)
    result["ballot_cost"] = report.ballot_costs(result)
    result["targets"] = report.targets(result)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                     encoding="utf-8")
    (out / "latest.md").write_text(report.markdown(result), encoding="utf-8")
    return result


def _synthetic_db(plan: Plan) -> str:
    return "postgres" if "postgres" in plan.dbs else plan.dbs[0]


def _sessions_part(database: Database, config: WorkerConfig, plan: Plan, result: dict,
                   log) -> None:
    seeded = {(d, k): database.seed(f"s{d}", 1, d, k) for d, k in plan.sessions}
    with database.server(config) as server:
        log(f"trivial endpoint ({config.label}) …")
        ceiling = trivial(database, server, plan)
        result["ceilings"][f"trivial_{database.kind}"] = ceiling
        for (delegates, kiosks), sessions in seeded.items():
            log(f"{delegates} delegates, {kiosks} kiosks …")
            row = drive(database, server, plan, f"{delegates} delegates / {kiosks} kiosks",
                        sessions, kiosks, 0.0, 300.0)
            result["scenarios"].append(row)
            log(f"  {row['ballots_per_s']} ballots/s in {row['wall_s']} s, p99 "
                f"{row['kiosk_latency']['p99_ms']} ms, errors {row['errors']}, "
                f"double {row['double_counts']}")
    if "offline" in plan.parts:
        biggest = max(plan.sessions)
        log(f"tally / export / verify of the {biggest[0]}-delegate session …")
        result["offline"][f"session{biggest[0]}_{database.kind}"] = offline.close_publish_verify(
            database.app, seeded[biggest][0].session_id)


def poll_costs(database: Database, server: Server, plan: Plan, sessions: list) -> dict:
    """CPU per request of what the province's screens poll (and of /healthz, for scale), each
    hammered alone by 32 clients: gunicorn's and PostgreSQL's milliseconds per request."""
    polls = {
        "healthz": [(TRIVIAL_PATH, {}, {})],
        "kiosk status": [("/kiosk/api/vote/status", {"ballot_kiosk": credential}, {})
                         for s in sessions for credential in s.kiosk_credentials],
        "chair live.json": [(f"/chair/{s.slug}/live.json", {"session": s.chair_cookie},
                             {"Accept": "application/json"}) for s in sessions],
    }
    costs = {}
    for name, requests in polls.items():
        meter = CpuMeter(server, database)
        stats = asyncio.run(load.hammer(server.url, "", 32, plan.trivial_seconds,
                                        requests=requests, kind=name))
        meter.cores()
        done = max(len(stats.latencies.get(name, [])), 1)
        costs[name] = {"requests_per_s": round(done / plan.trivial_seconds, 1),
                       "errors": sum(stats.errors.values()),
                       "server_cpu_ms": round(1000 * meter.seconds["server"] / done, 3),
                       "postgres_cpu_ms": round(1000 * meter.seconds["postgres"] / done, 3)}
    return costs


def province_demand(plan: Plan, costs: dict, ballot_cost: dict | None) -> dict:
    """Cores the province's offered load needs from gunicorn and PostgreSQL: every chair
    polling every 1.5 s, every idle kiosk every 15 s, and the ballots arriving evenly."""
    rates = {
        "chair live.json": plan.province_sessions / load.CHAIR_PERIOD,
        "kiosk status": plan.province_sessions * plan.province_kiosks / load.STATUS_PERIOD,
    }
    demand = {name: round(rate * (costs[name]["server_cpu_ms"] + costs[name]["postgres_cpu_ms"])
                          / 1000, 2) for name, rate in rates.items()}
    if ballot_cost:
        ballots_per_s = plan.province_sessions * plan.province_delegates / plan.province_window
        demand["ballots"] = round(ballots_per_s * (ballot_cost["server"] + ballot_cost["postgres"])
                                  / 1000, 2)
    demand["total"] = round(sum(demand.values()), 2)
    return {"requests_per_s": {k: round(v, 1) for k, v in rates.items()}, "cores": demand}


def _province_part(database: Database, config: WorkerConfig, plan: Plan, result: dict,
                   log) -> None:
    log(f"province: {plan.province_sessions} sessions × {plan.province_delegates} delegates in "
        f"{plan.province_window:.0f} s …")
    sessions = database.seed("p", plan.province_sessions, plan.province_delegates,
                             plan.province_kiosks)
    config = plan.province_workers if database.kind == "postgres" else config
    with database.server(config) as server:
        log(f"  what each poll costs ({config.label}) …")
        costs = poll_costs(database, server, plan, sessions)
        row = drive(database, server, plan, "province morning", sessions,
                    plan.province_kiosks, plan.province_window,
                    plan.province_window + plan.province_overrun, plan.province_warm_up)
    # A ballot's cost without polls: the biggest closed-loop session on this database.
    closed = [r for r in result["scenarios"] if r["db"] == database.kind]
    ballot_cost = max(closed, key=lambda r: r["ballots_cast"])["cpu_ms_per_ballot"] \
        if closed else None
    result["province_costs"] = {"per_request": costs,
                                "demand": province_demand(plan, costs, ballot_cost)}
    row["name"] = (f"province: {plan.province_sessions} × {plan.province_delegates} in "
                   f"{plan.province_window:.0f} s")
    result["province"] = row
    log("  every township closes its round and opens its box (drill shares) …")
    row["close_and_open"] = offline.close_and_open_all(database.app,
                                                       [s.session_id for s in sessions])
    log(f"  {row['ballots_per_s']} ballots/s, p99 {row['kiosk_latency']['p99_ms']} ms, chair "
        f"staleness max {row['chair_staleness']['max_s']} s, errors {row['errors']}")


def _plan_dict(plan: Plan) -> dict:
    data = asdict(plan)
    data["candidates"] = [c.label for c in plan.candidates]
    data["fixed_workers"] = plan.fixed_workers.label if plan.fixed_workers else None
    data["province_workers"] = plan.province_workers.label
    data.pop("pg_url")
    data.pop("notes")
    return data


def parse_workers(text: str) -> WorkerConfig:
    """``sync:3``, ``gthread:2:4`` or ``gevent:2`` → WorkerConfig."""
    parts = text.split(":")
    if parts[0] not in ("sync", "gthread", "gevent") or len(parts) not in (2, 3):
        raise click.BadParameter("use sync:N, gthread:N:THREADS or gevent:N")
    return WorkerConfig(parts[0], int(parts[1]), int(parts[2]) if len(parts) == 3 else 1)


@click.command()
@click.option("--quick", is_flag=True, help="Smaller sizes and a 30 s province (a few minutes).")
@click.option("--db", "dbs", multiple=True, type=click.Choice(["sqlite", "postgres"]),
              help="Databases to run on (default: both).")
@click.option("--only", "parts", multiple=True, type=click.Choice(PARTS),
              help="Run only these parts (default: all).")
@click.option("--workers", "fixed", default=None,
              help="Skip the worker comparison: sync:N, gthread:N:THREADS or gevent:N.")
@click.option("--province-window", type=float, default=None,
              help="Seconds over which the province's ballots arrive (default 600).")
@click.option("--province-sessions", type=int, default=None, help="Township sessions (800).")
@click.option("--pg-url", default=DEFAULT_PG, show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=RESULTS,
              show_default=True)
def main(quick, dbs, parts, fixed, province_window, province_sessions, pg_url, out) -> None:
    """Benchmark the ballot service the production way; see bench/README.md."""
    plan = replace(Plan(**QUICK), notes=["--quick run: reduced sizes"]) if quick else Plan()
    plan = replace(plan, pg_url=pg_url, dbs=tuple(dbs) or plan.dbs,
                   parts=tuple(parts) or plan.parts,
                   fixed_workers=parse_workers(fixed) if fixed else None)
    if province_window is not None:
        plan = replace(plan, province_window=province_window,
                       notes=[*plan.notes, f"province window scaled to {province_window:.0f} s"])
    if province_sessions is not None:
        plan = replace(plan, province_sessions=province_sessions)
    if plan.province_db not in plan.dbs:
        plan = replace(plan, province_db=plan.dbs[0])
    result = run(plan, out, log=lambda text: click.echo(text, err=True))
    click.echo((out / "latest.md").read_text(encoding="utf-8"))
    click.echo(f"run time {result['run_seconds']} s; results in {out}/latest.json")


if __name__ == "__main__":
    main()

"""Kill-and-restart: the production server is SIGKILLed under kiosk load, again and again.

gunicorn (``wsgi:app``, BALLOT_CONFIG=production, CSRF on) serves the session's database: an
SQLite file, or $BALLOT_TEST_DATABASE_URL. Client threads act as enrolled voting kiosks over real
HTTP while the main thread kills the gunicorn master and its workers (the whole process group,
SIGKILL) at random moments and restarts it. Afterwards, in-process, the test checks that nothing
a kiosk was told is lost and nothing half-written is left.

A client behaves as ballot/static/js/kiosk-vote.js and the people at the kiosk do:

* issue, no answer (connection lost, server down): the kiosk says "network failure, scan
  again"; the delegate scans the same card again at the same kiosk. If the lost issue had
  committed, the server voids its unused token and issues a fresh one there (audited as
  ``ballot.reissue``), without staff. Besides the kills, once the kills are over each kiosk's
  network drops the answer to one issue that the server did commit, so this path is always
  taken.
* cast, no answer: the kiosk shows its "unknown" screen and "retry" resends the same token and
  choices; the cast is idempotent per token, so the retry gets the original receipt or records
  the ballot now.
* walk-away (a few delegates): the kiosk gives the token back with the card; a lost answer is
  resent (a second return of a voided token answers ``ballot_token_invalid``: already returned).
  The delegate comes back later and votes.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import OperationalError

from ballot import crypto
from ballot.extensions import db as _db
from ballot.models import (
    AuditEntry,
    BallotToken,
    BoardEntry,
    Delegate,
    Kiosk,
    VoteSession,
    utcnow,
)
from ballot.services import board, credentials, keys, kiosks, results, rounds
from ballot.verify import verify_bundle
from ballot.web.kiosk_auth import keep_last_seen
from tests.conftest import PG_URL, close_and_open, decrypt_ballot, make_user
from tests.factories import SECRET, session_delegates, voting_session

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KIOSKS = 4
DELEGATES = 120
KILLS = 10
WALK_AWAY = 0.08          # share of delegates who walk away from the ballot once
ANSWERS = (1, 16)         # answers the kiosks get between a restart and the next kill
JITTER = 0.03             # then up to this many seconds more, to land inside a request
GUARD_SECONDS = 120       # a hung server or client fails the test instead of blocking the run
SECRET_KEY = "crash-test-secret-key-0123456789abcdef"
KEY_SECRET = "crash-test-key-secret-0123456789abcdef"  # production wants ≥ 32 characters


class Server:
    """gunicorn in its own process group, so one killpg takes the master and every worker."""

    def __init__(self, database_url: str, instance: Path, log: Path) -> None:
        self.port = _free_port()
        self.env = {**os.environ, "BALLOT_DATABASE_URL": database_url,
                    "BALLOT_SECRET_KEY": SECRET_KEY, "BALLOT_KEY_SECRET": KEY_SECRET,
                    "BALLOT_CONFIG": "production", "BALLOT_SECURE_COOKIES": "0",
                    "BALLOT_INSTANCE_PATH": str(instance)}
        self.log = log
        self.process: subprocess.Popen | None = None
        self.up = threading.Event()
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}",
                 "--no-control-socket",
                 "--chdir", str(ROOT), "wsgi:app"],
                env=self.env, stdout=log, stderr=log, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start; see {self.log}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.02)
        self.up.set()

    def _healthy(self) -> bool:
        try:
            status, _, _ = request(self.port, "GET", "/healthz")
        except OSError:
            return False
        return status == 200

    def kill(self) -> None:
        """SIGKILL the master and its workers at once, then reap the master."""
        self.up.clear()
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: dict | None = None,
            headers: dict | None = None) -> tuple[int, dict | None, http.client.HTTPResponse]:
    """One HTTP exchange on a fresh connection; OSError/HTTPException when it is lost."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        payload = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        all_headers.update(headers or {})
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    data = None
    if response.getheader("Content-Type", "").startswith("application/json"):
        data = json.loads(raw)
    elif method == "GET":
        data = {"html": raw.decode("utf-8")}
    return response.status, data, response


@dataclass
class Ledger:
    """What the kiosks were told, for the checks afterwards (guarded by ``lock``)."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    answers: int = 0                                         # HTTP answers the kiosks got
    receipts: list[dict] = field(default_factory=list)      # card, token, choices, code
    returned: list[bytes] = field(default_factory=list)     # tokens given back on walk-away
    lost: int = 0                                            # requests whose answer never came
    unknown: set[str] = field(default_factory=set)           # cards of requests left in doubt
    calm: threading.Event = field(default_factory=threading.Event)  # no more kills
    unexpected: list[str] = field(default_factory=list)


class KioskClient(threading.Thread):
    """One voting kiosk: scans the next delegate's card, casts, retries as the kiosk does."""

    def __init__(self, app, server: Server, credential: str, queue: deque, queue_lock,
                 ledger: Ledger, session_id: int, seed: int) -> None:
        super().__init__(daemon=True)
        self.app, self.server, self.ledger = app, server, ledger
        self.queue, self.queue_lock = queue, queue_lock
        self.session_id = session_id
        self.rng = random.Random(seed)
        self.cookies = {"ballot_kiosk": credential}
        self.csrf = ""
        self.walked: set[str] = set()
        self.dropped = False

    # --- HTTP, with the kiosk's reaction to a lost answer ----------------------------------

    def _cookie_header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _exchange(self, method: str, path: str, body: dict | None = None, card: str = ""):
        """(status, data), or None when the answer was lost (the outcome is unknown)."""
        self.server.up.wait(GUARD_SECONDS)
        headers = {**self._cookie_header(), "X-CSRFToken": self.csrf}
        try:
            status, data, response = request(self.server.port, method, path, body, headers)
        except (OSError, http.client.HTTPException):
            with self.ledger.lock:
                self.ledger.lost += 1
                if card:
                    self.ledger.unknown.add(card)
            return None
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name == "session":
                self.cookies["session"] = rest.split(";", 1)[0]
        if status >= 500:
            self._unexpected(f"{method} {path} → {status} {data}")
        with self.ledger.lock:
            self.ledger.answers += 1
            self.ledger.lock.notify_all()
        return status, data

    def _unexpected(self, what: str) -> None:
        with self.ledger.lock:
            self.ledger.unexpected.append(what)
        raise RuntimeError(what)

    def load_page(self) -> None:
        """GET the kiosk page for its CSRF token, as the browser does when it (re)loads."""
        while True:
            answer = self._exchange("GET", "/kiosk/vote/")
            if answer is None:
                continue
            status, data = answer
            found = re.search(r'<meta name="csrf-token" content="([^"]+)"', data["html"])
            if status != 200 or found is None:
                self._unexpected(f"kiosk page {status}")
            self.csrf = found.group(1)
            return

    # --- one delegate at the kiosk ----------------------------------------------------------

    def run(self) -> None:
        try:
            self.load_page()
            while True:
                with self.queue_lock:
                    if not self.queue:
                        return
                    card = self.queue.popleft()
                self.serve(card)
        except RuntimeError:
            return  # recorded in the ledger; the test fails on it
        except Exception as error:  # noqa: BLE001 - reported by the test, not lost in a thread
            with self.ledger.lock:
                self.ledger.unexpected.append(repr(error))

    def serve(self, card: str) -> None:
        token = self.obtain_token(card)
        if card not in self.walked and self.rng.random() < WALK_AWAY:
            self.walked.add(card)
            self.give_back(token, card)
            with self.queue_lock:
                self.queue.append(card)  # the delegate comes back later
            return
        choices = self.choose()
        while True:
            answer = self._exchange("POST", "/kiosk/api/vote/cast",
                                    {"token": _b64(token), "choices": choices}, card)
            if answer is None:
                continue  # the "unknown" screen: retry with the same token and choices
            status, data = answer
            if status != 200:
                self._unexpected(f"cast {status} {data}")
            with self.ledger.lock:
                self.ledger.receipts.append({"card": card, "token": token, "choices": choices,
                                             "code": data["tracking_code"]})
            return

    def obtain_token(self, card: str) -> bytes:
        if self.ledger.calm.is_set() and not self.dropped:
            self.dropped = True
            self.drop_answer(card)
        while True:
            answer = self._exchange("POST", "/kiosk/api/vote/issue", {"card": card}, card)
            if answer is None:
                continue  # "network failure, scan again"
            status, data = answer
            if status == 200:
                return base64.urlsafe_b64decode(data["token"])
            self._unexpected(f"issue {status} {data}")

    def give_back(self, token: bytes, card: str) -> None:
        retried = False
        while True:
            answer = self._exchange("POST", "/kiosk/api/vote/return",
                                    {"token": _b64(token), "card": card}, card)
            if answer is None:
                retried = True
                continue
            status, data = answer
            if status == 200 or (retried and status == 409
                                 and data["error"] == "ballot_token_invalid"):
                with self.ledger.lock:
                    self.ledger.returned.append(token)
                return
            self._unexpected(f"return {status} {data}")

    def drop_answer(self, card: str) -> None:
        """Send an issue and hang up before the answer (a network drop), then wait until the
        server has committed it, so the rescan finds the delegate issued."""
        body = json.dumps({"card": card}).encode()
        headers = {**self._cookie_header(), "X-CSRFToken": self.csrf,
                   "Content-Type": "application/json"}
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=20)
        connection.request("POST", "/kiosk/api/vote/issue", body=body, headers=headers)
        connection.close()
        with self.ledger.lock:
            self.ledger.lost += 1
            self.ledger.unknown.add(card)
        delegate_id = int(card.split(".")[2])
        deadline = time.monotonic() + GUARD_SECONDS
        while time.monotonic() < deadline:
            with self.app.app_context():
                session = _db.session.get(VoteSession, self.session_id)
                if delegate_id in rounds.issued_delegate_ids(session, 1):
                    return
            time.sleep(0.02)
        self._unexpected(f"the dropped issue for {card} never committed")

    def choose(self) -> dict[str, str]:
        codes = [f"{i:02d}" for i in range(1, 13)]
        picks = {code: self.rng.choice(("for", "against", "abstain")) for code in codes}
        for code in [c for c in codes if picks[c] == "for"][10:]:
            picks[code] = "abstain"  # at most quota (10) 赞成
        return picks


def _b64(token: bytes) -> str:
    return base64.urlsafe_b64encode(token).decode("ascii")


def _database_url(app) -> str:
    return PG_URL or app.config["SQLALCHEMY_DATABASE_URI"]


def test_kiosk_load_survives_repeated_sigkill(app, db, tmp_path):
    session, _ = voting_session(delegates=DELEGATES)
    # Re-wrap the session key under the production-length secret the server is given.
    session.private_key_encrypted = crypto.encrypt_private_key(
        keys.private_key(session, SECRET), KEY_SECRET.encode())
    app.config["KEY_ENCRYPTION_SECRET"] = KEY_SECRET
    cards = credentials.issue_cards(session, session_delegates(session), "tester")
    enrolled = []
    for number in range(1, KIOSKS + 1):
        _, code = kiosks.create_pairing(session, f"投票机{number}", "voting", "staff")
        enrolled.append(kiosks.enrol(code)[1])
    db.session.commit()
    session_id = session.id
    db.session.remove()  # the kiosk threads and the server get the database to themselves

    server = Server(_database_url(app), tmp_path / "instance", tmp_path / "gunicorn.log")
    ledger = Ledger()
    queue, queue_lock = deque(random.Random(1).sample(cards, len(cards))), threading.Lock()
    clients = [KioskClient(app, server, credential, queue, queue_lock, ledger, session_id, seed)
               for seed, credential in enumerate(enrolled)]
    rng = random.Random(7)
    try:
        server.start()
        for client in clients:
            client.start()
        for _ in range(KILLS):
            # A random moment under load: after a random number of answers, plus a jitter.
            with ledger.lock:
                target = ledger.answers + rng.randint(*ANSWERS)
                ledger.lock.wait_for(lambda: ledger.answers >= target  # noqa: B023
                                     or not any(c.is_alive() for c in clients), GUARD_SECONDS)
            if not any(c.is_alive() for c in clients):
                break
            threading.Event().wait(rng.uniform(0, JITTER))
            server.kill()
            server.start()
        ledger.calm.set()
        for client in clients:
            client.join(GUARD_SECONDS)
        assert not any(c.is_alive() for c in clients), "a kiosk client hung"
    finally:
        server.stop()
    assert ledger.unexpected == []
    session = db.session.get(VoteSession, session_id)
    reissues = _reissues(session)
    print(f"\n[{db.engine.dialect.name}] kills survived: {server.kills - 1} (+1 final stop), "
          f"ballots: {len(ledger.receipts)}, lost answers retried: {ledger.lost}, "
          f"delegates left in doubt: {len(ledger.unknown)}, recovered by a rescan: {reissues}, "
          f"walk-aways: {len(ledger.returned)}")
    assert server.kills >= KILLS and len(ledger.receipts) == DELEGATES
    assert reissues >= KIOSKS  # the dropped answers, at least

    check_tokens_and_board(session, ledger)
    check_issued(session, ledger)
    publish_and_verify(db, session, ledger, tmp_path)
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []


def check_tokens_and_board(session: VoteSession, ledger: Ledger) -> None:
    """Every receipt a kiosk showed is on the board with the choices cast; no half-written rows.

    Tokens: each received token is ``used`` with its board entry (cast) or ``voided`` without
    one (returned). The only tokens no kiosk received are those of lost issues, one per rescan
    that recovered one (audited ``ballot.reissue``), each voided by it. So: tokens = received +
    reissues, used = board entries, and voided = returned + reissues; no token is left open.
    """
    reissues = _reissues(session)
    states = dict(_db.session.execute(
        select(BallotToken.token_hash, BallotToken.state)
        .where(BallotToken.session_id == session.id)).all())
    entries = {e.ballot_id: e for e in _db.session.execute(
        select(BoardEntry).where(BoardEntry.session_id == session.id)).scalars()}
    for receipt in ledger.receipts:
        assert states[crypto.token_hash(receipt["token"])] == "used"
        entry = entries[crypto.ballot_id_from_token(receipt["token"])]
        assert crypto.tracking_code(entry.entry_hash) == receipt["code"]
        found = board.lookup(session, receipt["code"])
        # The entry holds the choices cast (decrypted here with the test's key cards; a
        # project the kiosk left unmarked is 弃权).
        recorded = decrypt_ballot(session, found["entry"]["payload"])
        assert recorded == {code: receipt["choices"].get(code, "abstain") for code in recorded}
    for token in ledger.returned:
        assert states[crypto.token_hash(token)] == "voided"
        assert crypto.ballot_id_from_token(token) not in entries
    tally = {state: list(states.values()).count(state) for state in ("open", "used", "voided")}
    assert len(states) == len(ledger.receipts) + len(ledger.returned) + reissues
    assert tally == {"open": 0, "used": len(entries), "voided": len(ledger.returned) + reissues}
    assert len(entries) == len(ledger.receipts)
    assert {crypto.tracking_code(e.entry_hash) for e in entries.values()} == {
        r["code"] for r in ledger.receipts}


def _reissues(session: VoteSession) -> int:
    """Lost issues recovered by scanning the same card again at the same kiosk."""
    return _db.session.execute(
        select(func.count()).select_from(AuditEntry)
        .where(AuditEntry.session_id == session.id, AuditEntry.action == "ballot.reissue")
    ).scalar_one()


def check_issued(session: VoteSession, ledger: Ledger) -> None:
    """Issued (发出) and returned (收回) agree: every issued delegate cast exactly one ballot.

    In general issued − returned = delegates holding an open token + those whose token was voided
    by a later issue at the same kiosk (a kiosk never does that here: a lost issue is recovered by
    a rescan, a walk-away by a return, both of which void the unused token and clear its mark).
    With no open token left, issued = returned, and the issued delegates are exactly those with
    a receipt.
    """
    voted = {int(r["card"].split(".")[2]) for r in ledger.receipts}
    assert len(voted) == len(ledger.receipts)
    assert ledger.unknown <= {r["card"] for r in ledger.receipts}  # every doubt was resolved
    assert rounds.issued_delegate_ids(session, 1) == voted
    assert rounds.issued_count(session, 1) == rounds.returned_count(session, 1) == len(voted)


def publish_and_verify(db, session: VoteSession, ledger: Ledger, tmp_path: Path) -> None:
    """Close, count and publish the round, then check the audit bundle end to end."""
    from ballot.services import export

    close_and_open(session)
    db.session.commit()
    if rounds.pending_tie(session) is not None:
        rounds.leave_empty(session, "chair", "同票项目名额空缺（测试）")
        db.session.commit()
    chief = make_user("scrut", "scrutineer")
    chief.display_name = session.chief_scrutineer = "陈立"
    results.confirm_as_scrutineer(session, chief)
    results.confirm_as_chair(session, make_user("chairman", "chair"))
    results.publish(session, "chair")
    db.session.commit()
    for receipt in ledger.receipts[:: max(1, len(ledger.receipts) // 20)]:
        found = board.lookup(session, receipt["code"])
        assert found["round_state"] == "closed" and found["proof"] is not None
    path = tmp_path / "bundle.zip"
    path.write_bytes(export.to_bundle(session))
    report = verify_bundle(path, session.key_fingerprint)
    assert report.ok, [str(p) for p in report.problems]
    assert report.entry_count == len(ledger.receipts)
    count = db.session.execute(select(func.count()).select_from(BoardEntry)
                               .where(BoardEntry.session_id == session.id)).scalar_one()
    assert count == len(ledger.receipts)


@pytest.mark.sqlite_only
def test_kiosk_heartbeat_survives_a_commit_in_between(app, db):
    """Found by the kill test: a kiosk request that moved ``last_seen_at`` wrote it inside the
    read transaction that authenticated the kiosk, and SQLite answers "database is locked" when
    another process committed in between (a 500 on /kiosk/api/vote/issue under load)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's read-to-write upgrade")
    session, _ = voting_session(delegates=2, open_round=False)
    _, code = kiosks.create_pairing(session, "投票机", "voting", "staff")
    start = utcnow()
    _, credential = kiosks.enrol(code, now=start)
    db.session.commit()
    later = start + 2 * kiosks.SEEN_INTERVAL
    kiosk = kiosks.authenticate(credential)  # a read transaction
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.begin() as connection:  # another gunicorn worker commits meanwhile
        connection.execute(text("UPDATE delegates SET phone = '110'"))
    other.dispose()
    keep_last_seen(kiosk, now=later)
    db.session.expire_all()
    assert db.session.get(Kiosk, kiosk.id).last_seen_at == later


@contextmanager
def another_worker_commits_after_the_first_read(app):
    """While a request runs, another process tries to commit right after the request's first
    query; ``fired`` says whether it committed ("committed") or had to wait for the request's
    write lock ("waited": then no commit can fall between the request's read and its write)."""
    other = create_engine(app.config["SQLALCHEMY_DATABASE_URI"],
                          connect_args={"timeout": 0.2})
    fired: list[str] = []

    def after(_connection, _cursor, statement, *_args) -> None:
        if not fired and statement.lstrip().upper().startswith("SELECT"):
            try:
                with other.begin() as connection:
                    connection.execute(text("UPDATE delegates SET phone = '110'"))
                fired.append("committed")
            except OperationalError:
                fired.append("waited")

    event.listen(_db.engine, "after_cursor_execute", after)
    try:
        yield fired
    finally:
        event.remove(_db.engine, "after_cursor_execute", after)
        other.dispose()


@pytest.mark.sqlite_only
def test_checkin_scan_survives_a_commit_in_between(app, db, client):
    """Same class as above, at the check-in kiosk: the scan read, then wrote in the same
    transaction, so a check-in committed by another worker in between made it answer 500."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's read-to-write upgrade")
    session, _ = voting_session(delegates=4, present=1, open_round=False)
    _, code = kiosks.create_pairing(session, "签到机", "checkin", "staff")
    credential = kiosks.enrol(code)[1]
    card = credentials.issue_cards(session, session_delegates(session), "tester")[3]
    client.set_cookie("ballot_kiosk", credential, path="/kiosk")
    db.session.commit()  # no transaction left open: the request starts its own, as in production
    with another_worker_commits_after_the_first_read(app) as fired:
        answer = client.post("/kiosk/api/checkin/scan", json={"text": card})
    assert fired == ["waited"] and answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["status"] == "checked_in"


@pytest.mark.sqlite_only
def test_staff_desk_check_in_survives_a_commit_in_between(app, db, client, login):
    """The same at the staff desk (any POST that reads, then writes): every POST now takes the
    write lock before its first read (ballot.unit_of_work.begin_request)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's read-to-write upgrade")
    login("staff")
    session, _ = voting_session(delegates=4, present=1, open_round=False)
    delegate = session_delegates(session)[3]
    url = f"/admin/sessions/{session.slug}/delegates/{delegate.id}/checkin"
    db.session.commit()
    with another_worker_commits_after_the_first_read(app) as fired:
        answer = client.post(url, data={"reason": "忘带代表证"})
    assert fired == ["waited"] and answer.status_code == 302, answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Delegate, delegate.id).attendance == "present"

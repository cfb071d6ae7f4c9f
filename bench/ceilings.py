"""In-process ceilings: Ed25519 sign and verify rates, the ballot box's group operations and
proofs, a raw insert-and-commit rate per database."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import Column, MetaData, String, Table, create_engine, insert

from ballot import crypto
from ballot.ballotbox import group, proofs
from ballot.ballotbox.shares import deal
from ballot.database import configure_engine
from config.settings import normalise_database_url


def _rates(work, seconds: float, limit: int = 10_000_000) -> tuple[float, float]:
    """Calls of ``work`` per second of wall time and per second of this process's CPU time,
    over about ``seconds`` (bounded by ``limit`` calls). On a shared machine the CPU-time rate
    is the steadier one: it does not count the time other processes held the core."""
    count = 0
    start, cpu = time.perf_counter(), time.process_time()
    end = start + seconds
    while count < limit:
        for _ in range(100):
            work()
        count += 100
        if time.perf_counter() >= end:
            break
    return count / (time.perf_counter() - start), count / (time.process_time() - cpu)


def ed25519_rates(seconds: float) -> dict[str, float]:
    """Signatures and verifications per second of a real board-entry payload, one core."""
    key = crypto.generate_key()
    public = key.public_key()
    ballot_id = secrets.token_hex(16)
    encrypted = proofs.encrypt_ballot(deal(2, 3)[0], ["for"] * 10 + ["against"] * 2, 10,
                                      proofs.ballot_context("0" * 64, 1, ballot_id))
    data = crypto.canonical_json(crypto.entry_payload(ballot_id, 1, encrypted))
    sig = crypto.sign(key, data)
    sign_wall, sign_cpu = _rates(lambda: crypto.sign(key, data), seconds)
    verify_wall, verify_cpu = _rates(lambda: public.verify(sig, data), seconds)
    return {"sign_per_s": sign_wall, "sign_per_cpu_s": sign_cpu, "verify_per_s": verify_wall,
            "verify_per_cpu_s": verify_cpu, "payload_bytes": len(data)}


class _CountingSodium:
    """Stands in for libsodium in ``ballot.ballotbox.group`` and counts its group operations."""

    OPERATIONS = {"crypto_scalarmult_ristretto255": "var_mul",
                  "crypto_scalarmult_ristretto255_base": "base_mul",
                  "crypto_core_ristretto255_add": "add", "crypto_core_ristretto255_sub": "add"}

    def __init__(self, lib) -> None:
        self.lib = lib
        self.counts = dict.fromkeys(("var_mul", "base_mul", "add"), 0)

    def __getattr__(self, name: str):
        function = getattr(self.lib, name)
        if name not in self.OPERATIONS:
            return function
        kind = self.OPERATIONS[name]

        def counted(*args):
            self.counts[kind] += 1
            return function(*args)

        return counted


def group_operations(work) -> dict[str, int]:
    """How many variable-base and base-point multiplications and additions ``work()`` makes."""
    counting = _CountingSodium(group._lib)
    group._lib = counting
    try:
        work()
    finally:
        group._lib = counting.lib
    return counting.counts


def ballot_box_rates(seconds: float, projects: int = 12, quota: int = 10) -> dict[str, float]:
    """ristretto255 scalar multiplications per CPU-second (libsodium, one core), the group
    operations one ballot of ``projects`` projects and ``quota`` needs (encryption with its
    proofs) and their CPU time at those rates, and the CPU milliseconds actually measured to
    encrypt and to verify one such ballot."""
    point, k = group.base_mul(group.random_scalar()), group.random_scalar()
    _, var_cpu = _rates(lambda: point * k, seconds)
    _, base_cpu = _rates(lambda: group.base_mul(k), seconds)
    _, add_cpu = _rates(lambda: point + point, seconds)
    pk = deal(2, 3)[0]
    choices = ["for"] * quota + ["against"] * (projects - quota)
    context = proofs.ballot_context("0" * 64, 1, "0" * 32)
    encrypted = proofs.encrypt_ballot(pk, choices, quota, context)
    ops = group_operations(lambda: proofs.encrypt_ballot(pk, choices, quota, context))
    # The group operations at the measured rates, in variable-base multiplications and in ms.
    var_equivalent = (ops["var_mul"] + ops["base_mul"] * var_cpu / base_cpu
                      + ops["add"] * var_cpu / add_cpu)
    rounds = max(3, int(seconds * 50))
    cpu = time.process_time()
    for _ in range(rounds):
        proofs.encrypt_ballot(pk, choices, quota, context)
    encrypt_ms = (time.process_time() - cpu) / rounds * 1000
    cpu = time.process_time()
    for _ in range(rounds):
        proofs.verify_ballot(pk, encrypted, projects, quota, context)
    verify_ms = (time.process_time() - cpu) / rounds * 1000
    return {"var_mul_per_cpu_s": var_cpu, "base_mul_per_cpu_s": base_cpu,
            "add_per_cpu_s": add_cpu, "projects": projects, "quota": quota,
            "encrypt_group_ops": ops, "encrypt_var_mul_equivalent": var_equivalent,
            "encrypt_group_ops_cpu_ms": 1000 * var_equivalent / var_cpu,
            "encrypt_ballot_cpu_ms": encrypt_ms, "verify_ballot_cpu_ms": verify_ms}


def insert_commit_rate(database_url: str, seconds: float) -> dict[str, float]:
    """One connection inserting one board-entry-sized row per transaction, as fast as it can.

    Uses the app's own engine set-up (SQLite: WAL, synchronous=FULL), in a scratch table.
    """
    engine = create_engine(normalise_database_url(database_url))
    configure_engine(engine)
    table = Table("bench_raw_insert", MetaData(), Column("id", String(32), primary_key=True),
                  Column("payload", String(400)))
    table.drop(engine, checkfirst=True)
    table.create(engine)
    payload = "x" * 300
    count = 0
    start = time.perf_counter()
    try:
        with engine.connect() as connection:
            while time.perf_counter() - start < seconds and count < 1_000_000:
                connection.execute(insert(table).values(id=secrets.token_hex(16), payload=payload))
                connection.commit()
                count += 1
        rate = count / (time.perf_counter() - start)
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()
    return {"commits_per_s": rate}

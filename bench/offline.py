"""Close, tally, publish, export and verify a session in-process, timing each step."""

from __future__ import annotations

import io
import random
import secrets
import statistics
import time

from sqlalchemy import insert, select

from ballot import crypto
from ballot.domain.tally import tally_totals
from ballot.extensions import db
from ballot.models import BallotIssue, BoardEntry, Delegate, Kiosk, User, VoteSession, utcnow
from ballot.services import box, export, keys, opening, results, rounds
from ballot.verify import verify_bundle
from bench.load import choices_for
from bench.seed import QUOTA, seed_sessions


def _timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    value = work()
    return time.perf_counter() - start, value


def _cpu_timed(work) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = work()
    return time.perf_counter() - start, time.process_time() - cpu, value


def _officers(session: VoteSession) -> tuple[User, User]:
    made = []
    for role, name in (("scrutineer", "王监票"), ("chair", "张主持")):
        user = User(username=f"bench-{role}-{session.slug}", display_name=name, role=role,
                    congress=session.congress, password_hash="bench-no-password-" + secrets.token_hex(8),
                    active=True, created_at=utcnow())
        db.session.add(user)
        made.append(user)
    db.session.flush()
    return made[0], made[1]


def close_publish_verify(app, session_id: int, repeats: int = 3) -> dict:
    """Close round 1 and count it, time the tally, publish, export the bundle and verify it."""
    with app.app_context():
        session = db.session.get(VoteSession, session_id)
        close_s, _ = _timed(lambda: rounds.close_round(session, "bench"))
        db.session.commit()
        round_ = rounds.get_round(session, 1)
        # 开箱: t drill shares' proved partial decryptions, combined, counted.
        tally_s, tally_cpu_s, _ = _cpu_timed(
            lambda: opening.open_with_drill_shares(session, "bench"))
        db.session.commit()
        spec = rounds.round_spec(session, round_)
        totals = {code: (c["for"], c["against"]) for code, c in round_.result["counts"].items()}
        returned = round_.result["returned"]
        pure_s = statistics.median(
            _timed(lambda: tally_totals(spec, totals, returned))[0] for _ in range(repeats))
        scrutineer, chair = _officers(session)
        results.confirm_as_scrutineer(session, scrutineer)
        results.confirm_as_chair(session, chair)
        results.publish(session, "bench")
        db.session.commit()
        export_s, data = _timed(lambda: export.to_bundle(session))
        verify_s, verify_cpu_s, report = _cpu_timed(
            lambda: verify_bundle(io.BytesIO(data), session.key_fingerprint))
        return {"ballots": returned, "close_and_count_s": close_s, "tally_s": tally_s,
                "tally_cpu_s": tally_cpu_s, "tally_pure_s": pure_s, "export_s": export_s,
                "bundle_bytes": len(data), "verify_s": verify_s, "verify_cpu_s": verify_cpu_s,
                "verify_ok": report.ok, "verify_problems": [str(p) for p in report.problems[:5]],
                "verify_entries_per_s": report.entry_count / verify_s,
                "verify_entries_per_cpu_s": report.entry_count / verify_cpu_s}


def synthetic_session(app, entries: int, seed: int) -> int:
    """A session of ``entries`` delegates who have all voted (rows written directly, signed with
    the session key exactly as cast_ballot signs them); returns its id, round 1 still open."""
    (seeded,) = seed_sessions(app, f"synth{entries}", 1, entries, 1)
    rng = random.Random(seed)
    with app.app_context():
        session = db.session.get(VoteSession, seeded.session_id)
        key = keys.private_key(session, app.config["KEY_ENCRYPTION_SECRET"])
        kiosk_id = db.session.execute(
            select(Kiosk.id).where(Kiosk.session_id == session.id)).scalar_one()
        delegate_ids = db.session.execute(
            select(Delegate.id).where(Delegate.session_id == session.id)).scalars().all()
        codes = [f"{p:02d}" for p in range(1, 13)]
        round_ = rounds.get_round(session, 1)
        issues, rows = [], []
        for delegate_id in delegate_ids:
            token = crypto.new_token()
            issues.append({"session_id": session.id, "round_number": 1,
                           "delegate_id": delegate_id, "kiosk_id": kiosk_id,
                           "token_hash": crypto.token_hash(token)})
            ballot_id = crypto.ballot_id_from_token(token)
            encrypted = box.encrypt_ballot(session, round_, ballot_id,
                                           choices_for(rng, codes, QUOTA))
            entry = crypto.make_entry(key, ballot_id, 1, encrypted)
            rows.append({"ballot_id": ballot_id, "session_id": session.id, "round_number": 1,
                         "payload": crypto.canonical_json(entry["payload"]).decode("utf-8"),
                         "entry_hash": entry["hash"], "signature": entry["signature"]})
        for start in range(0, len(rows), 10_000):
            db.session.execute(insert(BallotIssue), issues[start:start + 10_000])
            db.session.execute(insert(BoardEntry), rows[start:start + 10_000])
        db.session.commit()
        return session.id


def close_and_open_all(app, session_ids: list[int]) -> dict:
    """Close round 1 of every session (multiplying its ciphertexts per project) and open each
    box with its drill shares, as the province's townships do at the end of the morning."""
    with app.app_context():
        close_s = close_cpu_s = open_s = open_cpu_s = 0.0
        counted = 0
        for session_id in session_ids:
            session = db.session.get(VoteSession, session_id)
            wall, cpu, _ = _cpu_timed(lambda s=session: rounds.close_round(s, "bench"))
            db.session.commit()
            close_s, close_cpu_s = close_s + wall, close_cpu_s + cpu
            wall, cpu, _ = _cpu_timed(
                lambda s=session: opening.open_with_drill_shares(s, "bench"))
            db.session.commit()
            open_s, open_cpu_s = open_s + wall, open_cpu_s + cpu
            counted += rounds.get_round(session, 1).result is not None
        db.session.remove()
    return {"sessions": len(session_ids), "counted": counted, "close_s": close_s,
            "close_cpu_s": close_cpu_s, "open_s": open_s, "open_cpu_s": open_cpu_s}

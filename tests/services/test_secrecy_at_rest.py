"""Secrecy at rest (issue 19.6): the audit's attack, replayed on every byte the database holds.

After a session whose choices the test knows, it reads what an operator, a backup or a replica
would have: on SQLite the main file, its ``-wal`` and a ``ballot backup`` copy; on PostgreSQL
every heap, index and TOAST page of the database and the WAL written during the session. No
single ballot's choices are there in any form, and the only values ever decrypted are the
per-project products of the whole round.
"""

from __future__ import annotations

import json
import random
import re

from sqlalchemy import select, text

from ballot.ballotbox import proofs
from ballot.ballotbox.elgamal import Ciphertext
from ballot.models import BoardEntry, BoxPartial
from ballot.services import backup, rounds
from tests.conftest import open_box
from tests.factories import cast, issue, session_delegates, voting_session

ANSWERS = ("for", "against", "abstain")
# Any JSON spelling of one plaintext choice: "07":"against", "07": "for", …
PLAINTEXT_CHOICE = re.compile(rb'"\d{2,3}"\s*:\s*"(?:for|against|abstain)"')


def _ballots(count: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    ballots = []
    for _ in range(count):
        fors = set(rng.sample(range(1, 13), rng.randint(0, 10)))
        ballots.append({f"{i:02d}": "for" if i in fors else rng.choice(ANSWERS[1:])
                        for i in range(1, 13)})
    return ballots


def _run_session(db, count: int = 14):
    session, kiosk = voting_session(delegates=count)
    ballots = _ballots(count, seed=19)
    for delegate, choices in zip(session_delegates(session), ballots, strict=True):
        token, _ = issue(session, kiosk, delegate)
        cast(session, kiosk, token, choices)
    rounds.close_round(session, "chair")
    db.session.commit()
    result = open_box(session)
    return session, ballots, result


def _assert_no_ballot_in(data: bytes, ballots: list[dict[str, str]], where: str) -> None:
    assert data, where
    found = PLAINTEXT_CHOICE.search(data)
    assert found is None, f"{where}: a plaintext choice {found.group()!r}"
    assert b'"choices"' not in data, where
    for choices in ballots:
        for spelling in (json.dumps(choices, separators=(",", ":"), sort_keys=True),
                         json.dumps(choices), json.dumps(sorted(choices.values()))):
            assert spelling.encode() not in data, where


def _sqlite_bytes(db, tmp_path) -> dict[str, bytes]:
    path = backup.sqlite_path(str(db.engine.url))
    copy = tmp_path / "backup.sqlite"
    backup.backup_sqlite(str(db.engine.url), copy)
    found = {"main file": path.read_bytes(), "ballot backup": copy.read_bytes()}
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size:
        found["-wal"] = wal.read_bytes()
    return found


def _postgres_pages(db) -> dict[str, bytes]:
    """Every page of every heap, index and TOAST relation of this database (superuser)."""
    db.session.execute(text("CHECKPOINT"))
    paths = db.session.execute(text(
        "SELECT c.relname, pg_relation_filepath(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'i', 't') AND n.nspname IN ('public', 'pg_toast') "
        "AND pg_relation_filepath(c.oid) IS NOT NULL")).all()
    pages = {}
    for name, path in paths:
        data = db.session.execute(text("SELECT pg_read_binary_file(:p, 0, 1 << 26, true)"),
                                  {"p": path}).scalar()
        if data:
            pages[f"relation {name}"] = bytes(data)
    return pages


def _postgres_wal(db, start_lsn: str) -> bytes:
    """The WAL's raw bytes from ``start_lsn`` to the current insert position."""
    db.session.execute(text("CHECKPOINT"))
    end_lsn = db.session.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar()
    size = db.session.execute(text("SELECT setting::bigint FROM pg_settings "
                                   "WHERE name = 'wal_segment_size'")).scalar()
    chunks = []
    lsn = start_lsn
    while True:
        name, offset = db.session.execute(
            text("SELECT file_name, file_offset FROM pg_walfile_name_offset(CAST(:l AS pg_lsn))"),
            {"l": lsn}).one()
        remaining = db.session.execute(
            text("SELECT CAST(:e AS pg_lsn) - CAST(:l AS pg_lsn)"), {"e": end_lsn, "l": lsn}).scalar()
        length = int(min(size - offset, remaining))
        if length <= 0:
            break
        chunks.append(bytes(db.session.execute(
            text("SELECT pg_read_binary_file('pg_wal/' || :n, :o, :len)"),
            {"n": name, "o": offset, "len": length}).scalar()))
        lsn = db.session.execute(text("SELECT CAST(:l AS pg_lsn) + :n"),
                                 {"l": lsn, "n": length}).scalar()
    return b"".join(chunks)


def test_no_single_ballot_is_stored_anywhere(app, db, tmp_path):
    postgres = db.engine.dialect.name == "postgresql"
    start_lsn = db.session.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar() \
        if postgres else None
    db.session.commit()
    session, ballots, result = _run_session(db)
    # The count is right: the decrypted totals are the sums of the ballots the test cast.
    for code in result.candidates:
        assert result.counts[code].for_ == sum(b[code] == "for" for b in ballots)
        assert result.counts[code].against == sum(b[code] == "against" for b in ballots)
    stored = _postgres_pages(db) if postgres else _sqlite_bytes(db, tmp_path)
    if postgres:
        stored["WAL written during the session"] = _postgres_wal(db, start_lsn)
    for where, data in stored.items():
        _assert_no_ballot_in(data, ballots, where)
    # The ciphertexts themselves are there (the scan reads the right bytes).
    entry = db.session.execute(select(BoardEntry)).scalars().first()
    alpha = json.loads(entry.payload)["ballot"]["projects"][0]["for"]["a"].encode()
    assert any(alpha in data for data in stored.values())


def test_only_the_rounds_totals_were_ever_decrypted(app, db):
    session, _ballots_cast, _result = _run_session(db, count=9)
    round_ = rounds.get_round(session, 1)
    payloads = [json.loads(p) for p in db.session.execute(
        select(BoardEntry.payload).where(BoardEntry.session_id == session.id)).scalars()]
    # The products the cards decrypted are exactly the sums of every entry's ciphertexts…
    summed = proofs.tally_product([p["ballot"] for p in payloads], len(round_.candidates))
    products = [Ciphertext.from_json(round_.box_products[code][kind], allow_identity=True)
                for code in round_.candidates for kind in ("for", "against")]
    assert products == proofs.flatten(summed)
    # …and each card decrypted those 24 values, no more, with proofs that hold.
    context = proofs.decryption_context(session.key_fingerprint, 1)
    partials = db.session.execute(select(BoxPartial)).scalars().all()
    assert len(partials) == session.box_threshold == 2
    from ballot.services import box

    for partial in partials:
        assert len(partial.partial["decryptions"]) == 2 * len(round_.candidates)
        proofs.verify_partial(box.box_key(session), products, partial.partial, context)
    # No single ballot's ciphertext is among the values decrypted (9 ballots, none alone).
    singles = {p["ballot"]["projects"][0]["for"]["a"] for p in payloads}
    assert round_.box_products["01"]["for"]["a"] not in singles


def test_a_mixed_session_stores_no_paper_reading_either(app, db, tmp_path):
    """Kiosk and paper ballots: the counters' two passes and the scrutineer's checked reading
    are sealed while they wait, the paper ballots go on the board encrypted, and no reading is
    anywhere in the database files, during the entry or after the count."""
    from ballot.services import paper_count, voting
    from ballot.services.paper_count import Reading
    from tests.conftest import make_user

    postgres = db.engine.dialect.name == "postgresql"
    start_lsn = db.session.execute(text("SELECT pg_current_wal_insert_lsn()")).scalar() \
        if postgres else None
    db.session.commit()
    session, kiosk = voting_session(delegates=10)
    kiosk_ballots, paper_ballots = _ballots(6, seed=22), _ballots(4, seed=23)
    people = session_delegates(session)
    for delegate, choices in zip(people[:6], kiosk_ballots, strict=True):
        token, _ = issue(session, kiosk, delegate)
        cast(session, kiosk, token, choices)
    for delegate in people[6:]:
        voting.issue_paper(session, delegate, "staff", "代表要求")
    db.session.commit()
    rounds.close_round(session, "chair")
    counters = make_user("jp1", "counter"), make_user("jp2", "counter")
    chief = make_user("jianpiao", "scrutineer")
    db.session.commit()
    misread = dict(paper_ballots[1], **{"05": "abstain" if paper_ballots[1]["05"] != "abstain"
                                        else "against"})
    for pass_no, counter in zip((1, 2), counters, strict=True):
        for number, choices in enumerate(paper_ballots, start=1):
            reading = misread if (pass_no, number) == (2, 2) else choices
            paper_count.record_sheet(session, 1, pass_no, number, Reading(reading), counter)
        db.session.commit()
    paper_count.resolve(session, 1, 2, Reading(paper_ballots[1]), chief)
    db.session.commit()
    everything = [*kiosk_ballots, *paper_ballots, misread]
    waiting = _postgres_pages(db) if postgres else _sqlite_bytes(db, _mkdir(tmp_path / "waiting"))
    paper_count.finish(session, 1, chief)
    db.session.commit()
    result = open_box(session)
    for code in result.candidates:
        assert result.counts[code].for_ == sum(b[code] == "for" for b in everything[:10])
    stored = _postgres_pages(db) if postgres else _sqlite_bytes(db, tmp_path)
    if postgres:
        stored["WAL written during the session"] = _postgres_wal(db, start_lsn)
    stored.update({f"while entering: {k}": v for k, v in waiting.items()})
    for where, data in stored.items():
        _assert_no_ballot_in(data, everything, where)
    assert result.returned_by_kind == {"kiosk": 6, "paper": 4}


def _mkdir(path):
    path.mkdir()
    return path

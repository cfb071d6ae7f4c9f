"""Secrecy (DESIGN §3): nothing stored, published or logged ties a ballot to a delegate or a time."""

from __future__ import annotations

import base64
import json
import logging
import re

import sqlalchemy as sa
from sqlalchemy import inspect, select, text

from ballot import crypto
from ballot.models import AuditEntry
from ballot.services import board, rounds, voting
from tests.factories import add_kiosk, card, cast, issue, session_delegates, voting_session

BALLOT_TABLES = {"board_entries", "ballot_tokens"}
TIME_TYPES = (sa.DateTime, sa.Date, sa.Time, sa.Interval)
TIME_OR_ORDER_NAME = re.compile(r"(time|date|_at$|created|updated|seq|serial|order|position|when)")
BALLOT_NAME = re.compile(r"(token|ballot_id|entry|hash|choice|payload|signature|tracking)")
ISSUE_TOKEN_LINK = ("ballot_issues", "token_hash")


def _delegate_tables(insp) -> list[str]:
    return [t for t in insp.get_table_names()
            if any(fk["referred_table"] == "delegates" for fk in insp.get_foreign_keys(t))]


def test_schema_cannot_tie_a_ballot_or_token_to_a_delegate_or_a_time(db):
    insp = inspect(db.engine)
    tables = set(insp.get_table_names())
    assert tables >= BALLOT_TABLES
    for table in BALLOT_TABLES:
        for column in insp.get_columns(table):
            assert not isinstance(column["type"], TIME_TYPES), (table, column["name"])
            assert not TIME_OR_ORDER_NAME.search(column["name"]), (table, column["name"])
            assert not re.search(r"delegate|user|actor|seat|name", column["name"]), column
        referred = {fk["referred_table"] for fk in insp.get_foreign_keys(table)}
        assert referred <= {"vote_sessions", "kiosks"}, (table, referred)
        # A random-hash key, never an autoincrement that would number ballots in casting order.
        for name in insp.get_pk_constraint(table)["constrained_columns"]:
            column = next(c for c in insp.get_columns(table) if c["name"] == name)
            assert isinstance(column["type"], sa.String), (table, name)
    # Nothing anywhere can point at a ballot or a token.
    for table in tables:
        for fk in insp.get_foreign_keys(table):
            assert fk["referred_table"] not in BALLOT_TABLES, (table, fk)
    # Tables that name a delegate hold no ballot material; the issued mark also has no time.
    # One exception, by design (DESIGN §3): the mark keeps the hash of the token it issued, so
    # it is cleared only by voiding that very unused token; the ballot id is derived from the
    # raw token by another derivation (test_issue_marks_hold_no_ballot_id_or_entry below).
    delegate_tables = _delegate_tables(insp)
    assert "ballot_issues" in delegate_tables
    for table in delegate_tables:
        for column in insp.get_columns(table):
            if (table, column["name"]) == ISSUE_TOKEN_LINK:
                continue
            assert not BALLOT_NAME.search(column["name"]), (table, column["name"])
    for column in insp.get_columns("ballot_issues"):
        assert not isinstance(column["type"], TIME_TYPES)
        assert not TIME_OR_ORDER_NAME.search(column["name"])
    if db.engine.dialect.name == "sqlite":
        for table in BALLOT_TABLES:
            sql = db.session.execute(
                text("SELECT sql FROM sqlite_master WHERE type='table' AND name=:t"), {"t": table}
            ).scalar_one()
            assert "WITHOUT ROWID" in sql.upper(), table


def _cast_many(session, count: int):
    """Cast ``count`` ballots at two kiosks; returns the ballot ids in casting order and secrets."""
    kiosks = [add_kiosk(session, "投票机A"), add_kiosk(session, "投票机B")]
    secrets_seen: list[str] = []
    order: list[str] = []
    for i, delegate in enumerate(session_delegates(session)[:count]):
        kiosk = kiosks[i % 2]
        token, _ = issue(session, kiosk, delegate)
        choices = {f"{j:02d}": ("for" if (i + j) % 3 else "against") for j in range(1, 10)}
        receipt = cast(session, kiosk, token, choices)
        ballot_id = crypto.ballot_id_from_token(token)
        order.append(ballot_id)
        secrets_seen += [token.hex(), base64.urlsafe_b64encode(token).decode(),
                         crypto.token_hash(token), ballot_id, receipt.tracking_code,
                         receipt.tracking_code.replace("-", "")]
    return order, secrets_seen


def test_issue_marks_hold_no_ballot_id_or_entry(db):
    session, _ = voting_session(delegates=20)
    _cast_many(session, 8)
    marks = json.dumps([list(row) for row in db.session.execute(
        text("SELECT * FROM ballot_issues")).all()])
    entries = db.session.execute(text("SELECT ballot_id, entry_hash FROM board_entries")).all()
    assert len(entries) == 8
    for ballot_id, entry_hash in entries:
        assert ballot_id not in marks and entry_hash not in marks
        assert crypto.tracking_code(entry_hash).replace("-", "").lower() not in marks.lower()


def test_board_and_table_order_say_nothing_about_casting_order(db):
    session, _ = voting_session(delegates=60)
    order, _ = _cast_many(session, 40)
    rounds.close_round(session, "chair")
    db.session.commit()

    published = board.published_entries(session, 1)
    hashes = [e["hash"] for e in published]
    assert hashes == sorted(hashes) and len(hashes) == 40
    assert [e["payload"]["ballot_id"] for e in published] != order
    document = json.dumps(board.board_document(session), ensure_ascii=False)
    assert not re.search(r"\d{4}-\d\d-\d\dT|_at\"|\"time", document)

    plain = db.session.execute(text("SELECT ballot_id, entry_hash FROM board_entries")).all()
    assert sorted(b for b, _ in plain) == sorted(order)
    assert [b for b, _ in plain] != order
    if db.engine.dialect.name == "postgresql":
        # close_round rewrote the heap in hash order.
        assert [h for _, h in plain] == sorted(h for _, h in plain)
    else:
        # WITHOUT ROWID: stored in primary-key (random ballot id) order.
        assert [b for b, _ in plain] == sorted(order)


def test_logs_and_audit_never_hold_tokens_codes_or_choices(app, db, caplog, client):
    caplog.set_level(logging.DEBUG)
    session, kiosk = voting_session(delegates=20)
    _, secrets_seen = _cast_many(session, 6)
    delegate = session_delegates(session)[10]
    token, _ = voting.issue_ballot(session, kiosk, card(session, delegate))
    db.session.commit()
    voting.return_token(session, kiosk, token, card(session, delegate))
    db.session.commit()
    released = session_delegates(session)[11]
    released_token, _ = voting.issue_ballot(session, kiosk, card(session, released))
    db.session.commit()
    voting.release_delegate(session, released, "staff", "测试")
    db.session.commit()
    rounds.close_round(session, "chair")
    db.session.commit()
    for unused in (token, released_token):
        secrets_seen += [unused.hex(), crypto.token_hash(unused)]
    client.get(f"/s/{session.slug}/board/")
    client.get(f"/s/{session.slug}/board.json")
    code = secrets_seen[4]
    client.post(f"/s/{session.slug}/board/lookup", data={"code": code})
    client.post(f"/s/{session.slug}/board/lookup.json", json={"code": code})

    logged = caplog.text
    for secret in secrets_seen:
        assert secret not in logged
        assert secret.lower() not in logged.lower()
    assert '"choices"' not in logged and "'choices'" not in logged
    audit_text = json.dumps([e.detail for e in db.session.execute(select(AuditEntry)).scalars()])
    for secret in secrets_seen:
        assert secret not in audit_text
    assert "choices" not in audit_text and "token" not in audit_text

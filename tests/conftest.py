"""Fixtures: a fresh app and database per test, on SQLite or on $BALLOT_TEST_DATABASE_URL."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from hypothesis import settings

from ballot.app import create_app
from ballot.cli import register as register_commands
from ballot.extensions import db as _db
from ballot.models import Candidate, Delegate, VoteSession
from ballot.services import accounts

PG_URL = os.environ.get("BALLOT_TEST_DATABASE_URL")
REQUIRE_ALL = os.environ.get("BALLOT_REQUIRE_ALL_TESTS") == "1"

# Property tests judge correctness, not speed (speed targets live in bench/): no per-example
# deadline, which a loaded CI machine can overrun with a correct example.
settings.register_profile("ballot", deadline=None)
settings.load_profile("ballot")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (temporary file per test)'}"


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason, except in CI where a missing service is a failure."""
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def app(tmp_path):
    """An app bound to an empty database with the current schema."""
    config = {"CONFIG_NAME": "test", "SQLALCHEMY_DATABASE_URI": PG_URL
              or f"sqlite:///{tmp_path / 'test.sqlite'}"}
    application = create_app(config)
    register_commands(application)  # as `ballot` does: tests run them with app.test_cli_runner()
    with application.app_context():
        if PG_URL:
            _db.drop_all()
        _db.create_all()
    yield application
    with application.app_context():
        _db.session.remove()
        if PG_URL:
            _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database handle inside an app context."""
    with app.app_context():
        yield _db
        _db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


def make_session(**overrides) -> VoteSession:
    """A draft session with sensible defaults (12 candidates for 10 slots, 60 delegates)."""
    candidates = overrides.pop("candidates", 12)
    delegates = overrides.pop("delegates", 60)
    values = {
        "slug": "test-session",
        "congress": "示范镇人大",
        "title": "示范镇第十八届人民代表大会第五次会议",
        "level": "乡镇",
        "date": dt.date(2027, 1, 15),
        "year": 2027,
        "quota": 10,
        "contested": True,
        "min_excess_ratio": Decimal("0.20"),
        "pass_basis": "roster",
        "state": "draft",
        # Three named scrutineers hold the ballot box's key cards (2 of 3 open it).
        "chief_scrutineer": "陈立",
        "scrutineers": "赵敏、孙伟",
    }
    values.update(overrides)
    session = VoteSession(**values)
    _db.session.add(session)
    _db.session.flush()
    for position in range(1, candidates + 1):
        _db.session.add(Candidate(session_id=session.id, position=position,
                                  title=f"民生项目{position}", department="镇政府",
                                  budget=Decimal("100")))
    for order in range(1, delegates + 1):
        _db.session.add(Delegate(session_id=session.id, roster_order=order, name=f"代表{order}",
                                 delegation="第一代表组", seat=f"{order:03d}"))
    _db.session.flush()
    _db.session.refresh(session)
    return session


# Key-card texts of the boxes the tests sealed, by session id: the tests play the scrutineers.
KEY_CARDS: dict[int, list[str]] = {}


def seal_box(session: VoteSession) -> list[str]:
    """Seal ``session``'s ballot box as staff would (committed); returns the key-card texts."""
    from ballot.services import box

    cards = box.seal(session, "staff", reprint=session.box_public_key is not None)
    _db.session.commit()
    KEY_CARDS[session.id] = [card.share_text for card in cards]
    return KEY_CARDS[session.id]


def open_box(session: VoteSession, number: int | None = None, actor: str = "scrutineer"):
    """Open the closed round's box with the first t key cards of the seal (committed); returns
    the round's result."""
    from ballot.domain.tally import RoundResult
    from ballot.services import opening, rounds

    if session.id in KEY_CARDS:
        for text in KEY_CARDS[session.id][: session.box_threshold]:
            opening.present_card(session, text, actor, number)
    else:  # sealed elsewhere (a drill of the demo, the web): its drill shares
        opening.open_with_drill_shares(session, actor, number)
    _db.session.commit()
    round_ = rounds.current_round(session) if number is None else rounds.get_round(session, number)
    return RoundResult.from_dict(round_.result)


def decrypt_ballot(session: VoteSession, payload: dict) -> dict[str, str]:
    """Test-only: one board entry's choices, decrypted with the box secret rebuilt from t key
    cards (the service never does this; its scrutineers decrypt only totals)."""
    from ballot.ballotbox import shares as box_shares
    from ballot.ballotbox.group import L, Point, base_mul
    from ballot.services import box, rounds

    key = box.box_key(session)
    texts = KEY_CARDS.get(session.id) or session.box_drill_shares
    cards = [box_shares.parse_share(t, session.key_fingerprint, key)
             for t in texts[: session.box_threshold]]
    lam = box_shares.lagrange_at_zero(c.index for c in cards)
    secret = sum(lam[c.index] * c.secret for c in cards) % L

    def bit(ct: dict) -> int:
        point = Point.from_hex(ct["b"]) - Point.from_hex(ct["a"]) * secret
        return 0 if point.is_identity() else 1 if point == base_mul(1) else -1

    codes = rounds.get_round(session, payload["round"]).candidates
    answers = {(1, 0): "for", (0, 1): "against", (0, 0): "abstain"}
    return {code: answers[(bit(p["for"]), bit(p["against"]))]
            for code, p in zip(codes, payload["ballot"]["projects"], strict=True)}


def close_and_open(session: VoteSession, actor: str = "chair"):
    """Close the open round as ``actor`` and open its box (committed); returns its result."""
    from ballot.services import rounds

    rounds.close_round(session, actor)
    _db.session.commit()
    return open_box(session)


def make_user(username: str = "staff", role: str = "staff", password: str = "correct-horse",
              congress: str | None = "示范镇人大"):
    """A staff account."""
    return accounts.create_user(username, password, role, "test", congress=congress)


@pytest.fixture
def login(client, db):
    """Log a user in as ``role``; returns the user."""

    def _login(role: str = "staff", username: str | None = None, congress: str | None = "示范镇人大"):
        user = make_user(username or role, role, congress=congress)
        _db.session.commit()
        response = client.post("/login", data={"username": user.username,
                                               "password": "correct-horse"})
        assert response.status_code == 302, response.data
        return user

    return _login

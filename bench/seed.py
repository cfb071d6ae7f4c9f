"""Fast bulk set-up of sessions in voting state (setup only: nothing here is measured).

Rows are written with bulk inserts instead of the services' one-by-one calls, but they end in
the same state the services leave: a locked list with a session key, delegates checked in with
current cards, enrolled voting kiosks, a chair account, and round 1 open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import insert, select, update

from ballot.ballotbox import shares as box_shares
from ballot.domain.states import State
from ballot.extensions import db
from ballot.models import Candidate, Delegate, Kiosk, Round, User, VoteSession, utcnow
from ballot.services import credentials, keys

CANDIDATES = 12
QUOTA = 10


@dataclass
class Seeded:
    """One seeded session: what its kiosks, delegates and chair screen need over HTTP."""

    session_id: int
    slug: str
    cards: list[str] = field(default_factory=list)
    kiosk_credentials: list[str] = field(default_factory=list)
    chair_user_id: int = 0
    chair_cookie: str = ""  # the chair's signed login cookie (see bench.run.Database.seed)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal_for_bench(session: VoteSession) -> None:
    """Seal the box 2 of 3 as a drill does, keeping the drill shares so the bench opens it."""
    public_key, dealt, commitments = box_shares.deal(2, 3)
    key = box_shares.BoxKey(2, 3, tuple(commitments))
    session.is_drill = True
    session.box_threshold, session.box_shares = 2, 3
    session.box_public_key = public_key.hex()
    session.box_commitments = [c.hex() for c in commitments]
    session.box_holders = ["王监票", "李监票", "赵监票"]
    session.box_fingerprint = key.fingerprint()
    session.box_drill_shares = [box_shares.encode_share(share, session.key_fingerprint, key)
                                for share in dealt]


def seed_sessions(app, prefix: str, count: int, delegates: int, kiosks: int) -> list[Seeded]:
    """Create ``count`` sessions of ``delegates`` each, ``kiosks`` voting kiosks each, voting open."""
    secret = app.config["KEY_ENCRYPTION_SECRET"]
    now = utcnow()
    with app.app_context():
        seeded: list[Seeded] = []
        for number in range(count):
            slug = f"{prefix}-{number}"
            session = VoteSession(
                slug=slug, congress=f"{prefix}镇人大{number}",
                title=f"{prefix}镇第十八届人民代表大会第五次会议（{number}）", level="乡镇",
                date=dt.date(2027, 1, 15), year=2027, quota=QUOTA, contested=True,
                min_excess_ratio=Decimal("0.20"), pass_basis="roster", state=State.VOTING,
                chief_scrutineer="王监票", scrutineers="李监票、赵监票", counters="钱计票")
            keys.create_session_key(session, secret)
            seal_for_bench(session)
            db.session.add(session)
            seeded.append(Seeded(session_id=0, slug=slug))
        db.session.flush()
        sessions = db.session.execute(
            select(VoteSession).where(VoteSession.slug.in_([s.slug for s in seeded]))
        ).scalars().all()
        by_slug = {s.slug: s for s in sessions}
        candidate_rows, round_rows, kiosk_rows, user_rows, delegate_rows = [], [], [], [], []
        codes = [f"{p:02d}" for p in range(1, CANDIDATES + 1)]
        for item in seeded:
            session = by_slug[item.slug]
            item.session_id = session.id
            for position, code in enumerate(codes, start=1):
                candidate_rows.append({
                    "session_id": session.id, "position": position, "code": code,
                    "title": f"民生项目{position}", "summary": "", "category": "",
                    "department": "镇政府", "budget": Decimal("100"), "source": ""})
            round_rows.append({"session_id": session.id, "number": 1, "quota": QUOTA,
                               "candidates": codes, "state": "open", "present": delegates})
            for k in range(kiosks):
                credential = secrets.token_urlsafe(32)
                item.kiosk_credentials.append(credential)
                kiosk_rows.append({"session_id": session.id, "name": f"投票机{k + 1}",
                                   "mode": "voting", "language": "zh",
                                   "credential_hash": _sha(credential), "created_at": now,
                                   "enrolled_at": now, "failed_scans": 0})
            user_rows.append({"username": f"chair-{item.slug}", "display_name": "主持人",
                              "password_hash": "bench-no-password-" + secrets.token_hex(16),
                              "role": "chair",
                              "congress": session.congress, "active": True, "created_at": now})
            for order in range(1, delegates + 1):
                delegate_rows.append({"session_id": session.id, "roster_order": order,
                                      "name": f"代表{order}", "delegation": "第一代表组",
                                      "seat": f"{order:05d}", "phone": "",
                                      "attendance": "present", "checked_in_at": now,
                                      "card_version": 1})
        db.session.execute(insert(Candidate), candidate_rows)
        db.session.execute(insert(Round), round_rows)
        db.session.execute(insert(Kiosk), kiosk_rows)
        users = db.session.execute(
            insert(User).returning(User.id, User.username, sort_by_parameter_order=True),
            user_rows).all()
        for item, (user_id, _name) in zip(seeded, users, strict=True):
            item.chair_user_id = user_id
        ids = db.session.execute(
            insert(Delegate).returning(Delegate.id, Delegate.session_id,
                                       sort_by_parameter_order=True),
            delegate_rows).all()
        slug_of = {item.session_id: item for item in seeded}
        card_rows = []
        for delegate_id, session_id in ids:
            item = slug_of[session_id]
            text = credentials._card_text(item.slug, delegate_id, 1)
            item.cards.append(text)
            card_rows.append({"id": delegate_id, "credential_hash": credentials.credential_hash(text)})
        db.session.execute(update(Delegate), card_rows)
        db.session.commit()
        return seeded

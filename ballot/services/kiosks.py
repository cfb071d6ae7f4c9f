"""Kiosk enrolment: one-time pairing codes, long-lived device credentials, revocation, scan limits.

Staff create a kiosk with a short pairing code; the browser that enters it receives a device
credential (kept in an HttpOnly cookie). Only SHA-256 hashes of both are stored.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import contains_eager, load_only

from ballot.domain.errors import (
    N_,
    InvalidInput,
    NotFound,
    PairingCodeInvalid,
    TooManyFailedScans,
)
from ballot.domain.states import State
from ballot.extensions import db
from ballot.models import Kiosk, VoteSession, utcnow
from ballot.models.kiosks import KIOSK_MODES
from ballot.services import audit, sessions

# No 0/O, 1/I/L: the code is read off a staff screen and typed on a touch keyboard.
PAIRING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PAIRING_LENGTH = 8
PAIRING_TTL = timedelta(minutes=15)
# How stale the staff desk's "last seen" may be. Each refresh is a write transaction; a minute
# keeps a province's thousands of idle kiosks (polling every 15 s) to one write in four polls.
SEEN_INTERVAL = timedelta(seconds=60)
# A kiosk not seen for this long is shown offline to staff: kiosks call the server at least once
# a minute (kiosk-vote.js, kiosk-checkin.js) and last_seen_at moves at most every SEEN_INTERVAL.
ONLINE_WINDOW = timedelta(seconds=150)
KIOSK_LANGUAGES = ("zh", "en")
FAILED_SCAN_LIMIT = 10
FAILED_SCAN_WINDOW = timedelta(seconds=60)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_pairing_code(code: str) -> str:
    """Upper-case the code and drop spaces and dashes, as people type it."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def format_pairing_code(code: str) -> str:
    """Show a code as two groups of four: ``ABCD-2345``."""
    return f"{code[:4]}-{code[4:]}"


def list_kiosks(session: VoteSession) -> list[Kiosk]:
    """The session's kiosks, newest first (revoked ones included)."""
    return list(db.session.execute(
        select(Kiosk).where(Kiosk.session_id == session.id).order_by(Kiosk.id.desc())
    ).scalars())


def health(session: VoteSession, now: datetime | None = None) -> list[dict]:
    """Each enrolled, working kiosk of ``session`` with whether it is online: seen within
    ONLINE_WINDOW (kiosks call the server at least once a minute; ``last_seen_at`` moves at
    most every SEEN_INTERVAL). Check-in kiosks first, then voting kiosks, by name."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Kiosk.id, Kiosk.name, Kiosk.mode, Kiosk.last_seen_at)
        .where(Kiosk.session_id == session.id, Kiosk.revoked_at.is_(None),
               Kiosk.enrolled_at.is_not(None))
        .order_by(Kiosk.mode, Kiosk.name, Kiosk.id)
    ).all()
    return [{"id": kid, "name": name, "mode": mode, "last_seen_at": seen,
             "online": seen is not None and now - seen <= ONLINE_WINDOW}
            for kid, name, mode, seen in rows]


def get_kiosk(session: VoteSession, kiosk_id: int) -> Kiosk:
    """A kiosk of ``session`` by id, or NotFound."""
    kiosk = db.session.get(Kiosk, kiosk_id)
    if kiosk is None or kiosk.session_id != session.id:
        raise NotFound(N_("找不到该设备。"))
    return kiosk


def create_pairing(session: VoteSession, name: str, mode: str, actor: str,
                   now: datetime | None = None) -> tuple[Kiosk, str]:
    """Register a kiosk and return it with its one-time pairing code (shown to staff once)."""
    sessions.require_state(session, State.DRAFT, State.LOCKED, State.CHECKIN, State.VOTING,
                           State.CLOSED)
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput(N_("请填写设备名称（不超过 60 个字）。"))
    if mode not in KIOSK_MODES:
        raise InvalidInput(N_("设备用途只能是签到或投票。"))
    now = now or utcnow()
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))
    kiosk = Kiosk(session_id=session.id, name=name, mode=mode, pairing_code_hash=_hash(code),
                  pairing_expires_at=now + PAIRING_TTL, created_at=now)
    db.session.add(kiosk)
    db.session.flush()
    audit.record(actor, "kiosk.create", session, kiosk_id=kiosk.id, name=name, mode=mode)
    return kiosk, code


def enrol(code: str, now: datetime | None = None) -> tuple[Kiosk, str]:
    """Redeem a pairing code once; returns the kiosk and its new device credential."""
    now = now or utcnow()
    normal = normalise_pairing_code(code)
    kiosk = None
    if len(normal) == PAIRING_LENGTH:
        kiosk = db.session.execute(
            select(Kiosk).where(Kiosk.pairing_code_hash == _hash(normal))
        ).scalar_one_or_none()
    if (kiosk is None or kiosk.revoked_at is not None or kiosk.pairing_expires_at is None
            or kiosk.pairing_expires_at <= now):
        raise PairingCodeInvalid()
    credential = secrets.token_urlsafe(32)
    kiosk.pairing_code_hash = None
    kiosk.pairing_expires_at = None
    kiosk.credential_hash = _hash(credential)
    kiosk.enrolled_at = now
    kiosk.last_seen_at = now
    audit.record(f"kiosk:{kiosk.id}", "kiosk.enrol", db.session.get(VoteSession, kiosk.session_id),
                 kiosk_id=kiosk.id, name=kiosk.name, mode=kiosk.mode)
    return kiosk, credential


@functools.cache
def _kiosk_statement():
    """Built once: every kiosk request runs it.

    Only the columns kiosk pages and the ballot flow read are loaded (another one, read
    elsewhere, loads on first use): each column a row carries costs the driver and the ORM
    time on every request, and this query is a sixth of a busy server's work.
    """
    return select(Kiosk).join(Kiosk.session).where(
        Kiosk.credential_hash == bindparam("credential_hash")
    ).options(
        load_only(Kiosk.id, Kiosk.session_id, Kiosk.name, Kiosk.mode, Kiosk.language,
                  Kiosk.last_seen_at, Kiosk.revoked_at, Kiosk.failed_scans,
                  Kiosk.failed_scans_since),
        contains_eager(Kiosk.session).load_only(
            VoteSession.id, VoteSession.slug, VoteSession.title, VoteSession.is_drill,
            VoteSession.state,
            VoteSession.quota, VoteSession.contested, VoteSession.key_fingerprint,
            VoteSession.private_key_encrypted),
    )


def authenticate(device_credential: str | None) -> Kiosk | None:
    """The enrolled, unrevoked kiosk holding ``device_credential``, or None.

    ``kiosk.session`` comes with it in the same query: every kiosk request, polls included,
    starts here. Only reads: the guard refreshes the last-seen time (``seen_is_stale``,
    ``note_seen``) in a short transaction of its own.
    """
    if not device_credential or len(device_credential) > 200:
        return None
    kiosk = db.session.execute(
        _kiosk_statement(), {"credential_hash": _hash(device_credential)}
    ).scalar_one_or_none()
    if kiosk is None or kiosk.revoked_at is not None:
        return None
    return kiosk


def seen_is_stale(kiosk: Kiosk, now: datetime) -> bool:
    """Whether ``last_seen_at`` is due a refresh: at most every SEEN_INTERVAL, so a polling
    kiosk does not write on every request."""
    return kiosk.last_seen_at is None or now - kiosk.last_seen_at >= SEEN_INTERVAL


def note_seen(kiosk_id: int, now: datetime) -> None:
    """Store when the kiosk was last seen (one UPDATE; nothing else of the kiosk is written)."""
    db.session.execute(update(Kiosk).where(Kiosk.id == kiosk_id).values(last_seen_at=now)
                       .execution_options(synchronize_session=False))


def revoke(session: VoteSession, kiosk: Kiosk, actor: str) -> None:
    """Revoke a kiosk: its browser (and any unused pairing code) stops working at once."""
    if kiosk.revoked_at is not None:
        return
    kiosk.revoked_at = utcnow()
    kiosk.pairing_code_hash = None
    kiosk.credential_hash = None
    audit.record(actor, "kiosk.revoke", session, kiosk_id=kiosk.id, name=kiosk.name,
                 mode=kiosk.mode)


def set_language(session: VoteSession, kiosk: Kiosk, language: str, actor: str) -> None:
    """Choose the language a kiosk's pages speak (staff set it; delegates cannot change it)."""
    if language not in KIOSK_LANGUAGES:
        raise InvalidInput(N_("设备语言只能是中文或英文。"))
    if kiosk.revoked_at is not None:
        raise InvalidInput(N_("该设备已停用，不能再修改。"))
    if kiosk.language == language:
        return
    audit.record(actor, "kiosk.language", session, kiosk_id=kiosk.id, name=kiosk.name,
                 source=kiosk.language, target=language)
    kiosk.language = language


def check_scan_allowed(kiosk: Kiosk, now: datetime | None = None) -> None:
    """Raise TooManyFailedScans while this kiosk is over its failed-scan limit."""
    now = now or utcnow()
    since = kiosk.failed_scans_since
    if since is not None and kiosk.failed_scans >= FAILED_SCAN_LIMIT:
        remaining = (since + FAILED_SCAN_WINDOW - now).total_seconds()
        if remaining > 0:
            raise TooManyFailedScans(seconds=int(remaining) + 1)


def note_failed_scan(kiosk: Kiosk, now: datetime | None = None) -> None:
    """Count an unrecognised scan; one atomic UPDATE so concurrent processes never lose a count."""
    now = now or utcnow()
    stale = Kiosk.failed_scans_since.is_(None) | (Kiosk.failed_scans_since <= now - FAILED_SCAN_WINDOW)
    db.session.execute(
        update(Kiosk).where(Kiosk.id == kiosk.id).values(
            failed_scans=case((stale, 1), else_=Kiosk.failed_scans + 1),
            failed_scans_since=case((stale, now), else_=Kiosk.failed_scans_since),
        ).execution_options(synchronize_session=False)
    )
    db.session.refresh(kiosk, ["failed_scans", "failed_scans_since"])

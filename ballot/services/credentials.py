"""Delegate card credentials: the text in a card's QR code, of which only a hash is stored.

A card reads ``PJ1.<session slug>.<delegate id>.<card version>.<secret>``. The secret is 160
random bits (base32); the session slug, delegate id and version are there so that a card of
another session or a replaced card can be told apart from a card that was never issued.
The database keeps only SHA-256 of the whole text, so a copy of it cannot print cards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from ballot.domain.errors import CardOfOtherSession, CardReplaced, UnknownCard
from ballot.extensions import db
from ballot.models import Delegate, VoteSession, utcnow
from ballot.services import audit, localtime

PREFIX = "PJ1"
SECRET_BYTES = 20  # 160 bits
MAX_TEXT = 200


def credential_hash(text: str) -> str:
    """The stored form of a card text: SHA-256 hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _card_text(slug: str, delegate_id: int, version: int) -> str:
    secret = base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")
    return f"{PREFIX}.{slug}.{delegate_id}.{version}.{secret}"


def issue_card(delegate: Delegate, actor: str, reason: str = "") -> str:
    """Issue ``delegate`` a fresh card and return its QR text; any earlier card stops working.

    ``reason`` (why a card is replaced: lost, damaged …) goes into the audit entry."""
    session = db.session.get(VoteSession, delegate.session_id)
    replacing = delegate.credential_hash is not None
    delegate.card_version = (delegate.card_version or 0) + 1
    delegate.card_issued_at = utcnow()
    text = _card_text(session.slug, delegate.id, delegate.card_version)
    delegate.credential_hash = credential_hash(text)
    detail = {"reason": reason} if reason else {}
    audit.record(actor, "card.reissue" if replacing else "card.issue", session,
                 delegate_id=delegate.id, name=delegate.name, version=delegate.card_version,
                 **detail)
    return text


def issue_cards(session: VoteSession, delegates: list[Delegate], actor: str) -> list[str]:
    """Issue fresh cards to ``delegates`` at once (one audit entry); returns their QR texts."""
    texts = []
    replaced = 0
    now = utcnow()
    for delegate in delegates:
        replaced += delegate.credential_hash is not None
        delegate.card_version = (delegate.card_version or 0) + 1
        delegate.card_issued_at = now
        text = _card_text(session.slug, delegate.id, delegate.card_version)
        delegate.credential_hash = credential_hash(text)
        texts.append(text)
    audit.record(actor, "card.issue_all", session, count=len(delegates), replaced=replaced)
    return texts


def _parse(text: str) -> tuple[str, int, int] | None:
    parts = text.split(".")
    if len(parts) != 5 or parts[0] != PREFIX:
        return None
    _, slug, delegate_id, version, secret = parts
    numbers = (delegate_id, version)
    if not (slug and all(n.isascii() and n.isdigit() and len(n) <= 10 for n in numbers)
            and secret.isalnum() and int(delegate_id) < 2**31):  # the id column's range
        return None
    return slug, int(delegate_id), int(version)


def identify(session: VoteSession, text: str) -> Delegate:
    """The delegate of ``session`` whose current card reads ``text``.

    Raises UnknownCard, CardOfOtherSession (a valid card of another session) or CardReplaced
    (an older version of a card that has since been reissued).
    """
    text = (text or "").strip()
    parsed = _parse(text) if len(text) <= MAX_TEXT else None
    if parsed is None:
        raise UnknownCard()
    slug, delegate_id, version = parsed
    delegate = db.session.get(Delegate, delegate_id)
    if delegate is None:
        raise UnknownCard()
    owner = session if delegate.session_id == session.id else db.session.get(
        VoteSession, delegate.session_id)
    if owner.slug != slug:
        raise UnknownCard()
    current = delegate.credential_hash is not None and hmac.compare_digest(
        delegate.credential_hash, credential_hash(text))
    if 0 < version < delegate.card_version and not current:
        # Only the newest card's hash is kept, so an older version cannot be checked further.
        raise CardReplaced(old=version, current=delegate.card_version,
                           date=localtime.date_text(delegate.card_issued_at))
    if not current:
        raise UnknownCard()
    if owner.id != session.id:
        raise CardOfOtherSession()
    return delegate

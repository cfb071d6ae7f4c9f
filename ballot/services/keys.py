"""Session keys: created at lock, private half encrypted at rest with a configuration secret."""

from __future__ import annotations

from ballot import crypto
from ballot.models import VoteSession


def create_session_key(session: VoteSession, secret: str) -> None:
    """Give ``session`` a fresh Ed25519 key pair; only the encrypted private key is stored."""
    key = crypto.generate_key()
    session.public_key = crypto.public_key_pem(key)
    session.private_key_encrypted = crypto.encrypt_private_key(key, secret.encode())
    session.key_fingerprint = crypto.fingerprint(key)


def private_key(session: VoteSession, secret: str):
    """The session's private key, decrypted for signing."""
    return crypto.decrypt_private_key(session.private_key_encrypted, secret.encode())


def public_key(session: VoteSession):
    """The session's public key object."""
    return crypto.load_public_key_pem(session.public_key)


def spoken_fingerprint(session: VoteSession) -> str:
    """The fingerprint as read out in the hall (groups of four), or "" before locking."""
    return crypto.format_fingerprint(session.key_fingerprint) if session.key_fingerprint else ""

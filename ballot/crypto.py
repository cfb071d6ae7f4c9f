"""Session keys, canonical JSON, signatures, board entries and ballot-token derivations.

No Flask and no database: the server and the offline verifier (``ballot.verify``) share this
module, so what the server signs is byte for byte what the verifier checks. The formats are
specified in docs/audit-bundle.md; change one only together with that document.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_KEY_MAGIC = b"PJK1"  # piaojue key blob, version 1
_KEY_SALT_BYTES = 16
_KEY_NONCE_BYTES = 12
_KEY_INFO = b"piaojue/session-key-wrap/v1"
_BALLOT_ID_DOMAIN = b"piaojue/ballot-id/v1\0"
_TOKEN_DOMAIN = b"piaojue/token/v1\0"
_BALLOT_ID_RE = re.compile(r"[0-9a-f]{32}")
_HASH_RE = re.compile(r"[0-9a-f]{64}")
_FINGERPRINT_SEPARATORS = re.compile(r"[\s:\-]")

TOKEN_BYTES = 32
SIGNATURE_BYTES = 64
# The fingerprint read aloud in the hall is its first 32 hex digits (128 bits); a verifier may
# be given only those, but never fewer, or a look-alike key becomes cheap to forge.
SPOKEN_FINGERPRINT_CHARS = 32


class KeyDecryptionError(ValueError):
    """The encrypted session key is damaged or the configuration secret is wrong."""


# --- keys -------------------------------------------------------------------------------------


def generate_key() -> Ed25519PrivateKey:
    """Create a new Ed25519 session key pair."""
    return Ed25519PrivateKey.generate()


def _wrapping_key(secret: bytes, salt: bytes) -> bytes:
    # HKDF, not a password hash: the configuration secret is a random key (production refuses
    # to start without one), and the server unwraps the session key on every accepted ballot.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_KEY_INFO).derive(secret)


def encrypt_private_key(key: Ed25519PrivateKey, secret: bytes) -> bytes:
    """Encrypt a session key at rest: b"PJK1" | salt(16) | nonce(12) | AES-256-GCM(raw key)."""
    if not secret:
        raise ValueError("the configuration secret must not be empty")
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    salt = os.urandom(_KEY_SALT_BYTES)
    nonce = os.urandom(_KEY_NONCE_BYTES)
    sealed = AESGCM(_wrapping_key(secret, salt)).encrypt(nonce, raw, _KEY_MAGIC)
    return _KEY_MAGIC + salt + nonce + sealed


def decrypt_private_key(blob: bytes, secret: bytes) -> Ed25519PrivateKey:
    """Decrypt a blob from encrypt_private_key(); raises KeyDecryptionError on any mismatch."""
    head = len(_KEY_MAGIC) + _KEY_SALT_BYTES + _KEY_NONCE_BYTES
    if not blob.startswith(_KEY_MAGIC) or len(blob) != head + 32 + 16:
        raise KeyDecryptionError("not an encrypted piaojue session key")
    salt = blob[len(_KEY_MAGIC) : len(_KEY_MAGIC) + _KEY_SALT_BYTES]
    nonce = blob[head - _KEY_NONCE_BYTES : head]
    try:
        raw = AESGCM(_wrapping_key(secret, salt)).decrypt(nonce, blob[head:], _KEY_MAGIC)
    except InvalidTag:
        raise KeyDecryptionError("wrong configuration secret or damaged key") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def _public(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM (what openssl -pubin reads)."""
    return _public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key_pem(pem: bytes) -> Ed25519PublicKey:
    """Parse a PEM public key; raises ValueError unless it is Ed25519."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    return key


def fingerprint(public_key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, lowercase hex (64 chars)."""
    raw = _public(public_key).public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()


def format_fingerprint(fp: str) -> str:
    """The spoken form: first 32 hex digits, upper case, in groups of 4 ("3FA2 91BC …")."""
    head = normalize_fingerprint(fp)[:SPOKEN_FINGERPRINT_CHARS].upper()
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))


def normalize_fingerprint(text: str) -> str:
    """Lowercase hex with spaces, colons and dashes removed; ValueError if not hex."""
    cleaned = _FINGERPRINT_SEPARATORS.sub("", text).lower()
    if not cleaned or not re.fullmatch(r"[0-9a-f]+", cleaned):
        raise ValueError(f"not a hex fingerprint: {text!r}")
    return cleaned


def fingerprint_matches(expected: str, actual: str) -> bool:
    """True when `expected` (full or the spoken 32-digit form, any case/separators) is `actual`."""
    want = normalize_fingerprint(expected)
    if len(want) < SPOKEN_FINGERPRINT_CHARS or len(want) > len(actual):
        return False
    return secrets.compare_digest(want, actual[: len(want)])


# --- canonical JSON and signatures ------------------------------------------------------------


def _check_canonical(obj: Any, path: str) -> None:
    # Floats have no single text form across languages, so signed documents carry none.
    if obj is None or isinstance(obj, bool | int | str):
        return
    if isinstance(obj, float):
        raise TypeError(f"float at {path} is not allowed in canonical JSON; use a decimal string")
    if isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            _check_canonical(item, f"{path}[{i}]")
        return
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            if not isinstance(key, str):
                raise TypeError(f"non-string key {key!r} at {path}")
            _check_canonical(value, f"{path}.{key}")
        return
    raise TypeError(f"{type(obj).__name__} at {path} is not allowed in canonical JSON")


def _plainly_canonical(obj: Any) -> bool:
    # The usual case (plain dicts and lists of str, int, bool, None), checked without building
    # a path for every value; anything else goes through _check_canonical, which names the path.
    kind = type(obj)
    if kind is str or kind is int or kind is bool or obj is None:
        return True
    if kind is dict:
        return all(type(key) is str and _plainly_canonical(value) for key, value in obj.items())
    if kind is list or kind is tuple:
        return all(_plainly_canonical(item) for item in obj)
    return False


def canonical_json(obj: Any, *, plain: bool = False) -> bytes:
    """Sorted keys, no whitespace, UTF-8, no floats: the bytes that are hashed and signed.

    ``plain=True``: the caller has already checked that ``obj`` holds only dicts with string
    keys, lists, strings, integers, booleans and None (the verifier checks every payload's
    shape anyway), so the type walk is skipped.
    """
    if not plain and not _plainly_canonical(obj):
        _check_canonical(obj, "$")
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate has no UTF-8 form
        raise ValueError(f"string is not valid Unicode: {exc}") from None


def sign(private_key: Ed25519PrivateKey, data: bytes) -> bytes:
    """Raw 64-byte Ed25519 signature over `data`."""
    return private_key.sign(data)


def verify_signature(public_key: Ed25519PublicKey, data: bytes, sig: bytes) -> bool:
    """True when `sig` is a valid Ed25519 signature of `data` under `public_key`."""
    if len(sig) != SIGNATURE_BYTES:
        return False
    try:
        public_key.verify(sig, data)
    except InvalidSignature:
        return False
    return True


def encode_signature(sig: bytes) -> str:
    """Standard padded base64, as entries carry it."""
    return base64.b64encode(sig).decode("ascii")


# A 64-byte Ed25519 signature in canonical padded base64: 86 digits, the last with its four
# unused low bits zero, and "==" (the verifier's fast path; anything else is checked in full).
_CANONICAL_SIGNATURE = re.compile(r"[A-Za-z0-9+/]{85}[AQgw]==")


def decode_signature(text: str) -> bytes:
    """Inverse of encode_signature; ValueError unless the text is its exact canonical form."""
    if isinstance(text, str) and _CANONICAL_SIGNATURE.fullmatch(text):
        return base64.b64decode(text)
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("signature is not base64") from None
    # Refuse non-canonical spellings (stray low bits in the last digit), so one signature has
    # exactly one text form and a changed character never goes unnoticed.
    if encode_signature(raw) != text:
        raise ValueError("signature is not canonical base64")
    return raw


# --- board entries ----------------------------------------------------------------------------


def entry_payload(ballot_id: str, round_number: int, ballot: Mapping[str, Any]) -> dict:
    """The signed part of a board entry: the ballot id, the round and the encrypted ballot
    (docs/ballot-box.md §4.6); ValueError on a malformed id or round, or a ballot that is not
    an encrypted ballot's shape (its proofs are checked by ``ballot.ballotbox``)."""
    if not isinstance(ballot_id, str) or not _BALLOT_ID_RE.fullmatch(ballot_id):
        raise ValueError("ballot_id must be 32 lowercase hex digits")
    if not isinstance(round_number, int) or isinstance(round_number, bool) or round_number < 1:
        raise ValueError("round must be a positive int")
    if not isinstance(ballot, Mapping) or set(ballot) != {"projects", "quota_proof"}:
        raise ValueError("ballot must be an encrypted ballot {projects, quota_proof}")
    return {"ballot_id": ballot_id, "round": round_number, "ballot": dict(ballot)}


def entry_hash(payload: Mapping[str, Any]) -> str:
    """SHA-256 of the payload's canonical JSON, lowercase hex."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def make_entry(
    private_key: Ed25519PrivateKey,
    ballot_id: str,
    round_number: int,
    ballot: Mapping[str, Any],
) -> dict:
    """A signed board entry: {"payload", "hash", "signature"} (one line of entries.jsonl)."""
    return sign_payload(private_key, entry_payload(ballot_id, round_number, ballot))


def sign_payload(private_key: Ed25519PrivateKey, payload: Mapping[str, Any]) -> dict:
    """A signed board entry for an already formed ``payload`` (a kiosk ballot's from
    make_entry, a paper ballot's from services/paper_count): {"payload", "hash", "signature"}."""
    data = canonical_json(payload)
    return {
        "payload": payload,
        "hash": hashlib.sha256(data).hexdigest(),
        "signature": encode_signature(sign(private_key, data)),
    }


def tracking_code(hash_hex: str) -> str:
    """The receipt code: first 12 hex digits of the entry hash, upper case, "3FA2-91BC-07D4"."""
    if not _HASH_RE.fullmatch(hash_hex):
        raise ValueError("entry hash must be 64 lowercase hex digits")
    head = hash_hex[:12].upper()
    return f"{head[0:4]}-{head[4:8]}-{head[8:12]}"


def parse_tracking_code(text: str) -> str | None:
    """A typed-in code as the lowercase 12-digit hash prefix to look up, or None if malformed."""
    cleaned = re.sub(r"[\s\-]", "", text).lower()
    return cleaned if re.fullmatch(r"[0-9a-f]{12}", cleaned) else None


# --- ballot tokens ----------------------------------------------------------------------------


def new_token() -> bytes:
    """A fresh one-time ballot token (32 random bytes)."""
    return secrets.token_bytes(TOKEN_BYTES)


def ballot_id_from_token(token: bytes) -> str:
    """The ballot id a token will produce: 32 hex digits, so a retried submission is idempotent."""
    return hashlib.sha256(_BALLOT_ID_DOMAIN + token).digest()[:16].hex()


def token_hash(token: bytes) -> str:
    """What the database stores for a token; domain-separated so it hides the ballot id."""
    return hashlib.sha256(_TOKEN_DOMAIN + token).hexdigest()

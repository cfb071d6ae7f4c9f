"""Shamir t-of-n sharing of the box secret over Z_L, Feldman commitments, and key-card text.

The dealer picks f(x) = a_0 + a_1·x + … + a_{t-1}·x^{t-1} with random a_j; the box secret is
a_0, share i (i = 1..n) is f(i). The commitments C_j = a_j·G are public (C_0 is the box public
key), so anyone can derive share i's public key Y_i = Σ_j i^j·C_j and check a partial decryption
against it; t shares determine f, fewer say nothing about a_0.

A key card carries one share as text (also in its QR code)::

    BOX1-<session fp, 8 hex>-<box fp, 8 hex>-<i>-<secret, 52 base32>-<check, 4 base32>

All upper case, so a QR code can use its dense alphanumeric mode. The check is the first 20 bits
of SHA-256 over the text before it, so a mistyped or half-scanned card is caught before any
arithmetic; the parser then checks the share against the box's commitments.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ballot.ballotbox.errors import BallotBoxError
from ballot.ballotbox.group import GROUP_ID, L, Point, base_mul, frame, random_scalar

MAX_SHARES = 9
CARD_PREFIX = "BOX1"
_CHECK_TAG = b"piaojue/ballot-box/key-card-check/v1"
_FINGERPRINT_TAG = b"piaojue/ballot-box/fingerprint/v1"
_CARD_RE = re.compile(
    r"BOX1-([0-9A-F]{8})-([0-9A-F]{8})-([1-9])-([A-Z2-7]{52})-([A-Z2-7]{4})"
)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Share:
    """Share number ``index`` (1..n) of the box secret; its value never appears in a repr."""

    index: int
    secret: int = field(repr=False)

    def public_key(self) -> Point:
        """Y_i = f(i)·G, the value the box's commitments predict for this share."""
        return base_mul(self.secret)


def _check_threshold(t: int, n: int) -> None:
    if not (isinstance(t, int) and isinstance(n, int) and 1 <= t <= n <= MAX_SHARES):
        raise BallotBoxError(BallotBoxError.BAD_THRESHOLD, t=t, n=n)


@dataclass(frozen=True)
class BoxKey:
    """The public side of a sealed box: threshold t, n shares, Feldman commitments C_0..C_{t-1}."""

    t: int
    n: int
    commitments: tuple[Point, ...]

    def __post_init__(self) -> None:
        _check_threshold(self.t, self.n)
        if len(self.commitments) != self.t:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="commitments")
        for c in self.commitments:  # constructed in code or decoded: the identity is never valid
            if not isinstance(c, Point) or c.is_identity():
                raise BallotBoxError(BallotBoxError.IDENTITY_POINT)

    @property
    def public_key(self) -> Point:
        """The box public key H = C_0 = a_0·G."""
        return self.commitments[0]

    def share_public_key(self, index: int) -> Point:
        """Y_i = Σ_j i^j·C_j (Horner's rule: t-1 multiplications by the small number i)."""
        if not 1 <= index <= self.n:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="share index")
        acc = self.commitments[-1]
        for c in reversed(self.commitments[:-1]):
            acc = acc * index + c
        return acc

    def share_public_keys(self) -> dict[int, Point]:
        """Every share's public key, by share number."""
        return {i: self.share_public_key(i) for i in range(1, self.n + 1)}

    def fingerprint(self) -> str:
        """SHA-256 hex over the group, t, n and the commitments (shown beside the session key's)."""
        data = frame(_FINGERPRINT_TAG, GROUP_ID, bytes([self.t, self.n]),
                     *(c.data for c in self.commitments))
        return hashlib.sha256(data).hexdigest()

    def to_json(self) -> dict:
        """The manifest's form: {"group", "t", "n", "commitments": [hex, …]}."""
        return {
            "group": GROUP_ID.decode(),
            "t": self.t,
            "n": self.n,
            "commitments": [c.hex() for c in self.commitments],
        }

    @classmethod
    def from_json(cls, obj: object) -> BoxKey:
        """Parse and check :meth:`to_json`'s form; BallotBoxError on anything else."""
        if not isinstance(obj, dict) or set(obj) != {"group", "t", "n", "commitments"}:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="box key")
        if obj["group"] != GROUP_ID.decode() or not isinstance(obj["commitments"], list):
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="box key")
        t, n = obj["t"], obj["n"]
        if type(t) is not int or type(n) is not int:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="box key")
        return cls(t, n, tuple(Point.from_hex(c) for c in obj["commitments"]))

    def check_share(self, share: Share) -> None:
        """BallotBoxError unless ``share`` is the one these commitments were dealt with."""
        if not 1 <= share.index <= self.n or share.public_key() != self.share_public_key(share.index):
            raise BallotBoxError(BallotBoxError.VOIDED_SHARE)


def _polynomial_at(coefficients: Sequence[int], x: int) -> int:
    acc = 0
    for a in reversed(coefficients):
        acc = (acc * x + a) % L
    return acc


def deal(t: int, n: int, coefficients: Sequence[int] | None = None
         ) -> tuple[Point, list[Share], list[Point]]:
    """Split a fresh box secret t-of-n: (public key, shares 1..n, commitments C_0..C_{t-1}).

    ``coefficients`` (a_0..a_{t-1}) are for test vectors only; by default they are random.
    """
    _check_threshold(t, n)
    if coefficients is None:
        coefficients = [random_scalar() for _ in range(t)]
    if len(coefficients) != t or any(not 0 < a < L for a in coefficients):
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="coefficients")
    commitments = [base_mul(a) for a in coefficients]
    shares = [Share(i, _polynomial_at(coefficients, i)) for i in range(1, n + 1)]
    return commitments[0], shares, commitments


def lagrange_at_zero(indices: Iterable[int]) -> dict[int, int]:
    """λ_i = Π_{j≠i} j/(j−i) mod L for each i: Σ λ_i·f(i) = f(0) for any t distinct indices."""
    idx = list(indices)
    if len(set(idx)) != len(idx) or any(not 1 <= i < L for i in idx):
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="share indices")
    coefficients = {}
    for i in idx:
        num, den = 1, 1
        for j in idx:
            if j != i:
                num = num * j % L
                den = den * (j - i) % L
        coefficients[i] = num * pow(den, -1, L) % L
    return coefficients


# --- key-card text ----------------------------------------------------------------------------


def _fp8(fingerprint: str) -> str:
    cleaned = re.sub(r"[\s:\-]", "", fingerprint).upper()
    if len(cleaned) < 8 or not re.fullmatch(r"[0-9A-F]+", cleaned):
        raise ValueError(f"not a hex fingerprint: {fingerprint!r}")
    return cleaned[:8]


def _check_digits(body: str) -> str:
    digest = hashlib.sha256(_CHECK_TAG + body.encode("ascii")).digest()
    return base64.b32encode(digest[:5]).decode("ascii")[:4]


def encode_share(share: Share, session_fingerprint: str, box: BoxKey) -> str:
    """The key card's text for ``share`` (see the module docstring)."""
    secret = base64.b32encode(share.secret.to_bytes(32, "little")).decode("ascii").rstrip("=")
    body = (f"{CARD_PREFIX}-{_fp8(session_fingerprint)}-{_fp8(box.fingerprint())}"
            f"-{share.index}-{secret}")
    return f"{body}-{_check_digits(body)}"


def parse_share(text: str, session_fingerprint: str, box: BoxKey) -> Share:
    """The share on a key card, checked: format, check digits, session, sealing, commitments.

    Spaces and line breaks are ignored and lower case is accepted, so a card typed by hand in
    groups parses too. Each failure raises BallotBoxError with a message saying what to do.
    """
    cleaned = _SPACES.sub("", text or "").upper() if isinstance(text, str) else ""
    match = _CARD_RE.fullmatch(cleaned)
    if match is None:
        raise BallotBoxError(BallotBoxError.NOT_A_SHARE)
    session_fp, box_fp, index, secret_text, check = match.groups()
    if _check_digits(cleaned[: -len(check) - 1]) != check:
        raise BallotBoxError(BallotBoxError.BAD_CHECK)
    if session_fp != _fp8(session_fingerprint):
        raise BallotBoxError(BallotBoxError.WRONG_SESSION)
    if box_fp != _fp8(box.fingerprint()):
        raise BallotBoxError(BallotBoxError.VOIDED_SHARE)
    raw = base64.b32decode(secret_text + "====")
    secret = int.from_bytes(raw, "little")
    # One spelling per share: the 4 spare bits of the last base32 digit must be zero.
    canonical = base64.b32encode(raw).decode("ascii").rstrip("=")
    if canonical != secret_text or not 0 < secret < L:
        raise BallotBoxError(BallotBoxError.NOT_A_SHARE)
    share = Share(int(index), secret)
    box.check_share(share)
    return share

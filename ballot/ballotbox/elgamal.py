"""Exponential ElGamal over ristretto255: Enc(m; r) = (r·G, m·G + r·H), H the box public key.

Ciphertexts multiply (here: add, in additive notation) to encrypt the sum of their messages, so
the totals of a round are one ciphertext per project and counter, decrypted once by the
scrutineers; m is small (a count), recovered by a bounded discrete log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ballot.ballotbox.errors import BallotBoxError
from ballot.ballotbox.group import IDENTITY, G, Point, base_mul, random_scalar

# m·G for the messages a ballot holds, so encrypting 0 or 1 costs the same (no shortcut for 0).
_SMALL_MULTIPLES = (IDENTITY, G)


@dataclass(frozen=True)
class Ciphertext:
    """(alpha, beta) = (r·G, m·G + r·H)."""

    alpha: Point
    beta: Point

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(self.alpha + other.alpha, self.beta + other.beta)

    def to_json(self) -> dict:
        """{"a": alpha, "b": beta}, each 64 lowercase hex digits."""
        return {"a": self.alpha.hex(), "b": self.beta.hex()}

    @classmethod
    def from_json(cls, obj: object, *, allow_identity: bool = False, where: str = "ciphertext"
                  ) -> Ciphertext:
        """Parse {"a", "b"}; a ballot's ciphertexts never hold the identity, a product may."""
        if not isinstance(obj, dict) or set(obj) != {"a", "b"}:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where=where)
        return cls(Point.from_hex(obj["a"], allow_identity=allow_identity),
                   Point.from_hex(obj["b"], allow_identity=allow_identity))


ZERO = Ciphertext(IDENTITY, IDENTITY)


def encrypt(public_key: Point, message: int, nonce: int | None = None) -> tuple[Ciphertext, int]:
    """Encrypt ``message`` (0 or 1 in a ballot) under ``public_key``; returns it and its nonce r."""
    r = random_scalar() if nonce is None else nonce
    mg = _SMALL_MULTIPLES[message] if message in (0, 1) else base_mul(message)
    return Ciphertext(base_mul(r), mg + public_key * r), r


def product(ciphertexts: Iterable[Ciphertext]) -> Ciphertext:
    """The homomorphic product: encrypts the sum of the messages (ZERO for none)."""
    acc = ZERO
    for ct in ciphertexts:
        acc = acc + ct
    return acc

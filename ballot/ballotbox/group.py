"""The prime-order group ristretto255 (RFC 9496), from libsodium through pysodium.

Scalars are Python ints modulo ``L`` (their arithmetic is fast in Python); points are their
32-byte canonical encodings, wrapped in :class:`Point`. Every point that comes from outside is
decoded with :func:`Point.decode`, which refuses non-canonical encodings, non-ristretto bytes and,
unless allowed, the identity. No curve arithmetic is written here: every group operation is a
libsodium call. libsodium refuses to *return* the identity from a scalar multiplication, so the
two cases that give it (a zero scalar, the identity as base) are handled before calling it.
"""

from __future__ import annotations

import ctypes
import hashlib
import secrets

from ballot.ballotbox.errors import BallotBoxError

try:
    import pysodium
except (ImportError, OSError, ValueError) as exc:  # pysodium raises ValueError without libsodium
    raise ImportError(
        "the ballot box needs libsodium >= 1.0.18 (Debian: apt-get install libsodium23) and "
        f"the pysodium package: {exc}"
    ) from exc

if not pysodium.sodium_version_check(1, 0, 18):  # ristretto255 arrived in libsodium 1.0.18
    raise ImportError("the ballot box needs libsodium >= 1.0.18 (Debian: libsodium23)")

_lib = pysodium.sodium

#: Group identifier hashed into every challenge.
GROUP_ID = b"ristretto255"
#: Prime order of the group: 2^252 + 27742317777372353535851937790883648493.
L = 2**252 + 27742317777372353535851937790883648493
POINT_BYTES = 32
SCALAR_BYTES = 32

_IDENTITY_BYTES = bytes(POINT_BYTES)


def scalar_bytes(k: int) -> bytes:
    """The 32-byte little-endian encoding of ``k mod L``."""
    return (k % L).to_bytes(SCALAR_BYTES, "little")


def scalar_from_bytes(data: bytes) -> int:
    """A canonical 32-byte little-endian scalar (< L); BallotBoxError otherwise."""
    if not isinstance(data, bytes | bytearray) or len(data) != SCALAR_BYTES:
        raise BallotBoxError(BallotBoxError.BAD_SCALAR)
    k = int.from_bytes(data, "little")
    if k >= L:
        raise BallotBoxError(BallotBoxError.BAD_SCALAR)
    return k


def scalar_hex(k: int) -> str:
    """Lowercase hex of the scalar's 32-byte encoding (the wire form)."""
    return scalar_bytes(k).hex()


def scalar_from_hex(text: object) -> int:
    """Parse a scalar's wire form (64 lowercase hex digits, canonical); BallotBoxError otherwise."""
    return scalar_from_bytes(_hex32(text, BallotBoxError.BAD_SCALAR))


def random_scalar() -> int:
    """A uniformly random nonzero scalar from the operating system's generator."""
    return secrets.randbelow(L - 1) + 1


def frame(*parts: bytes) -> bytes:
    """Each part preceded by its length as 4 bytes big-endian: an unambiguous concatenation."""
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


def hash_to_scalar(tag: bytes, *parts: bytes) -> int:
    """SHA-512 of ``frame(tag, *parts)``, read little-endian and reduced mod L."""
    digest = hashlib.sha512(frame(tag, *parts)).digest()
    return int.from_bytes(digest, "little") % L


def _hex32(text: object, reason: str) -> bytes:
    # The wire form is exactly 64 lowercase hex digits: one spelling per value, so hashes of the
    # JSON and of the bytes agree.
    if not isinstance(text, str) or len(text) != 64 or text != text.lower():
        raise BallotBoxError(reason)
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise BallotBoxError(reason) from None


class Point:
    """A ristretto255 element, held as its canonical 32-byte encoding (equal iff bytes equal)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        # Internal constructor: callers outside this module use decode(), which checks.
        self.data = bytes(data)

    @classmethod
    def decode(cls, data: bytes, *, allow_identity: bool = False) -> Point:
        """Decode 32 bytes, refusing non-canonical or invalid encodings (and the identity)."""
        if not isinstance(data, bytes | bytearray) or len(data) != POINT_BYTES:
            raise BallotBoxError(BallotBoxError.BAD_POINT)
        data = bytes(data)
        if data == _IDENTITY_BYTES:
            if allow_identity:
                return IDENTITY
            raise BallotBoxError(BallotBoxError.IDENTITY_POINT)
        # libsodium checks canonical field encoding, sign bits and that it is a ristretto point.
        if data[31] & 0x80 or _lib.crypto_core_ristretto255_is_valid_point(data) != 1:
            raise BallotBoxError(BallotBoxError.BAD_POINT)
        return cls(data)

    @classmethod
    def from_hex(cls, text: object, *, allow_identity: bool = False) -> Point:
        """Decode the wire form (64 lowercase hex digits) with the same checks as decode()."""
        return cls.decode(_hex32(text, BallotBoxError.BAD_POINT), allow_identity=allow_identity)

    def hex(self) -> str:
        """The wire form: lowercase hex of the 32-byte encoding."""
        return self.data.hex()

    def is_identity(self) -> bool:
        """True for the neutral element (encoded as 32 zero bytes)."""
        return self.data == _IDENTITY_BYTES

    def __add__(self, other: Point) -> Point:
        out = ctypes.create_string_buffer(POINT_BYTES)
        if _lib.crypto_core_ristretto255_add(out, self.data, other.data) != 0:
            raise BallotBoxError(BallotBoxError.BAD_POINT)
        return Point(out.raw)

    def __sub__(self, other: Point) -> Point:
        out = ctypes.create_string_buffer(POINT_BYTES)
        if _lib.crypto_core_ristretto255_sub(out, self.data, other.data) != 0:
            raise BallotBoxError(BallotBoxError.BAD_POINT)
        return Point(out.raw)

    def __neg__(self) -> Point:
        return IDENTITY - self

    def __mul__(self, k: int) -> Point:
        """Scalar multiplication ``k·P`` (variable base, constant time in libsodium)."""
        k %= L
        if k == 0 or self.data == _IDENTITY_BYTES:
            return IDENTITY
        if self.data == _G_BYTES:
            return base_mul(k)
        out = ctypes.create_string_buffer(POINT_BYTES)
        if _lib.crypto_scalarmult_ristretto255(out, scalar_bytes(k), self.data) != 0:
            raise BallotBoxError(BallotBoxError.BAD_POINT)
        return Point(out.raw)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and self.data == other.data

    def __hash__(self) -> int:
        return hash(self.data)

    def __repr__(self) -> str:
        return f"Point({self.data.hex()[:16]}…)"


def base_mul(k: int) -> Point:
    """``k·G`` with libsodium's fixed-base table (about three times faster than ``G * k``)."""
    k %= L
    if k == 0:
        return IDENTITY
    out = ctypes.create_string_buffer(POINT_BYTES)
    if _lib.crypto_scalarmult_ristretto255_base(out, scalar_bytes(k)) != 0:
        raise BallotBoxError(BallotBoxError.BAD_POINT)  # unreachable: k != 0 mod L
    return Point(out.raw)


IDENTITY = Point(_IDENTITY_BYTES)
#: The generator of RFC 9496 (its encoding is the first test vector of appendix A.1).
G = base_mul(1)
_G_BYTES = G.data

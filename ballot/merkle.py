"""RFC 6962 (Certificate Transparency) Merkle tree over a round's board entries.

A round's commitment is the Merkle root of its entry hashes sorted ascending, so it fixes the
set of ballots and says nothing about the order they were cast in. Leaf and node hashing follow
RFC 6962 §2.1; proof verification is the algorithm of RFC 9162 §2.1.3.2. No Flask: shared with
the offline verifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly less than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _root_of_hashes(hashes: Sequence[bytes]) -> bytes:
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(_root_of_hashes(hashes[:k]), _root_of_hashes(hashes[k:]))


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 over the leaf data; SHA-256("") for no leaves."""
    if not leaves:
        return EMPTY_ROOT
    return _root_of_hashes([leaf_hash(leaf) for leaf in leaves])


def _path(hashes: Sequence[bytes], m: int) -> list[bytes]:
    if len(hashes) == 1:
        return []
    k = _split(len(hashes))
    if m < k:
        return [*_path(hashes[:k], m), _root_of_hashes(hashes[k:])]
    return [*_path(hashes[k:], m - k), _root_of_hashes(hashes[:k])]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962: sibling hashes from the leaf up to the root."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf index {index} outside a tree of {len(leaves)}")
    return _path([leaf_hash(leaf) for leaf in leaves], index)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when `proof` shows leaf data `leaf` at `index` in the tree of `size` with `root`."""
    if not 0 <= index < size or len(root) != HASH_BYTES:
        return False
    if any(len(p) != HASH_BYTES for p in proof):
        return False
    fn, sn = index, size - 1
    r = leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def _sorted_leaves(entry_hashes_hex: Sequence[str]) -> list[bytes]:
    leaves = sorted(bytes.fromhex(h) for h in entry_hashes_hex)
    if any(len(leaf) != HASH_BYTES for leaf in leaves):
        raise ValueError("entry hashes must be 32 bytes (64 hex digits)")
    return leaves


def round_root(entry_hashes_hex: Sequence[str]) -> str:
    """A round's commitment: the Merkle root over its raw entry hashes sorted ascending, hex."""
    return merkle_root(_sorted_leaves(entry_hashes_hex)).hex()


def round_inclusion_proof(entry_hashes_hex: Sequence[str], hash_hex: str) -> dict:
    """Proof that one entry is in its round's commitment: {leaf, index, size, proof, root} in hex.

    Raises KeyError when the hash is not among the round's entries.
    """
    leaves = _sorted_leaves(entry_hashes_hex)
    target = bytes.fromhex(hash_hex)
    try:
        index = leaves.index(target)
    except ValueError:
        raise KeyError(hash_hex) from None
    return {
        "leaf": hash_hex,
        "index": index,
        "size": len(leaves),
        "proof": [p.hex() for p in inclusion_proof(leaves, index)],
        "root": merkle_root(leaves).hex(),
    }

"""RFC 6962 Merkle tree (ballot/merkle.py) against the Certificate Transparency test vectors."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballot import merkle

# transparency-dev/merkle testonly/constants.go and proof/verify_test.go (the CT reference data).
LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (0-based leaf index, tree size, proof)
PROOFS = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_roots_match_ct_vectors(size):
    assert merkle.merkle_root(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), PROOFS)
def test_inclusion_proofs_match_ct_vectors(index, size, proof):
    raw = [bytes.fromhex(p) for p in proof]
    root = bytes.fromhex(ROOTS[size])
    assert merkle.inclusion_proof(LEAVES[:size], index) == raw
    assert merkle.verify_inclusion(LEAVES[index], index, size, raw, root)


@pytest.mark.parametrize(("index", "size", "proof"), PROOFS)
def test_corrupted_proofs_fail(index, size, proof):
    raw = [bytes.fromhex(p) for p in proof]
    root = bytes.fromhex(ROOTS[size])
    leaf = LEAVES[index]
    some = bytes.fromhex("abacaba0" + "0" * 48 + "00123456")
    probes = [
        (leaf, index - 1, size, raw, root), (leaf, index + 1, size, raw, root),
        (leaf, index ^ 2, size, raw, root), (leaf, index, size * 2, raw, root),
        (leaf, index, size // 2, raw, root), (b"WrongLeaf", index, size, raw, root),
        (leaf, index, size, raw, bytes.fromhex(ROOTS[0])), (leaf, index, size, raw, some),
        (leaf, index, size, [*raw, b""], root), (leaf, index, size, [*raw, root], root),
        (leaf, index, size, [b"", *raw], root), (leaf, index, size, [root, *raw], root),
        (leaf, index, size, raw[:-1], root), (leaf, index, size, [raw[0], some, *raw[1:]], root),
    ]
    for i in range(len(raw)):
        flipped = list(raw)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((leaf, index, size, flipped, root))
    for probe in probes:
        assert not merkle.verify_inclusion(*probe), probe


def test_single_leaf_and_empty_tree():
    leaf = b"data"
    root = merkle.merkle_root([leaf])
    assert root == hashlib.sha256(b"\x00" + leaf).digest()
    assert merkle.inclusion_proof([leaf], 0) == []
    assert merkle.verify_inclusion(leaf, 0, 1, [], root)
    assert not merkle.verify_inclusion(leaf, 0, 0, [], merkle.EMPTY_ROOT)
    with pytest.raises(IndexError):
        merkle.inclusion_proof([], 0)


hashes_hex = st.lists(st.binary(min_size=32, max_size=32).map(bytes.hex), min_size=1,
                      max_size=70, unique=True)


@given(hashes_hex, st.randoms())
def test_round_root_ignores_casting_order(hashes, rnd):
    shuffled = list(hashes)
    rnd.shuffle(shuffled)
    assert merkle.round_root(shuffled) == merkle.round_root(hashes)
    leaves = sorted(bytes.fromhex(h) for h in hashes)
    assert merkle.round_root(hashes) == merkle.merkle_root(leaves).hex()


@given(hashes_hex, st.data())
def test_every_proof_verifies_and_wrong_ones_fail(hashes, data):
    leaves = sorted(bytes.fromhex(h) for h in hashes)
    root = merkle.merkle_root(leaves)
    n = len(leaves)
    i = data.draw(st.integers(0, n - 1))
    proof = merkle.inclusion_proof(leaves, i)
    assert merkle.verify_inclusion(leaves[i], i, n, proof, root)
    assert not merkle.verify_inclusion(leaves[i] + b"x", i, n, proof, root)
    if n > 1:
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
        assert not merkle.verify_inclusion(leaves[i], j, n, proof, root)
        assert not merkle.verify_inclusion(leaves[j], i, n, proof, root)


def test_every_leaf_of_every_small_tree():
    leaves = [bytes([k, k * 7 % 256]) for k in range(40)]
    for n in range(1, len(leaves) + 1):
        root = merkle.merkle_root(leaves[:n])
        for i in range(n):
            proof = merkle.inclusion_proof(leaves[:n], i)
            assert merkle.verify_inclusion(leaves[i], i, n, proof, root)


def test_round_inclusion_proof():
    hashes = [hashlib.sha256(bytes([k])).hexdigest() for k in range(13)]
    target = hashes[5]
    proof = merkle.round_inclusion_proof(hashes, target)
    assert proof["root"] == merkle.round_root(hashes)
    assert proof["size"] == 13
    assert merkle.verify_inclusion(
        bytes.fromhex(target), proof["index"], proof["size"],
        [bytes.fromhex(p) for p in proof["proof"]], bytes.fromhex(proof["root"]),
    )
    with pytest.raises(KeyError):
        merkle.round_inclusion_proof(hashes, "00" * 32)
    with pytest.raises(ValueError):
        merkle.round_root(["abcd"])

"""A whole round's ballots and its published products checked in one random linear combination.

``proofs.verify_ballot`` checks one ballot's equations as one combination (docs/ballot-box.md
§4.6). The offline verifier checks thousands of ballots of one round and then that the round's
published products are the sums of their ciphertexts; ``RoundBatch`` does both at once:

    Σ_ballots Σ_e (ρ_e·(z_e·G − A_e − c_e·X_e) + σ_e·(z_e·H − B_e − c_e·(Y_e − v_e·G)))
      + Σ_k τ_k·(Σ_ballots P_k − P̂_k) = identity

with fresh random 128-bit ρ, σ, τ; P_k runs over the four points (α_f, β_f, α_a, β_a) of
project k of a ballot and P̂_k over the same points of the published products. The ciphertext
points already carry a coefficient in the proofs' part, so the products cost no group operation
per ballot (instead of four additions per project), and G and H are multiplied once per round
instead of once per ballot. A false equation, or a product that is not the sum, passes with
probability ≤ 2^-128. When the combination fails, the caller checks each ballot alone
(``proofs.verify_ballot``) and adds the products up, to name what failed.
"""

from __future__ import annotations

import ctypes
import secrets
from collections.abc import Mapping, Sequence

from ballot.ballotbox.elgamal import Ciphertext
from ballot.ballotbox.errors import BallotBoxError
from ballot.ballotbox.group import (
    IDENTITY,
    POINT_BYTES,
    L,
    Point,
    _lib,
    base_mul,
    hash_to_scalar,
)
from ballot.ballotbox.proofs import (
    TAG_CHOICE,
    TAG_QUOTA,
    _Batch,
    _challenge_parts,
    _check_quota_arg,
    _dec,
    _parse_ballot,
    _quota_values,
    _statement,
    _weight,
)


class RoundBatch:
    """Fold a round's ballots in with :meth:`add`, then :meth:`holds` against its products."""

    def __init__(self, public_key: Point, n_candidates: int, quota: int) -> None:
        self.public_key = public_key
        self.n_candidates = n_candidates
        self.quota = _check_quota_arg(quota)
        self._tau = [secrets.randbits(128) + 1 for _ in range(4 * n_candidates)]
        self._g = 0
        self._h = 0
        self._acc = IDENTITY
        self._clean = True  # every ballot added passed the checks that need no group operation
        self.count = 0

    def add(self, encrypted: object, context: bytes) -> None:
        """Fold one ballot in. BallotBoxError (with ``where``) when its form or a challenge
        sum is wrong; the round then no longer :meth:`holds` and must be checked one by one."""
        try:
            self._add(encrypted, context)
        except BallotBoxError:
            self._clean = False
            raise

    def _add(self, encrypted: object, context: bytes) -> None:
        pk, n = self.public_key, self.n_candidates
        pairs, choice_proofs, quota_proof = _parse_ballot(encrypted, n, self.quota)
        statement = _statement(pk, context, self.quota, pairs)
        batch = _Batch()
        for k, ((ef, ea), branches) in enumerate(zip(pairs, choice_proofs, strict=True)):
            w = _weight(statement, k)
            c = hash_to_scalar(TAG_CHOICE, statement, _dec(k), *_challenge_parts(branches))
            if sum(b[2] for b in branches) % L != c:
                raise BallotBoxError(BallotBoxError.BAD_PROOF, where=f"project {k + 1}")
            batch.add_or([(ef.alpha, 1), (ea.alpha, w)], [(ef.beta, 1), (ea.beta, w)],
                         (0, 1, w), branches)
        c = hash_to_scalar(TAG_QUOTA, statement, *_challenge_parts(quota_proof))
        if sum(b[2] for b in quota_proof) % L != c:
            raise BallotBoxError(BallotBoxError.BAD_PROOF, where="quota")
        batch.add_or([(ef.alpha, 1) for ef, _ in pairs], [(ef.beta, 1) for ef, _ in pairs],
                     _quota_values(self.quota, n), quota_proof)
        tau = self._tau
        for k, (ef, ea) in enumerate(pairs):
            for j, point in enumerate((ef.alpha, ef.beta, ea.alpha, ea.beta)):
                batch._add(point, tau[4 * k + j])
        self._acc = _accumulate(self._acc, batch.points)
        self._g += batch.g
        self._h += batch.h
        self.count += 1

    def holds(self, products: Sequence[Ciphertext]) -> bool:
        """True when every ballot added proved all it must, and ``products`` (flattened:
        project 1 赞成, project 1 反对, …; the identity allowed) are the sums of their
        ciphertexts. False says only that something failed: check the ballots one by one."""
        if not self._clean or len(products) != 2 * self.n_candidates:
            return False
        acc = self._acc + base_mul(self._g) + self.public_key * self._h
        tau = self._tau
        for m, ct in enumerate(products):
            acc = acc - ct.alpha * tau[2 * m] - ct.beta * tau[2 * m + 1]
        return acc.is_identity()


def _accumulate(acc: Point, terms: Mapping[bytes, int]) -> Point:
    """``acc + Σ coefficient·point`` over ``terms`` (point encoding -> coefficient mod L).

    The same libsodium calls as ``Point.__mul__`` and ``__add__``, in one loop over two local
    buffers: this is the verifier's innermost loop (about 140 terms per ballot), and the Python
    objects those methods build for each intermediate value cost a twentieth of its time. Every
    point is decoded by libsodium (which refuses a non-canonical or invalid encoding); none is
    the identity (the wire parser refused it), so a product is never the identity either.
    """
    total = ctypes.create_string_buffer(acc.data, POINT_BYTES)
    term = ctypes.create_string_buffer(POINT_BYTES)
    multiply = _lib.crypto_scalarmult_ristretto255
    add = _lib.crypto_core_ristretto255_add
    for data, coefficient in terms.items():
        if coefficient == 0:  # not multiplied, so check the encoding explicitly
            Point.decode(data)
            continue
        if multiply(term, coefficient.to_bytes(32, "little"), data) != 0 or add(
            total, total, term
        ) != 0:
            raise BallotBoxError(BallotBoxError.BAD_POINT)
    return Point(total.raw)


__all__ = ["RoundBatch"]

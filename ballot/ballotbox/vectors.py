"""Deterministic test vectors for docs/ballot-box.md §8: ``python -m ballot.ballotbox.vectors``.

Every random value comes from ``vector_rng``, so the output never changes; tests check that the
document quotes exactly this output and that every proof in it verifies.
"""

from __future__ import annotations

import hashlib
import json

from ballot.ballotbox.group import G, frame, hash_to_scalar, scalar_hex
from ballot.ballotbox.proofs import (
    TAG_CHOICE,
    TAG_QUOTA,
    _challenge_parts,
    _parse_ballot,
    _statement,
    _weight,
    ballot_context,
    combine,
    decryption_context,
    encrypt_ballot,
    flatten,
    partial_decrypt,
    tally_product,
)
from ballot.ballotbox.shares import BoxKey, deal, encode_share, lagrange_at_zero

VECTOR_TAG = b"piaojue/ballot-box/test-vector/v1"
SESSION_FINGERPRINT = hashlib.sha256(b"test vector session key").hexdigest()
N_PROJECTS, QUOTA, ROUND = 3, 2, 1
BALLOTS = (("0" * 31 + "1", ["for", "against", "abstain"]),
           ("0" * 31 + "2", ["against", "for", "for"]))


class VectorRng:
    """Scalars Hs(VECTOR_TAG, label, i) for i = 0, 1, …; records what it handed out."""

    def __init__(self, label: str) -> None:
        self.label = label.encode("ascii")
        self.drawn: list[int] = []

    def __call__(self) -> int:
        value = hash_to_scalar(VECTOR_TAG, self.label, str(len(self.drawn)).encode("ascii"))
        self.drawn.append(value)
        return value


def build() -> dict:
    """Every vector, as canonical-JSON-ready values."""
    dealer = VectorRng("dealer")
    coefficients = [dealer(), dealer()]
    pk, shares, commitments = deal(2, 3, coefficients)
    box = BoxKey(2, 3, tuple(commitments))
    out: dict = {
        "hash": {
            "frame_hex": frame(b"ab", b"", b"c").hex(),
            "Hs_test_abc": scalar_hex(hash_to_scalar(b"test", b"abc")),
        },
        "box": {
            "coefficients": [scalar_hex(a) for a in coefficients],
            "shares": {str(s.index): scalar_hex(s.secret) for s in shares},
            "key": box.to_json(),
            "share_public_keys": {str(i): y.hex() for i, y in box.share_public_keys().items()},
            "fingerprint": box.fingerprint(),
            "lagrange_1_3": {str(i): scalar_hex(v) for i, v in lagrange_at_zero([1, 3]).items()},
            "session_fingerprint": SESSION_FINGERPRINT,
            "card_share_1": encode_share(shares[0], SESSION_FINGERPRINT, box),
        },
        "ballots": [],
    }
    encrypted_ballots = []
    for ballot_id, choices in BALLOTS:
        context = ballot_context(SESSION_FINGERPRINT, ROUND, ballot_id)
        rng = VectorRng("ballot " + ballot_id)
        encrypted = encrypt_ballot(pk, choices, QUOTA, context, rng=rng)
        encrypted_ballots.append(encrypted)
        pairs, proofs, quota_proof = _parse_ballot(encrypted, N_PROJECTS, QUOTA)
        statement = _statement(pk, context, QUOTA, pairs)
        out["ballots"].append({
            "ballot_id": ballot_id,
            "choices": choices,
            "context_hex": context.hex(),
            "nonces": [[scalar_hex(rng.drawn[2 * k]), scalar_hex(rng.drawn[2 * k + 1])]
                       for k in range(N_PROJECTS)],
            "statement_hex": statement.hex(),
            "weights": [scalar_hex(_weight(statement, k)) for k in range(N_PROJECTS)],
            "choice_challenges": [
                scalar_hex(hash_to_scalar(TAG_CHOICE, statement, str(k).encode("ascii"),
                                          *_challenge_parts(branches)))
                for k, branches in enumerate(proofs)],
            "quota_challenge": scalar_hex(hash_to_scalar(TAG_QUOTA, statement,
                                                         *_challenge_parts(quota_proof))),
            "encrypted": encrypted,
        })
    products = flatten(tally_product(encrypted_ballots, N_PROJECTS))
    context = decryption_context(SESSION_FINGERPRINT, ROUND)
    partials = {i: partial_decrypt(shares[i - 1], products, context, rng=VectorRng(f"share {i}"))
                for i in (1, 3)}
    out["count"] = {
        "context_hex": context.hex(),
        "products": [ct.to_json() for ct in products],
        "partials": {str(i): p for i, p in partials.items()},
        "totals": combine(partials, products, len(BALLOTS)),
    }
    out["generator"] = G.hex()
    return out


def render() -> str:
    """The JSON block quoted in the document (sorted keys, one-space indent)."""
    return json.dumps(build(), indent=1, sort_keys=True, ensure_ascii=False)


if __name__ == "__main__":
    print(render())

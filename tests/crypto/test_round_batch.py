"""RoundBatch: a round's ballot proofs and its products in one random linear combination."""

from __future__ import annotations

import hashlib

import pytest

from ballot.ballotbox import proofs, shares
from ballot.ballotbox.batch import RoundBatch
from ballot.ballotbox.elgamal import ZERO
from ballot.ballotbox.errors import BallotBoxError
from ballot.ballotbox.proofs import _encrypt_bits

FP = hashlib.sha256(b"round batch").hexdigest()
PK, SHARES, _ = shares.deal(2, 3)
MARKS = [["for", "against", "abstain"], ["abstain", "for", "for"], ["against", "abstain", "for"]]


def ballots(marks=MARKS, quota=2):
    out = []
    for i, choice in enumerate(marks):
        ballot_id = f"{i:032x}"
        context = proofs.ballot_context(FP, 1, ballot_id)
        out.append((proofs.encrypt_ballot(PK, choice, quota, context), context))
    return out


def batch_of(items, quota=2):
    batch = RoundBatch(PK, 3, quota)
    for encrypted, context in items:
        batch.add(encrypted, context)
    return batch


def products(items):
    return proofs.flatten(proofs.tally_product([e for e, _ in items], 3))


def test_honest_round_holds():
    items = ballots()
    assert batch_of(items).holds(products(items))


def test_empty_round_holds_with_zero_products():
    assert RoundBatch(PK, 3, 2).holds([ZERO] * 6)
    assert not RoundBatch(PK, 3, 2).holds(products(ballots()))


@pytest.mark.parametrize("k", range(6))
def test_one_product_off_fails(k):
    items = ballots()
    wrong = products(items)
    wrong[k] = wrong[k] + proofs.encrypt(PK, 1)[0]
    assert not batch_of(items).holds(wrong)


def test_products_of_other_ballots_fail():
    assert not batch_of(ballots()).holds(products(ballots()))


def test_a_ballot_counted_twice_fails_against_products_once():
    items = ballots()
    assert not batch_of([*items, items[0]]).holds(products(items))


def test_a_lying_ballot_fails_with_the_right_products():
    """A ballot with 赞成 and 反对 on one project (forced proof branch) makes the round fail,
    although its challenge sums are right (only the group equations catch it)."""
    items = ballots()
    context = proofs.ballot_context(FP, 1, "f" * 32)
    lie = _encrypt_bits(PK, [(1, 1), (0, 0), (0, 0)], 2, context, choice_branches=[1, 0, 0])
    items.append((lie, context))
    batch = batch_of(items)
    assert not batch.holds(products(items))
    with pytest.raises(BallotBoxError):
        proofs.verify_ballot(PK, lie, 3, 2, context)


def test_wrong_context_fails_the_challenge_at_once():
    items = ballots()
    batch = RoundBatch(PK, 3, 2)
    with pytest.raises(BallotBoxError) as caught:
        batch.add(items[0][0], proofs.ballot_context(FP, 2, f"{0:032x}"))
    assert caught.value.reason == BallotBoxError.BAD_PROOF
    assert not batch.holds(products(items[:1]))


def test_over_quota_needs_the_quota_proof():
    items = ballots([["for", "for", "abstain"]], quota=2)
    assert batch_of(items, quota=2).holds(products(items))
    with pytest.raises(BallotBoxError):
        batch_of(items, quota=1)  # the proof has 3 branches, a quota of 1 wants 2

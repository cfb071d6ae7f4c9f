"""Encrypted ballots, their proofs, partial decryption and combination: honest and forged inputs."""

from __future__ import annotations

import copy
import itertools
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballot.ballotbox import proofs
from ballot.ballotbox.elgamal import ZERO, Ciphertext, encrypt
from ballot.ballotbox.errors import BallotBoxError
from ballot.ballotbox.group import G, L, base_mul, scalar_hex
from ballot.ballotbox.proofs import (
    ballot_context,
    combine,
    decryption_context,
    discrete_log,
    encrypt_ballot,
    flatten,
    partial_decrypt,
    tally_product,
    verify_ballot,
    verify_partial,
)
from ballot.ballotbox.shares import BoxKey, Share, deal

FP = "3fa291bc" * 8
OTHER_FP = "0badcafe" * 8
N, QUOTA = 4, 2
CHOICES = ["for", "against", "abstain", "for"]


@pytest.fixture(scope="module")
def box():
    pk, shares, commitments = deal(2, 3)
    return pk, shares, BoxKey(2, 3, tuple(commitments))


@pytest.fixture(scope="module")
def ballot(box):
    pk = box[0]
    ctx = ballot_context(FP, 1, "b" * 32)
    return ctx, encrypt_ballot(pk, CHOICES, QUOTA, ctx)


def _reason(fn, *args, **kwargs) -> str:
    with pytest.raises(BallotBoxError) as info:
        fn(*args, **kwargs)
    return info.value.reason


# --- honest ballots ---------------------------------------------------------------------------


@pytest.mark.parametrize("choices,quota", [
    (["for", "for"], 2),                       # exactly at the quota
    (["abstain", "against", "for"], 1),
    (["against"] * 3, 0),                      # quota 0: only 反对/弃权
    (["for", "abstain"], 5),                   # quota above the number of projects
    (["abstain"], 1),
])
def test_honest_ballots_verify(box, choices, quota):
    pk = box[0]
    ctx = ballot_context(FP, 1, "x" * 32)
    encrypted = encrypt_ballot(pk, choices, quota, ctx)
    verify_ballot(pk, encrypted, len(choices), quota, ctx)
    assert len(encrypted["quota_proof"]) == min(quota, len(choices)) + 1


def test_bad_choices_and_over_quota_refused(box):
    pk = box[0]
    ctx = ballot_context(FP, 1, "x" * 32)
    assert _reason(encrypt_ballot, pk, ["yes"], 1, ctx) == "bad_choice"
    assert _reason(encrypt_ballot, pk, ["for", "for", "for"], 2, ctx) == "over_quota"
    assert _reason(encrypt_ballot, pk, ["for"], -1, ctx) == "bad_format"


def test_output_holds_only_group_elements_and_scalars(box, ballot):
    # No plaintext: every leaf is a 64-hex point or scalar, and the same choices encrypt afresh.
    def leaves(obj):
        if isinstance(obj, dict):
            for value in obj.values():
                yield from leaves(value)
        elif isinstance(obj, list):
            for value in obj:
                yield from leaves(value)
        else:
            yield obj

    ctx, encrypted = ballot
    assert all(isinstance(x, str) and len(x) == 64 for x in leaves(encrypted))
    again = encrypt_ballot(box[0], CHOICES, QUOTA, ctx)
    assert not set(leaves(again)) & set(leaves(encrypted))


# --- values outside the allowed set cannot be proved --------------------------------------------


@pytest.mark.parametrize("bits", [(2, 0), (1, 1), (0, 2), (L - 1, 0)])
def test_honest_prover_refuses_pairs_outside_the_three_answers(box, bits):
    pk = box[0]
    ctx = ballot_context(FP, 1, "x" * 32)
    assert _reason(proofs._encrypt_bits, pk, [bits], 3, ctx) == "bad_choice"


@pytest.mark.parametrize("bits,branch", [
    ((2, 0), 1), ((2, 0), 0), ((2, 0), 2),          # 赞成 = 2
    ((1, 1), 1), ((1, 1), 2), ((1, 1), 0),          # 赞成 and 反对 both 1
    ((0, 2), 2), ((L - 1, 0), 0),                   # 反对 = 2, 赞成 = −1
])
def test_forced_proof_of_a_forbidden_pair_does_not_verify(box, bits, branch):
    pk = box[0]
    ctx = ballot_context(FP, 1, "x" * 32)
    forged = proofs._encrypt_bits(pk, [bits, (0, 0)], 3, ctx, choice_branches=[branch, 0],
                                  quota_branch=min(bits[0] % L, 2))
    assert _reason(verify_ballot, pk, forged, 2, 3, ctx) == "bad_proof"


def test_forced_quota_proof_for_quota_plus_one_does_not_verify(box):
    pk = box[0]
    ctx = ballot_context(FP, 1, "x" * 32)
    bits = [(1, 0)] * 3 + [(0, 1)]
    assert _reason(proofs._encrypt_bits, pk, bits, 2, ctx) == "over_quota"
    for branch in range(3):
        forged = proofs._encrypt_bits(pk, bits, 2, ctx, quota_branch=branch)
        with pytest.raises(BallotBoxError) as info:
            verify_ballot(pk, forged, 4, 2, ctx)
        assert info.value.reason == "bad_proof" and "quota" in str(info.value)


# --- a proof fits only its own statement ------------------------------------------------------


@pytest.mark.parametrize("other", [
    ballot_context(OTHER_FP, 1, "b" * 32),        # another session
    ballot_context(FP, 2, "b" * 32),              # another round
    ballot_context(FP, 1, "c" * 32),              # another ballot id
    proofs.make_context(FP, 1, "drill", "b" * 32),  # another purpose
])
def test_proof_does_not_verify_in_another_context(box, ballot, other):
    ctx, encrypted = ballot
    verify_ballot(box[0], encrypted, N, QUOTA, ctx)
    assert _reason(verify_ballot, box[0], encrypted, N, QUOTA, other) == "bad_proof"


def test_proof_does_not_verify_under_another_key_or_quota(box, ballot):
    ctx, encrypted = ballot
    other_pk = deal(2, 3)[0]
    assert _reason(verify_ballot, other_pk, encrypted, N, QUOTA, ctx) == "bad_proof"
    with pytest.raises(BallotBoxError):
        verify_ballot(box[0], encrypted, N, QUOTA + 1, ctx)


def test_proof_does_not_verify_for_another_ciphertext(box, ballot):
    pk = box[0]
    ctx, encrypted = ballot
    # a valid re-encryption of the same choice, keeping the old proof
    rerandomized = copy.deepcopy(encrypted)
    old = Ciphertext.from_json(encrypted["projects"][0]["for"])
    rerandomized["projects"][0]["for"] = (old + encrypt(pk, 0)[0]).to_json()
    assert _reason(verify_ballot, pk, rerandomized, N, QUOTA, ctx) == "bad_proof"
    # projects swapped, each with its own proof
    swapped = copy.deepcopy(encrypted)
    swapped["projects"][0], swapped["projects"][1] = encrypted["projects"][1], encrypted["projects"][0]
    assert _reason(verify_ballot, pk, swapped, N, QUOTA, ctx) == "bad_proof"
    # a project (ciphertexts and proof) taken from another ballot with the same context
    other = encrypt_ballot(pk, CHOICES, QUOTA, ctx)
    mixed = copy.deepcopy(encrypted)
    mixed["projects"][2] = other["projects"][2]
    assert _reason(verify_ballot, pk, mixed, N, QUOTA, ctx) == "bad_proof"
    # another ballot's quota proof
    mixed = copy.deepcopy(encrypted)
    mixed["quota_proof"] = other["quota_proof"]
    assert _reason(verify_ballot, pk, mixed, N, QUOTA, ctx) == "bad_proof"


@pytest.mark.parametrize("part", ["projects", "quota_proof"])
@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_altered_commitment_challenge_or_response_fails(box, ballot, part, position):
    pk = box[0]
    ctx, encrypted = ballot
    for branch_index in range(3):
        forged = copy.deepcopy(encrypted)
        branches = forged["projects"][1]["proof"] if part == "projects" else forged["quota_proof"]
        value = branches[branch_index][position]
        if position < 2:   # a commitment: another valid point
            branches[branch_index][position] = base_mul(12345).hex()
        else:              # a challenge or response: another scalar
            branches[branch_index][position] = scalar_hex(int.from_bytes(bytes.fromhex(value), "little") + 1)
        assert _reason(verify_ballot, pk, forged, N, QUOTA, ctx) == "bad_proof"


def test_challenges_shifted_between_branches_fail(box, ballot):
    # Σc stays the same, but each branch's equations no longer hold.
    pk = box[0]
    ctx, encrypted = ballot
    forged = copy.deepcopy(encrypted)
    branches = forged["projects"][0]["proof"]
    c0 = int.from_bytes(bytes.fromhex(branches[0][2]), "little")
    c1 = int.from_bytes(bytes.fromhex(branches[1][2]), "little")
    branches[0][2], branches[1][2] = scalar_hex(c0 + 1), scalar_hex(c1 - 1)
    with pytest.raises(BallotBoxError) as info:
        verify_ballot(pk, forged, N, QUOTA, ctx)
    assert info.value.reason == "bad_proof" and "project 1" in str(info.value)


# --- invalid encodings and shapes -------------------------------------------------------------

NON_CANONICAL = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"
NOT_ON_CURVE = "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371"


@pytest.mark.parametrize("value,reason", [
    (NON_CANONICAL, "bad_point"),
    (NOT_ON_CURVE, "bad_point"),
    ("00" * 32, "identity_point"),
    (G.hex().upper(), "bad_point"),
    (G.hex()[:-2] + "f6", "bad_point"),   # G with its high bit set
    (42, "bad_point"),
])
@pytest.mark.parametrize("where", ["for.a", "against.b", "proof.A", "quota.B"])
def test_invalid_points_refused(box, ballot, value, reason, where):
    pk = box[0]
    ctx, encrypted = ballot
    forged = copy.deepcopy(encrypted)
    if where == "for.a":
        forged["projects"][0]["for"]["a"] = value
    elif where == "against.b":
        forged["projects"][3]["against"]["b"] = value
    elif where == "proof.A":
        forged["projects"][2]["proof"][1][0] = value
    else:
        forged["quota_proof"][0][1] = value
    assert _reason(verify_ballot, pk, forged, N, QUOTA, ctx) == reason


def test_non_canonical_scalar_refused(box, ballot):
    pk = box[0]
    ctx, encrypted = ballot
    forged = copy.deepcopy(encrypted)
    z = int.from_bytes(bytes.fromhex(forged["projects"][0]["proof"][0][3]), "little")
    forged["projects"][0]["proof"][0][3] = (z + L).to_bytes(32, "little").hex()
    assert _reason(verify_ballot, pk, forged, N, QUOTA, ctx) == "bad_scalar"


@pytest.mark.parametrize("mutate", [
    lambda b: b.pop("quota_proof"),
    lambda b: b.update(extra=1),
    lambda b: b["projects"][0].pop("proof"),
    lambda b: b["projects"][0]["proof"].pop(),
    lambda b: b["quota_proof"].append(b["quota_proof"][0]),
    lambda b: b["projects"][0]["for"].update(c="00"),
    lambda b: b["projects"][0]["proof"][0].append("00"),
])
def test_wrong_shapes_refused(box, ballot, mutate):
    pk = box[0]
    ctx, encrypted = ballot
    forged = copy.deepcopy(encrypted)
    mutate(forged)
    assert _reason(verify_ballot, pk, forged, N, QUOTA, ctx) == "bad_format"


def test_wrong_project_count_refused(box, ballot):
    ctx, encrypted = ballot
    assert _reason(verify_ballot, box[0], encrypted, N + 1, QUOTA, ctx) == "wrong_count"
    assert _reason(verify_ballot, box[0], [], N, QUOTA, ctx) == "bad_format"


# --- counting: products, partial decryptions, combination --------------------------------------


def _open(box, ballots, n, ctx, share_indices):
    pk, shares, key = box
    products = flatten(tally_product(ballots, n))
    partials = {}
    for i in share_indices:
        partial = partial_decrypt(shares[i - 1], products, ctx)
        verify_partial(key, products, partial, ctx)
        verify_partial(key.share_public_key(i), products, partial, ctx)
        partials[i] = partial
    return products, partials


def test_count_with_any_two_of_three_shares(box):
    pk = box[0]
    votes = [CHOICES, ["against"] * 4, ["for", "for", "abstain", "against"], ["abstain"] * 4]
    ballots = [encrypt_ballot(pk, v, QUOTA, ballot_context(FP, 1, f"{i:032x}"))
               for i, v in enumerate(votes)]
    ctx = decryption_context(FP, 1)
    expected = []
    for k in range(N):
        column = Counter(v[k] for v in votes)
        expected += [column["for"], column["against"]]
    for pair in itertools.combinations([1, 2, 3], 2):
        products, partials = _open(box, ballots, N, ctx, pair)
        assert combine(partials, products, len(votes), threshold=2) == expected
    products, partials = _open(box, ballots, N, ctx, [1, 2, 3])
    assert combine(partials, products, len(votes)) == expected


def test_one_share_recovers_nothing(box):
    pk = box[0]
    products = [encrypt(pk, m)[0] for m in (0, 1, 5)]
    ctx = decryption_context(FP, 1)
    partial = partial_decrypt(box[1][0], products, ctx)
    assert _reason(combine, {1: partial}, products, 60, threshold=2) == "not_enough_shares"
    # Used as if it were enough, one share's "totals" are not the plaintexts.
    with pytest.raises(BallotBoxError) as info:
        combine({1: partial}, products, 60)
    assert info.value.reason == "total_out_of_range"


def test_wrong_share_fails_its_proof(box):
    pk, shares, key = box
    products = [encrypt(pk, 3)[0], encrypt(pk, 0)[0]]
    ctx = decryption_context(FP, 1)
    # share 2's secret presented as share 1: the proof is against Y_1 and fails
    impostor = partial_decrypt(Share(1, shares[1].secret), products, ctx)
    assert _reason(verify_partial, key, products, impostor, ctx) == "bad_proof"
    # a share off by one
    wrong = partial_decrypt(Share(1, shares[0].secret + 1), products, ctx)
    assert _reason(verify_partial, key, products, wrong, ctx) == "bad_proof"


def test_partial_proof_fits_only_its_statement(box):
    pk, shares, key = box
    products = [encrypt(pk, 3)[0], encrypt(pk, 0)[0]]
    ctx = decryption_context(FP, 1)
    partial = partial_decrypt(shares[0], products, ctx)
    verify_partial(key, products, partial, ctx)
    for other_ctx in (decryption_context(FP, 2), decryption_context(OTHER_FP, 1)):
        assert _reason(verify_partial, key, products, partial, other_ctx) == "bad_proof"
    other_products = [products[0] + encrypt(pk, 0)[0], products[1]]
    assert _reason(verify_partial, key, other_products, partial, ctx) == "bad_proof"
    assert _reason(verify_partial, key, products[::-1], partial, ctx) == "bad_proof"
    relabelled = dict(partial, index=2)
    assert _reason(verify_partial, key, products, relabelled, ctx) == "bad_proof"


@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_altered_partial_decryption_fails(box, position):
    pk, shares, key = box
    products = [encrypt(pk, 3)[0], encrypt(pk, 0)[0]]
    ctx = decryption_context(FP, 1)
    partial = partial_decrypt(shares[2], products, ctx)
    forged = copy.deepcopy(partial)
    row = forged["decryptions"][1]
    if position < 3:
        row[position] = base_mul(777).hex()
    else:
        row[3] = scalar_hex(int.from_bytes(bytes.fromhex(row[3]), "little") + 1)
    assert _reason(verify_partial, key, products, forged, ctx) == "bad_proof"
    bad_point = copy.deepcopy(partial)
    bad_point["decryptions"][0][0] = NON_CANONICAL
    assert _reason(verify_partial, key, products, bad_point, ctx) == "bad_point"


def test_totals_round_trip_for_every_count_up_to_the_roster(box):
    pk, shares, key = box
    roster = 60
    products = [encrypt(pk, m)[0] for m in range(roster + 1)]
    ctx = decryption_context(FP, 1)
    partials = {i: partial_decrypt(shares[i - 1], products, ctx) for i in (1, 3)}
    assert combine(partials, products, roster) == list(range(roster + 1))


def test_round_with_no_ballots_opens_to_zero(box):
    pk, shares, key = box
    products = flatten(tally_product([], 3))
    assert products == [ZERO] * 6
    ctx = decryption_context(FP, 1)
    partials = {i: partial_decrypt(shares[i - 1], products, ctx) for i in (1, 2)}
    for partial in partials.values():
        verify_partial(key, products, partial, ctx)
    assert combine(partials, products, 0) == [0] * 6


def test_tally_product_infers_the_count_and_refuses_malformed_ballots(box, ballot):
    ctx, encrypted = ballot
    assert tally_product([encrypted, encrypted]) == tally_product([encrypted, encrypted], N)
    assert tally_product([]) == []
    assert _reason(tally_product, [encrypted], N + 1) == "wrong_count"
    assert _reason(tally_product, [{"projects": [1, 2, 3, 4]}]) == "bad_format"
    assert _reason(tally_product, [None], N) == "wrong_count"


def test_discrete_log_bounds():
    for m in list(range(0, 70)) + [2999, 3000]:
        assert discrete_log(base_mul(m), 3000) == m
    assert discrete_log(base_mul(0), 0) == 0
    assert _reason(discrete_log, base_mul(3001), 3000) == "total_out_of_range"
    assert _reason(discrete_log, base_mul(L - 1), 3000) == "total_out_of_range"


@settings(max_examples=8, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["for", "against", "abstain"]), min_size=3, max_size=3),
                min_size=0, max_size=5),
       st.integers(0, 3))
def test_property_tally_matches_plaintext(box, votes, quota):
    pk, shares, key = box
    votes = [v for v in votes if v.count("for") <= quota]
    ballots = []
    for i, v in enumerate(votes):
        ctx = ballot_context(FP, 1, f"{i:032x}")
        encrypted = encrypt_ballot(pk, v, quota, ctx)
        verify_ballot(pk, encrypted, 3, quota, ctx)
        ballots.append(encrypted)
    products, partials = _open(box, ballots, 3, decryption_context(FP, 1), (2, 3))
    expected = [sum(v[k] == c for v in votes) for k in range(3) for c in ("for", "against")]
    assert combine(partials, products, len(votes)) == expected

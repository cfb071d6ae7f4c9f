"""Shamir shares with Feldman commitments, Lagrange coefficients and the key-card text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballot.ballotbox.errors import BallotBoxError
from ballot.ballotbox.group import L, base_mul
from ballot.ballotbox.shares import (
    BoxKey,
    Share,
    deal,
    encode_share,
    lagrange_at_zero,
    parse_share,
)

SESSION_FP = "3fa291bc" + "0" * 56
OTHER_FP = "0badcafe" + "0" * 56


def _reconstruct(shares: list[Share]) -> int:
    lam = lagrange_at_zero([s.index for s in shares])
    return sum(lam[s.index] * s.secret for s in shares) % L


def _box(t=2, n=3, coefficients=None):
    pk, shares, commitments = deal(t, n, coefficients)
    return BoxKey(t, n, tuple(commitments)), shares, pk


@pytest.mark.parametrize("t,n", [(1, 1), (1, 3), (2, 3), (3, 5), (9, 9)])
def test_any_t_shares_give_the_key_and_fewer_do_not(t, n):
    box, shares, pk = _box(t, n)
    assert box.public_key == pk
    for subset in itertools.combinations(shares, t):
        assert base_mul(_reconstruct(list(subset))) == pk
    for subset in itertools.combinations(shares, t - 1):
        if subset:
            assert base_mul(_reconstruct(list(subset))) != pk


def test_share_public_keys_follow_from_commitments():
    box, shares, _ = _box(3, 5)
    for share in shares:
        assert box.share_public_key(share.index) == share.public_key()
        box.check_share(share)
    with pytest.raises(BallotBoxError):
        box.check_share(Share(2, shares[1].secret + 1))


def test_deterministic_deal_for_vectors():
    box, shares, pk = _box(2, 3, [7, 11])
    assert [s.secret for s in shares] == [18, 29, 40]
    assert pk == base_mul(7)


@pytest.mark.parametrize("t,n", [(0, 3), (4, 3), (2, 10), (1, 0)])
def test_thresholds_outside_1_t_n_9_refused(t, n):
    with pytest.raises(BallotBoxError) as info:
        deal(t, n)
    assert info.value.reason == "bad_threshold"


def test_lagrange_refuses_repeats():
    with pytest.raises(BallotBoxError):
        lagrange_at_zero([1, 1])


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_lagrange_interpolates_any_polynomial(data):
    t = data.draw(st.integers(1, 5))
    coefficients = data.draw(st.lists(st.integers(1, L - 1), min_size=t, max_size=t))
    indices = data.draw(st.lists(st.integers(1, 9), min_size=t, max_size=t, unique=True))
    values = {i: sum(a * i**j for j, a in enumerate(coefficients)) % L for i in indices}
    lam = lagrange_at_zero(indices)
    assert sum(lam[i] * values[i] for i in indices) % L == coefficients[0]


def test_share_repr_hides_the_secret():
    share = Share(1, 123456789)
    assert "123456789" not in repr(share) and "123456789" not in str(share)


def test_box_key_json_round_trip_and_fingerprint():
    box, _, _ = _box()
    again = BoxKey.from_json(box.to_json())
    assert again == box and again.fingerprint() == box.fingerprint()
    other, _, _ = _box()
    assert other.fingerprint() != box.fingerprint()
    bad = box.to_json() | {"t": 3}
    with pytest.raises(BallotBoxError):
        BoxKey.from_json(bad)
    with pytest.raises(BallotBoxError):
        BoxKey.from_json(box.to_json() | {"commitments": ["00" * 32, box.to_json()["commitments"][1]]})


# --- key cards --------------------------------------------------------------------------------


def test_card_round_trip_and_forgiving_input():
    box, shares, _ = _box()
    for share in shares:
        text = encode_share(share, SESSION_FP, box)
        assert text.startswith("BOX1-3FA291BC-") and text == text.upper()
        assert parse_share(text, SESSION_FP, box) == share
        spaced = " ".join(text[i:i + 4] for i in range(0, len(text), 4)).lower()
        assert parse_share(spaced + "\n", SESSION_FP, box) == share


def _reason(text, fp=SESSION_FP, box=None):
    with pytest.raises(BallotBoxError) as info:
        parse_share(text, fp, box)
    return info.value.reason


def test_card_errors_say_what_is_wrong():
    box, shares, _ = _box()
    text = encode_share(shares[0], SESSION_FP, box)
    assert _reason("hello", box=box) == "not_a_share"
    assert _reason("", box=box) == "not_a_share"
    assert _reason(text[:-6] + text[-5:], box=box) == "not_a_share"  # a digit dropped
    # one character of the secret changed: the check digits catch it
    pos = len(text) - 10
    swapped = text[:pos] + ("A" if text[pos] != "A" else "B") + text[pos + 1:]
    assert _reason(swapped, box=box) == "bad_check"
    assert _reason(text, fp=OTHER_FP, box=box) == "wrong_session"
    # a card from an earlier sealing of the same session (reprinted: the old card is void)
    new_box, _, _ = _box()
    assert _reason(text, box=new_box) == "voided_share"


def test_card_with_valid_check_but_wrong_secret_is_refused():
    box, shares, _ = _box()
    forged = Share(1, shares[0].secret + 1)
    assert _reason(encode_share(forged, SESSION_FP, box), box=box) == "voided_share"
    too_big = Share(1, L + 3)
    assert _reason(encode_share(too_big, SESSION_FP, box), box=box) == "not_a_share"

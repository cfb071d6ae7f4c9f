"""The ballot box in the bundle: every changed byte of a ciphertext, proof, product, partial
decryption or total is caught, and named; proofs do not move between sessions, rounds or ballots;
a partial decryption made with a wrong share fails; fewer than t shares open nothing."""

from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import pytest
from bundle_builder import (
    Session,
    build_realistic,
    deal_box,
    decrypt_for_test,
    draw_scalar,
    make_session,
    reopen,
    resign,
    rewrite_member,
    roster,
    sign_payload,
)

from ballot import crypto
from ballot.ballotbox import proofs
from ballot.ballotbox.elgamal import Ciphertext, encrypt
from ballot.verify import verify_bundle

_PRISTINE = build_realistic()
HALL_FP = _PRISTINE.fingerprint
HALL_BOX_FP = _PRISTINE.box.key.fingerprint()
HEX_SWAP = str.maketrans("0123456789abcdef", "123456789abcdef0")


def flip(text: str, at: int = 5) -> str:
    """The same hex string with one digit changed (one changed byte)."""
    return text[:at] + text[at].translate(HEX_SWAP) + text[at + 1:]


def problems(session: Session, tmp_path: Path, **kwargs) -> set[str]:
    path = session.write(tmp_path / "b.zip")
    report = verify_bundle(path, HALL_FP, expected_box_fingerprint=HALL_BOX_FP, **kwargs)
    return {p.code for p in report.problems}


def first_entry(session: Session, number: int = 1) -> dict:
    return next(e for e in session.entries if e["payload"]["round"] == number)


def test_pristine_bundle_passes_with_both_fingerprints(tmp_path):
    assert problems(_PRISTINE.copy(), tmp_path) == set()


# --- one changed byte anywhere ---------------------------------------------------------------

def _ciphertext(s: Session) -> None:
    project = first_entry(s)["payload"]["ballot"]["projects"][3]
    project["for"]["b"] = flip(project["for"]["b"])


def _choice_proof_commitment(s: Session) -> None:
    branch = first_entry(s)["payload"]["ballot"]["projects"][0]["proof"][1]
    branch[0] = flip(branch[0])


def _choice_proof_scalar(s: Session) -> None:
    branch = first_entry(s)["payload"]["ballot"]["projects"][7]["proof"][2]
    branch[3] = flip(branch[3])


def _quota_proof(s: Session) -> None:
    branch = first_entry(s)["payload"]["ballot"]["quota_proof"][4]
    branch[2] = flip(branch[2])


def _product(s: Session) -> None:
    product = s.opened[1]["products"]["05"]["against"]
    product["a"] = flip(product["a"])


def _partial_value(s: Session) -> None:
    row = s.opened[1]["partials"][0]["decryptions"][6]
    row[0] = flip(row[0])


def _partial_proof(s: Session) -> None:
    row = s.opened[2]["partials"][1]["decryptions"][1]
    row[3] = flip(row[3])


def _total(s: Session) -> None:
    s.opened[1]["totals"]["03"]["for"] += 1


ENTRY = {"entry_hash_mismatch", "entry_signature_invalid"}
BAD_BALLOT = {"entry_proof_invalid", "entry_ballot_malformed"}
BAD_PARTIAL = {"box_partial_invalid", "box_too_few_shares"}


@pytest.mark.parametrize(("tamper", "must", "one_of"), [
    (_ciphertext, ENTRY | {"box_product_mismatch"}, BAD_BALLOT),
    (_choice_proof_commitment, ENTRY, BAD_BALLOT),
    (_choice_proof_scalar, ENTRY | {"entry_proof_invalid"}, set()),
    (_quota_proof, ENTRY | {"entry_proof_invalid"}, set()),
    (_product, set(), {"box_product_mismatch", "box_malformed"}),
    (_partial_value, BAD_PARTIAL, set()),
    (_partial_proof, BAD_PARTIAL, set()),
    (_total, {"box_total_mismatch"}, set()),
], ids=["ciphertext", "choice-proof-commitment", "choice-proof-scalar", "quota-proof",
        "product", "partial-value", "partial-proof", "total"])
def test_one_changed_value(tmp_path, tamper, must, one_of):
    session = _PRISTINE.copy()
    tamper(session)
    found = problems(session, tmp_path)
    assert must <= found
    assert not one_of or found & one_of
    # Nothing else is blamed: the problem is named where it is.
    assert found <= must | one_of | BAD_PARTIAL | {"box_product_mismatch"}


@pytest.mark.parametrize("member", ["entries.jsonl", "box.json"])
def test_any_flipped_byte_in_a_member(tmp_path, member):
    """Flip one byte in many places of the member (a hex digit or a structural character)."""
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    with zipfile.ZipFile(path) as zf:
        data = zf.read(member)
    rng = random.Random(11)
    for position in sorted(rng.sample(range(len(data)), 12)):
        mask = rng.randrange(1, 256)
        copy = tmp_path / f"flip-{position}.zip"
        copy.write_bytes(path.read_bytes())
        rewrite_member(copy, member, lambda d, p=position, m=mask: d[:p] + bytes([d[p] ^ m])
                       + d[p + 1:])
        assert not verify_bundle(copy, HALL_FP).ok, (member, position, mask)


def test_ciphertext_replaced_and_resigned_by_the_key_holder(tmp_path):
    """A key holder swaps in a valid ciphertext from another project and re-signs the entry:
    the proof, which hashes every ciphertext of the ballot, fails, and so does the product."""
    session = _PRISTINE.copy()
    entry = first_entry(session)
    projects = entry["payload"]["ballot"]["projects"]
    projects[0]["for"], projects[1]["for"] = projects[1]["for"], projects[0]["for"]
    resign_without_reopening(session)
    found = problems(session, tmp_path)
    assert found == {"entry_proof_invalid", "box_product_mismatch"}


def resign_without_reopening(session: Session) -> None:
    opened = json.loads(json.dumps(session.opened))
    resign(session)
    session.opened = {int(k): v for k, v in opened.items()}


# --- proofs are bound to their session, round and ballot --------------------------------------

def _replace_ballot(session: Session, context: bytes, number: int = 1) -> None:
    """The first entry of round ``number`` gets a fresh encryption of the same choices whose
    proofs name ``context``; the key holder re-signs it and re-opens every round, so the counts
    do not change and only the proof can tell."""
    entry = first_entry(session, number)
    candidates = session.manifest["rounds"][number - 1]["candidates"]
    quota = session.manifest["rounds"][number - 1]["quota"]
    choices = decrypt_for_test(session, entry)
    marks = [choices[c] for c in candidates]
    ballot = proofs.encrypt_ballot(session.box.key.public_key, marks, quota, context,
                                   rng=draw_scalar(random.Random(5)))
    entry.update(sign_payload(session.key, {**entry["payload"], "ballot": ballot}))
    resign(session)


@pytest.mark.parametrize("where", ["session", "round", "ballot_id", "purpose"])
def test_proof_made_for_another_context_fails(tmp_path, where):
    session = _PRISTINE.copy()
    ballot_id = first_entry(session)["payload"]["ballot_id"]
    context = {
        "session": proofs.ballot_context(crypto.fingerprint(crypto.generate_key()), 1, ballot_id),
        "round": proofs.ballot_context(HALL_FP, 2, ballot_id),
        "ballot_id": proofs.ballot_context(HALL_FP, 1, "0" * 32),
        "purpose": proofs.make_context(HALL_FP, 1, "decryption", ballot_id),
    }[where]
    _replace_ballot(session, context)
    assert problems(session, tmp_path) == {"entry_proof_invalid"}


def test_ballot_copied_from_another_entry_fails(tmp_path):
    """Copying a ballot (ciphertexts and proofs) under another ballot id: its proofs name the
    original ballot id, so the copy is caught even though it is re-signed."""
    session = _PRISTINE.copy()
    round_1 = [e for e in session.entries if e["payload"]["round"] == 1]
    round_1[1].update(sign_payload(session.key, {**round_1[1]["payload"],
                                                 "ballot": round_1[0]["payload"]["ballot"]}))
    resign(session)
    found = problems(session, tmp_path)
    assert "entry_proof_invalid" in found
    # The copy changes the totals, so the signed counts (and what follows from them) differ.
    assert found <= {"entry_proof_invalid", "tally_mismatch", "round_chain_invalid",
                     "final_result_mismatch"}


def test_correct_context_passes(tmp_path):
    """The control for the tests above: the same re-encryption with the right context."""
    session = _PRISTINE.copy()
    ballot_id = first_entry(session)["payload"]["ballot_id"]
    _replace_ballot(session, proofs.ballot_context(HALL_FP, 1, ballot_id))
    assert problems(session, tmp_path) == set()


# --- partial decryptions ----------------------------------------------------------------------

def _partial_with(session: Session, number: int, share, index: int,
                  context: bytes | None = None) -> dict:
    candidates = session.manifest["rounds"][number - 1]["candidates"]
    flat = proofs.flatten([
        (Ciphertext.from_json(session.opened[number]["products"][c]["for"], allow_identity=True),
         Ciphertext.from_json(session.opened[number]["products"][c]["against"],
                              allow_identity=True))
        for c in candidates])
    made = proofs.partial_decrypt(share, flat,
                                  context or proofs.decryption_context(HALL_FP, number))
    return {**made, "index": index, "holder": session.box.holders[index - 1]}


def test_partial_made_with_a_share_of_another_box(tmp_path):
    session = _PRISTINE.copy()
    other = deal_box(random.Random(9), 2, 3, roster(3))
    session.opened[1]["partials"][1] = _partial_with(session, 1, other.shares[1], 2)
    found = problems(session, tmp_path)
    assert found == {"box_partial_invalid", "box_too_few_shares"}


def test_partial_made_with_another_share_of_this_box(tmp_path):
    """Share 3's decryption presented as share 2's: it does not match share 2's commitment."""
    session = _PRISTINE.copy()
    session.opened[1]["partials"][1] = _partial_with(session, 1, session.box.shares[2], 2)
    assert problems(session, tmp_path) == {"box_partial_invalid", "box_too_few_shares"}


@pytest.mark.parametrize("context", [
    proofs.decryption_context(HALL_FP, 1),
    proofs.decryption_context(crypto.fingerprint(crypto.generate_key()), 2),
    proofs.ballot_context(HALL_FP, 2, "0" * 32),
], ids=["another-round", "another-session", "another-purpose"])
def test_partial_bound_to_its_session_and_round(tmp_path, context):
    """Share 2's honest decryption of round 2's products, but proved for another context."""
    session = _PRISTINE.copy()
    session.opened[2]["partials"][1] = _partial_with(session, 2, session.box.shares[1], 2,
                                                     context)
    assert problems(session, tmp_path) == {"box_partial_invalid", "box_too_few_shares"}


def test_partial_with_the_right_share_and_context_passes(tmp_path):
    """The control: the same partial made for round 2 itself verifies."""
    session = _PRISTINE.copy()
    session.opened[2]["partials"][1] = _partial_with(session, 2, session.box.shares[1], 2)
    assert problems(session, tmp_path) == set()


def test_t_minus_one_partials_open_nothing(tmp_path):
    session = _PRISTINE.copy()
    del session.opened[1]["partials"][0]
    assert problems(session, tmp_path) == {"box_too_few_shares"}


def test_the_same_share_twice_is_one_share(tmp_path):
    session = _PRISTINE.copy()
    session.opened[1]["partials"][1] = dict(session.opened[1]["partials"][0])
    assert problems(session, tmp_path) == {"box_partial_duplicate", "box_too_few_shares"}


def test_partial_under_another_holders_name(tmp_path):
    session = _PRISTINE.copy()
    session.opened[1]["partials"][0]["holder"] = "冒名"
    assert problems(session, tmp_path) == {"box_partial_holder_mismatch"}


@pytest.mark.parametrize("use", [(1, 3), (2, 3), (1, 2, 3)])
def test_any_t_shares_open_the_box(tmp_path, use):
    session = _PRISTINE.copy()
    rng = random.Random(4)
    for number in (1, 2):
        reopen(session, number, use=use, rng=rng)
    assert [p["index"] for p in session.opened[1]["partials"]] == list(use)
    assert problems(session, tmp_path) == set()


@pytest.mark.parametrize("threshold", [(1, 1), (1, 2), (3, 5)])
def test_other_thresholds(tmp_path, threshold):
    rng = random.Random(6)
    ballots = [{"01": "for", "02": "against"}, {"02": "for"}, {}, {"01": "against"}]
    session = make_session({1: ballots}, roster_size=7, present={1: 6}, issued={1: 5},
                           n_candidates=3, quota=2, rng=rng, threshold=threshold)
    path = session.write(tmp_path / "b.zip")
    report = verify_bundle(path, session.fingerprint,
                           expected_box_fingerprint=session.box.key.fingerprint())
    assert report.ok, [str(p) for p in report.problems]
    assert session.opened[1]["totals"] == {"01": {"for": 1, "against": 1},
                                           "02": {"for": 1, "against": 1},
                                           "03": {"for": 0, "against": 0}}


def test_empty_round_opens_to_zero(tmp_path):
    session = make_session({1: []}, roster_size=5, present={1: 4}, issued={1: 2},
                           n_candidates=2, quota=1, rng=random.Random(8))
    assert session.opened[1]["products"]["01"]["for"] == {"a": "00" * 32, "b": "00" * 32}
    report = verify_bundle(session.write(tmp_path / "b.zip"), session.fingerprint)
    assert report.ok, [str(p) for p in report.problems]


# --- totals -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "side", "delta"), [("01", "for", 1), ("12", "against", -1),
                                                     ("09", "for", -1)])
def test_total_off_by_one(tmp_path, code, side, delta):
    session = _PRISTINE.copy()
    session.opened[1]["totals"][code][side] += delta
    assert problems(session, tmp_path) == {"box_total_mismatch"}


def test_signed_count_off_by_one_against_the_opened_totals(tmp_path):
    session = _PRISTINE.copy()
    session.result["rounds"][0]["counts"]["04"]["against"] += 1
    path = session.write(tmp_path / "b.zip")
    report = verify_bundle(path, HALL_FP)
    assert [(p.code, p.where) for p in report.problems] == [
        ("tally_mismatch", "result.json round 1 counts.04.against")]


def test_total_out_of_range(tmp_path):
    """Products replaced by an encryption of more votes than the roster: the partials of those
    products verify, but the total is no count."""
    session = _PRISTINE.copy()
    pk = session.box.key.public_key
    big, _ = encrypt(pk, 61)
    session.opened[1]["products"]["02"]["for"] = big.to_json()
    session.opened[1]["partials"] = [_partial_with(session, 1, session.box.shares[i - 1], i)
                                     for i in (1, 2)]
    found = problems(session, tmp_path)
    assert found == {"box_product_mismatch", "box_total_out_of_range"}


# --- the box key and its fingerprint ----------------------------------------------------------

def test_wrong_box_fingerprint_from_the_hall(tmp_path):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    report = verify_bundle(path, HALL_FP, expected_box_fingerprint=HALL_FP)
    assert [p.code for p in report.problems] == ["box_fingerprint_mismatch"]


def test_manifest_states_another_box_fingerprint(tmp_path):
    session = _PRISTINE.copy()
    session.manifest["box"]["fingerprint"] = flip(session.manifest["box"]["fingerprint"])
    assert problems(session, tmp_path) == {"box_fingerprint_inconsistent"}


def test_signed_result_names_another_box(tmp_path):
    session = _PRISTINE.copy()
    session.result["box_fingerprint"] = flip(session.result["box_fingerprint"])
    assert problems(session, tmp_path) == {"box_fingerprint_inconsistent"}


def test_box_swapped_for_one_the_operator_dealt(tmp_path):
    """An operator who replaces the box key in the manifest and the signed result (so they
    agree) is caught by the hall's box fingerprint, and by every proof on the board."""
    session = _PRISTINE.copy()
    other = deal_box(random.Random(12), 2, 3, session.box.holders)
    session.manifest["box"] = other.manifest()
    session.result["box_fingerprint"] = other.key.fingerprint()
    found = problems(session, tmp_path)
    assert {"box_fingerprint_mismatch", "entry_proof_invalid", "box_partial_invalid",
            "box_too_few_shares"} <= found


def test_public_key_must_be_the_first_commitment(tmp_path):
    session = _PRISTINE.copy()
    session.manifest["box"]["public_key"] = session.manifest["box"]["commitments"][1]
    assert problems(session, tmp_path) == {"box_key_invalid"}


@pytest.mark.parametrize("change", [
    lambda box: box.update(t=4),
    lambda box: box.update(group="edwards25519"),
    lambda box: box["commitments"].__setitem__(1, "00" * 32),
    lambda box: box["commitments"].__setitem__(1, flip(box["commitments"][1], 63)),
    lambda box: box.update(holders=box["holders"][:2]),
], ids=["threshold", "group", "identity", "bad-point", "holders"])
def test_box_key_malformed(tmp_path, change):
    session = _PRISTINE.copy()
    change(session.manifest["box"])
    assert "box_key_invalid" in problems(session, tmp_path)


# --- format 1 ---------------------------------------------------------------------------------

def test_format_1_bundle_is_refused_plainly(tmp_path):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")

    def as_format_1(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["format"] = "piaojue-bundle/1"
        return json.dumps(manifest).encode()

    rewrite_member(path, "manifest.json", as_format_1)
    rewrite_member(path, "box.json", lambda data: None)
    report = verify_bundle(path, HALL_FP)
    assert [p.code for p in report.problems] == ["bundle_format_old"]
    assert "旧格式" in report.problems[0].zh


def test_no_plaintext_choice_in_the_bundle(tmp_path):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    with zipfile.ZipFile(path) as zf:
        for name in ("entries.jsonl", "box.json"):
            data = zf.read(name)
            assert b"choices" not in data and b'"abstain"' not in data, name

"""Every way of tampering with a bundle is caught, and named by a specific problem code."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from bundle_builder import Session, build_realistic, codes, rewrite_member

from ballot import crypto
from ballot.bundle import REQUIRED_MEMBERS
from ballot.verify import verify_bundle
from tests.conftest import skip_or_fail

_PRISTINE = build_realistic()
HEX_SWAP = str.maketrans("0123456789abcdef", "123456789abcdef0")


def flip_hex(text: str, at: int = 5) -> str:
    """The same hex string with one digit changed."""
    return text[:at] + text[at].translate(HEX_SWAP) + text[at + 1 :]


def first_valid(session: Session, round_number: int = 1) -> dict:
    """A round's first entry whose ballot is valid, so changing it changes the counts."""
    return next(
        e for e in session.entries
        if e["payload"]["round"] == round_number
        and list(e["payload"]["choices"].values()).count("for") <= 10
    )


def verify(session: Session, tmp_path: Path, **write) -> set[str]:
    path = session.write(tmp_path / "tampered.zip", **write)
    report = verify_bundle(path, crypto.fingerprint(_PRISTINE.key))
    assert not report.ok
    return {p.code for p in report.problems}


def test_untouched_bundle_passes(tmp_path):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    report = verify_bundle(path, crypto.fingerprint(_PRISTINE.key))
    assert report.ok, [str(p) for p in report.problems]


# --- a flipped byte in each field of an entry -------------------------------------------------


def _ballot_id(s: Session) -> None:
    payload = first_valid(s)["payload"]
    payload["ballot_id"] = flip_hex(payload["ballot_id"])


def _round(s: Session) -> None:
    first_valid(s)["payload"]["round"] = 3


def _hash(s: Session) -> None:
    entry = first_valid(s)
    entry["hash"] = flip_hex(entry["hash"], 20)


def _signature(s: Session) -> None:
    entry = first_valid(s)
    sig = bytearray(crypto.decode_signature(entry["signature"]))
    sig[10] ^= 0x01
    entry["signature"] = crypto.encode_signature(bytes(sig))


@pytest.mark.parametrize(("tamper", "expected"), [
    (_ballot_id, {"entry_hash_mismatch", "entry_signature_invalid"}),
    (_round, {"entry_hash_mismatch", "entry_signature_invalid", "entry_unknown_round"}),
    (_hash, {"entry_hash_mismatch", "merkle_root_mismatch"}),
    (_signature, {"entry_signature_invalid"}),
], ids=["ballot_id", "round", "hash", "signature"])
def test_flipped_entry_field(tmp_path, tamper, expected):
    session = _PRISTINE.copy()
    tamper(session)
    assert expected <= verify(session, tmp_path)


@pytest.mark.parametrize("code", codes(12))
def test_flipped_choice(tmp_path, code):
    session = _PRISTINE.copy()
    choices = first_valid(session)["payload"]["choices"]
    # Any other mark, including none at all (unmarked), is a different vote.
    other = {"for": "against", "against": "abstain", "abstain": None, None: "against"}
    new = other[choices.get(code)]
    if new is None:
        del choices[code]
    else:
        choices[code] = new
    found = verify(session, tmp_path)
    assert {"entry_hash_mismatch", "entry_signature_invalid", "tally_mismatch"} <= found


# --- whole entries ----------------------------------------------------------------------------


def _drop(s: Session) -> None:
    s.entries.remove(first_valid(s))


def _duplicate(s: Session) -> None:
    s.entries.append(dict(first_valid(s)))


def _move_to_round_2(s: Session) -> None:
    # The attacker recomputes the hash but cannot re-sign.
    entry = first_valid(s)
    entry["payload"]["round"] = 2
    entry["hash"] = crypto.entry_hash(entry["payload"])


def _extra_signed_by_other_key(s: Session) -> None:
    ballot_id = crypto.ballot_id_from_token(crypto.new_token())
    s.entries.append(crypto.make_entry(crypto.generate_key(), ballot_id, 2, {"10": "for"}))


def _signature_of_another_entry(s: Session) -> None:
    a, b = [e for e in s.entries if e["payload"]["round"] == 1][:2]
    a["signature"] = b["signature"]


@pytest.mark.parametrize(("tamper", "expected"), [
    (_drop, {"merkle_root_mismatch", "entry_count_mismatch", "tally_mismatch"}),
    (_duplicate, {"entry_duplicate_ballot_id", "entry_duplicate_hash", "merkle_root_mismatch"}),
    (_move_to_round_2, {"entry_signature_invalid", "entry_unknown_candidate",
                        "merkle_root_mismatch"}),
    (_extra_signed_by_other_key, {"entry_signature_invalid", "returned_exceeds_issued",
                                  "entry_count_mismatch"}),
    (_signature_of_another_entry, {"entry_signature_invalid"}),
], ids=["dropped", "duplicated", "moved-round", "foreign-key", "borrowed-signature"])
def test_board_tampering(tmp_path, tamper, expected):
    session = _PRISTINE.copy()
    tamper(session)
    assert expected <= verify(session, tmp_path)


# --- the result and the issued list -----------------------------------------------------------


def _bump_count(s: Session) -> None:
    s.result["rounds"][0]["counts"]["01"]["for"] += 1


def test_changed_count_without_resigning(tmp_path):
    session = _PRISTINE.copy()
    original_sig = crypto.sign(session.key, crypto.canonical_json(session.result))
    _bump_count(session)
    found = verify(session, tmp_path, result_sig=original_sig)
    assert "result_signature_invalid" in found


def test_changed_count_resigned_by_key_holder_fails_the_recount(tmp_path):
    session = _PRISTINE.copy()
    _bump_count(session)  # Session.write signs the changed result with the real key
    path = session.write(tmp_path / "b.zip")
    report = verify_bundle(path, crypto.fingerprint(session.key))
    mismatches = [p for p in report.problems if p.code == "tally_mismatch"]
    assert [p.where for p in mismatches] == ["result.json round 1 counts.01.for"]
    assert "result_signature_invalid" not in {p.code for p in report.problems}


def test_changed_final_list_resigned_fails(tmp_path):
    session = _PRISTINE.copy()
    session.result["chosen"][-1] = "10"
    assert "final_result_mismatch" in verify(session, tmp_path)


def test_issued_list_shortened(tmp_path):
    session = _PRISTINE.copy()
    session.issued[1].pop()
    assert "issued_count_mismatch" in verify(session, tmp_path)


def test_manifest_rules_changed(tmp_path):
    session = _PRISTINE.copy()
    session.manifest["rules"]["pass_basis"] = "present"
    assert "manifest_result_mismatch" in verify(session, tmp_path)


# --- keys and fingerprints --------------------------------------------------------------------


def test_wrong_fingerprint(tmp_path):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    report = verify_bundle(path, crypto.fingerprint(crypto.generate_key()))
    assert {p.code for p in report.problems} == {"fingerprint_mismatch"}


def test_result_names_another_key(tmp_path):
    session = _PRISTINE.copy()
    session.result["key_fingerprint"] = crypto.fingerprint(crypto.generate_key())
    assert "result_fingerprint_mismatch" in verify(session, tmp_path)


def test_whole_bundle_resigned_with_attacker_key(tmp_path):
    """Self-consistent forgery: only the fingerprint read out in the hall exposes it."""
    forged = _PRISTINE.copy()
    forged.key = crypto.generate_key()
    for entry in forged.entries:
        p = entry["payload"]
        entry.update(crypto.make_entry(forged.key, p["ballot_id"], p["round"], p["choices"]))
    forged.result["key_fingerprint"] = crypto.fingerprint(forged.key)
    path = forged.write(tmp_path / "b.zip")
    assert verify_bundle(path).ok
    report = verify_bundle(path, crypto.format_fingerprint(crypto.fingerprint(_PRISTINE.key)))
    assert {p.code for p in report.problems} == {"fingerprint_mismatch"}


# --- the zip itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0.9, 0.5, 0.1])
def test_truncated_zip(tmp_path, keep):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    report = verify_bundle(path)
    assert [p.code for p in report.problems] == ["bundle_unreadable"]


@pytest.mark.parametrize("member", REQUIRED_MEMBERS)
def test_missing_member(tmp_path, member):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    rewrite_member(path, member, lambda data: None)
    report = verify_bundle(path, crypto.fingerprint(_PRISTINE.key))
    assert not report.ok
    assert ("member_missing", member) in {(p.code, p.where) for p in report.problems}


def test_corrupt_member_data(tmp_path):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("entries.jsonl")
    data = bytearray(path.read_bytes())
    # Local header is 30 bytes + name + extra; flip a byte well inside the compressed data.
    data[info.header_offset + 30 + len(info.filename) + len(info.extra) + 200] ^= 0xFF
    path.write_bytes(bytes(data))
    report = verify_bundle(path)
    assert ("member_corrupt", "entries.jsonl") in {(p.code, p.where) for p in report.problems}


# --- plain openssl ----------------------------------------------------------------------------


def _openssl_verify(directory: Path) -> subprocess.CompletedProcess:
    if shutil.which("openssl") is None:
        skip_or_fail("openssl is not installed (Debian package openssl)")
    return subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public_key.pem", "-rawin",
         "-in", "result.json", "-sigfile", "result.sig"],
        cwd=directory, capture_output=True, text=True,
    )


def _extract(tmp_path: Path, change: Callable[[bytes], bytes] = lambda b: b) -> Path:
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    out = tmp_path / "out"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(out)
    result = out / "result.json"
    result.write_bytes(change(result.read_bytes()))
    return out


def test_openssl_verifies_the_result_signature(tmp_path):
    run = _openssl_verify(_extract(tmp_path))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Signature Verified Successfully" in run.stdout


def test_openssl_refuses_a_tampered_result(tmp_path):
    def bump(result: bytes) -> bytes:
        assert b'"for":50' in result
        return result.replace(b'"for":50', b'"for":51', 1)

    run = _openssl_verify(_extract(tmp_path, bump))
    assert run.returncode != 0
    assert "Signature Verified Successfully" not in run.stdout

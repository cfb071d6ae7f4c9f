"""Every way of tampering with a bundle is caught, and named by a specific problem code."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from bundle_builder import (
    Session,
    ballots_with,
    build_realistic,
    codes,
    encrypted_entry,
    make_session,
    resign,
    rewrite_member,
)

from ballot import crypto
from ballot.bundle import REQUIRED_MEMBERS
from ballot.domain import tally
from ballot.verify import verify_bundle
from tests.conftest import skip_or_fail

_PRISTINE = build_realistic()
HEX_SWAP = str.maketrans("0123456789abcdef", "123456789abcdef0")


def flip_hex(text: str, at: int = 5) -> str:
    """The same hex string with one digit changed."""
    return text[:at] + text[at].translate(HEX_SWAP) + text[at + 1 :]


def first_valid(session: Session, round_number: int = 1) -> dict:
    """A round's first entry (every encrypted ballot is valid: it proves it)."""
    return next(e for e in session.entries if e["payload"]["round"] == round_number)


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
    (_ballot_id, {"entry_hash_mismatch", "entry_signature_invalid", "entry_proof_invalid"}),
    (_round, {"entry_hash_mismatch", "entry_signature_invalid", "entry_unknown_round"}),
    (_hash, {"entry_hash_mismatch", "merkle_root_mismatch"}),
    (_signature, {"entry_signature_invalid"}),
], ids=["ballot_id", "round", "hash", "signature"])
def test_flipped_entry_field(tmp_path, tamper, expected):
    session = _PRISTINE.copy()
    tamper(session)
    assert expected <= verify(session, tmp_path)


@pytest.mark.parametrize("code", codes(12))
def test_swapped_for_and_against(tmp_path, code):
    """Turning a 赞成 into a 反对 on the board (swapping the two ciphertexts) is caught."""
    session = _PRISTINE.copy()
    project = first_valid(session)["payload"]["ballot"]["projects"][int(code) - 1]
    project["for"], project["against"] = project["against"], project["for"]
    found = verify(session, tmp_path)
    assert {"entry_hash_mismatch", "entry_signature_invalid", "entry_proof_invalid",
            "box_product_mismatch"} <= found


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
    s.entries.append(encrypted_entry(crypto.generate_key(), s.box.key, ballot_id, 2,
                                     ["09", "10", "11"], {"10": "for"}, 2, random.Random(1)))


def _signature_of_another_entry(s: Session) -> None:
    a, b = [e for e in s.entries if e["payload"]["round"] == 1][:2]
    a["signature"] = b["signature"]


@pytest.mark.parametrize(("tamper", "expected"), [
    (_drop, {"merkle_root_mismatch", "entry_count_mismatch", "tally_mismatch",
             "box_product_mismatch"}),
    (_duplicate, {"entry_duplicate_ballot_id", "entry_duplicate_hash", "merkle_root_mismatch",
                  "box_product_mismatch"}),
    (_move_to_round_2, {"entry_signature_invalid", "entry_ballot_malformed",
                        "merkle_root_mismatch"}),
    (_extra_signed_by_other_key, {"entry_signature_invalid", "entry_proof_invalid",
                                  "returned_exceeds_issued", "entry_count_mismatch",
                                  "box_product_mismatch"}),
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
    forged = resign(_PRISTINE.copy(), crypto.generate_key())
    path = forged.write(tmp_path / "b.zip")
    assert verify_bundle(path).ok
    report = verify_bundle(path, crypto.format_fingerprint(crypto.fingerprint(_PRISTINE.key)))
    assert {p.code for p in report.problems} == {"fingerprint_mismatch"}


# --- what an independent verifier refused and ours accepted (issue 17, items 8 and 9) -------
#
# Each forgery is made the way a key holder would (every entry and the result re-signed with the
# session key, roots recomputed) and, where it matters, again with another key, which the
# fingerprint read out in the hall must expose on top of what the forgery itself breaks.

HALL_FP = crypto.fingerprint(_PRISTINE.key)
KEYS = ["session-key", "other-key"]


def forge(session: Session, tmp_path: Path, which: str) -> set[str]:
    """Re-sign `session` with the session key or another, write it, verify against the hall's
    fingerprint, and return the problem codes (a forgery with another key must also fail the
    fingerprint)."""
    resign(session, crypto.generate_key() if which == "other-key" else _PRISTINE.key)
    path = session.write(tmp_path / "forged.zip")
    found = {p.code for p in verify_bundle(path, HALL_FP).problems}
    assert ("fingerprint_mismatch" in found) is (which == "other-key")
    return found


def test_resigning_alone_changes_nothing(tmp_path):
    assert forge(_PRISTINE.copy(), tmp_path, "session-key") == set()


def test_issued_name_changed_after_signing(tmp_path):
    session = _PRISTINE.copy()
    session.issued[1][3] = "冒名"  # same count, another delegate's name
    found = verify(session, tmp_path)
    assert found == {"issued_digest_mismatch"}


def test_scrutineers_changed_after_signing(tmp_path):
    session = _PRISTINE.copy()
    session.manifest["scrutineers"]["chief"] = "冒名"
    session.manifest["scrutineers"]["counters"].append("冒名")
    found = verify(session, tmp_path, result_sig=crypto.sign(
        session.key, crypto.canonical_json(_PRISTINE.result)))
    assert found == {"manifest_result_mismatch"}


def _round_1_without(dropped: str) -> Session:
    """A vote held on 11 of the 12 projects, with a manifest and signed result listing all 12."""
    rng = random.Random(7)
    c = codes(12)
    held = [code for code in c if code != dropped]
    fors = dict(zip(held, [50, 48, 47, 45, 44, 42, 40, 38, 36, 35, 20], strict=True))
    session = make_session({1: ballots_with(rng, held, fors, 56, 10)}, roster_size=60,
                           present={1: 57}, issued={1: 57}, n_candidates=11, quota=10,
                           candidate_codes=held, rng=rng)
    full = build_realistic().manifest["candidates"]
    session.manifest["candidates"] = full
    session.result["candidates"] = json.loads(json.dumps(full))
    return session


@pytest.mark.parametrize("which", KEYS)
def test_round_1_missing_a_candidate(tmp_path, which):
    found = forge(_round_1_without("07"), tmp_path, which)
    assert "round_chain_invalid" in found


@pytest.mark.parametrize("which", KEYS)
def test_round_1_candidates_out_of_order(tmp_path, which):
    session = _PRISTINE.copy()
    first = session.manifest["rounds"][0]
    first["candidates"] = [*first["candidates"][1:], first["candidates"][0]]
    session.result["rounds"][0]["candidates"] = list(first["candidates"])
    assert "round_chain_invalid" in forge(session, tmp_path, which)


@pytest.mark.parametrize(("present", "expected"), [
    (61, {"present_mismatch", "present_exceeds_roster"}),
    (58, {"present_mismatch"}),
    (30, {"present_mismatch", "quorum_not_met"}),
])
def test_top_level_present(tmp_path, present, expected):
    session = _PRISTINE.copy()
    session.result["present"] = present
    assert forge(session, tmp_path, "session-key") == expected


def test_quorum_not_met(tmp_path):
    rng = random.Random(3)
    session = make_session({1: ballots_with(rng, codes(3), {"01": 20, "02": 10, "03": 5}, 30, 2)},
                           roster_size=60, present={1: 30}, issued={1: 30}, n_candidates=3,
                           quota=2, rng=rng)
    assert forge(session, tmp_path, "session-key") == {"quorum_not_met"}


@pytest.mark.parametrize("which", KEYS)
def test_tie_break_candidates_in_another_order(tmp_path, which):
    session = _PRISTINE.copy()
    reordered = ("11", "09", "10")  # the tie was 09, 10, 11 in ballot order
    session.manifest["rounds"][1]["candidates"] = list(reordered)
    resign(session)  # re-opens round 2 under the new order
    second = session.result["rounds"][1]
    totals = {c: (v["for"], v["against"]) for c, v in session.opened[2]["totals"].items()}
    spec = tally.RoundSpec(number=2, candidates=reordered, quota=2, contested=True,
                           roster_size=60, present=second["present"], issued=second["issued"])
    session.result["rounds"][1] = {**second,
                                   **tally.tally_totals(spec, totals, second["returned"]).to_dict()}
    assert session.result["rounds"][1]["candidates"] == list(reordered)
    assert "round_chain_invalid" in forge(session, tmp_path, which)


@pytest.mark.parametrize("name", ["sub/manifest.json", "extra.txt", "entries.jsonl.sig", "sub/"])
def test_unknown_zip_members(tmp_path, name):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(name, b"" if name.endswith("/") else b"{}")
    report = verify_bundle(path, HALL_FP)
    assert {(p.code, p.where) for p in report.problems} == {("member_unknown", name)}


def _respell_line(line: bytes) -> bytes:
    return json.dumps(json.loads(line)).encode()  # ", " and ": " separators, \u escapes


def _escape_a_digit(line: bytes) -> bytes:
    return line.replace(b'"round":', b'"\\u0072ound":', 1)


def _unsorted_keys(line: bytes) -> bytes:
    record = json.loads(line)
    return json.dumps({k: record[k] for k in ("signature", "payload", "hash")},
                      separators=(",", ":")).encode()


@pytest.mark.parametrize("respell", [_respell_line, _escape_a_digit, _unsorted_keys,
                                     lambda line: line + b" ", lambda line: b" " + line],
                         ids=["whitespace", "escaped", "key-order", "trailing-space",
                              "leading-space"])
def test_board_line_not_canonical(tmp_path, respell):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")

    def change(board: bytes) -> bytes:
        lines = board.split(b"\n")
        lines[5] = respell(lines[5])
        return b"\n".join(lines)

    rewrite_member(path, "entries.jsonl", change)
    report = verify_bundle(path, HALL_FP)
    assert [(p.code, p.where.split(" (")[0]) for p in report.problems] == [
        ("entry_not_canonical", "entries.jsonl line 6")]


def test_board_lines_in_crlf(tmp_path):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    rewrite_member(path, "entries.jsonl", lambda board: board.replace(b"\n", b"\r\n"))
    found = {p.code for p in verify_bundle(path, HALL_FP).problems}
    assert found == {"member_malformed", "entry_not_canonical"}


@pytest.mark.parametrize("member", ["entries.jsonl", "audit_log.jsonl"])
def test_last_line_without_newline(tmp_path, member):
    path = _PRISTINE.copy().write(tmp_path / "b.zip")
    rewrite_member(path, member, lambda data: data.rstrip(b"\n"))
    report = verify_bundle(path, HALL_FP)
    assert [p.code for p in report.problems] == ["member_malformed"]
    assert report.problems[0].where.startswith(member)


@pytest.mark.parametrize(("who", "name"), [
    ("chair", ""), ("chief_scrutineer", ""), ("chair", "  "), ("chief_scrutineer", "\t"),
])
def test_empty_confirmation(tmp_path, who, name):
    session = _PRISTINE.copy()
    session.result["confirmed_by"][who] = name
    assert forge(session, tmp_path, "session-key") == {"confirmation_missing"}


def test_unknown_confirmer(tmp_path):
    session = _PRISTINE.copy()
    session.result["confirmed_by"]["deputy"] = "王伟"
    assert forge(session, tmp_path, "session-key") == {"confirmation_missing"}


@pytest.mark.parametrize("which", KEYS)
def test_excess_ratio_not_met(tmp_path, which):
    """12 candidates for 10 slots is 20 % excess: a result claiming a 50 % minimum is false."""
    session = _PRISTINE.copy()
    for doc in (session.manifest, session.result):
        doc["rules"]["min_excess_ratio"] = "0.50"
    assert "excess_ratio_not_met" in forge(session, tmp_path, which)


@pytest.mark.parametrize(("rule", "value"), [
    ("min_excess_ratio", "0.2"), ("min_excess_ratio", "1.50"), ("min_excess_ratio", 0),
    ("min_excess_ratio", "-0.20"), ("quorum", "none"), ("quorum", None),
])
def test_rules_that_were_never_checked(tmp_path, rule, value):
    session = _PRISTINE.copy()
    for doc in (session.manifest, session.result):
        doc["rules"][rule] = value
    found = forge(session, tmp_path, "session-key")
    assert found == {"manifest_invalid"}


def test_uncontested_with_more_candidates_than_slots(tmp_path):
    rng = random.Random(4)
    session = make_session({1: ballots_with(rng, codes(3), {"01": 40, "02": 35, "03": 31}, 50, 3)},
                           roster_size=60, present={1: 57}, issued={1: 50}, n_candidates=3,
                           quota=3, rng=rng)
    assert session.manifest["rules"]["contested"] is False
    for doc in (session.manifest, session.result):
        doc["rules"]["min_excess_ratio"] = "0.20"
    assert forge(session, tmp_path, "session-key") == {"excess_ratio_not_met"}


@pytest.mark.parametrize("width", [1, 3])
def test_candidate_code_width(tmp_path, width):
    rng = random.Random(5)
    spelt = [f"{i:0{width}d}" for i in range(1, 4)]
    session = make_session(
        {1: ballots_with(rng, spelt, dict(zip(spelt, [40, 35, 20], strict=True)), 50, 2)},
        roster_size=60, present={1: 57}, issued={1: 50}, n_candidates=3, quota=2, rng=rng,
        candidate_codes=spelt)
    found = forge(session, tmp_path, "session-key")
    assert found == {"manifest_invalid"}


@pytest.mark.parametrize(("document", "where"), [
    ("manifest", None), ("manifest", "rules"), ("manifest", "session"),
    ("manifest", "scrutineers"), ("manifest", "candidate"), ("manifest", "round"),
    ("manifest", "box"), ("result", None),
])
def test_unknown_fields(tmp_path, document, where):
    session = _PRISTINE.copy()
    doc = getattr(session, document)
    target = {None: doc, "candidate": doc.get("candidates", [{}])[0],
              "round": doc.get("rounds", [{}])[0]}.get(where, doc.get(where))
    target["note"] = "unsigned claim"
    found = forge(session, tmp_path, "session-key")
    assert found <= {"manifest_invalid", "result_malformed", "manifest_result_mismatch",
                     "box_key_invalid"}
    assert found & {"manifest_invalid", "result_malformed", "box_key_invalid"}


@pytest.mark.parametrize("field", ["candidates", "scrutineers", "issued_sha256",
                                   "box_fingerprint", "box_holders"])
def test_result_fields_now_required(tmp_path, field):
    session = _PRISTINE.copy()
    del session.result[field]  # Session.write signs what is left with the session key
    assert "result_malformed" in verify(session, tmp_path)


def test_renamed_key_card_holders_break_the_signed_result(tmp_path):
    # The manifest is unsigned: renaming who holds a key card (and so whom a partial names)
    # must not pass once the result is signed.
    session = _PRISTINE.copy()
    session.manifest["box"]["holders"][0] = "冒名者"
    renamed = 0
    for opening in session.opened.values():
        for partial in opening["partials"]:
            if partial["index"] == 1:
                partial["holder"] = "冒名者"
                renamed += 1
    assert renamed, "the pristine bundle's share 1 opened no round"
    assert verify(session, tmp_path) == {"manifest_result_mismatch"}


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


def test_openssl_recipe_for_the_fingerprint(tmp_path):
    """docs/audit-bundle.md §3 and README.txt: the fingerprint with OpenSSL and coreutils only."""
    out = _extract(tmp_path)
    _openssl_verify(out)  # skips or fails clearly without openssl
    recipe = "openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum"
    assert recipe in (out / "README.txt").read_text()
    run = subprocess.run(["sh", "-c", recipe], cwd=out, capture_output=True, text=True,
                         check=True)
    assert run.stdout.split()[0] == crypto.fingerprint(_PRISTINE.key)


def test_result_from_before_paper_ballots_still_verifies(tmp_path):
    # A result signed before issue 22 has no per-kind figures: all its ballots are kiosk ones.
    session = _PRISTINE.copy()
    for rnd in session.result["rounds"]:
        for key in ("issued_by_kind", "returned_by_kind", "invalid_by_reason"):
            del rnd[key]
    assert forge(session, tmp_path, "session-key") == set()


def test_paper_issued_stated_above_issued_fails(tmp_path):
    session = _PRISTINE.copy()
    first = session.result["rounds"][0]
    first["issued_by_kind"] = {"kiosk": 0, "paper": first["issued"] + 1}
    assert "tally_failed" in forge(session, tmp_path, "session-key")

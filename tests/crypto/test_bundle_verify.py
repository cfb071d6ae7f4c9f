"""Writing, reading and verifying honest audit bundles (ballot/bundle.py, ballot/verify.py)."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from bundle_builder import Session, build_realistic, codes, make_session, resign, rewrite_member
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballot import bundle as bundle_mod
from ballot import crypto
from ballot.bundle import read_bundle
from ballot.verify import main, verify_bundle

REPO = Path(__file__).resolve().parents[2]
_PRISTINE = build_realistic()


@pytest.fixture
def session() -> Session:
    return _PRISTINE.copy()


@pytest.fixture
def bundle_path(session, tmp_path) -> Path:
    return session.write(tmp_path / "bundle.zip")


def codes_of(report) -> set[str]:
    return {p.code for p in report.problems}


@pytest.mark.parametrize("spelling", [
    None,
    lambda fp: fp,
    lambda fp: fp.upper(),
    crypto.format_fingerprint,
    lambda fp: crypto.format_fingerprint(fp).replace(" ", "-"),
])
def test_untouched_bundle_verifies(session, bundle_path, spelling):
    fp = crypto.fingerprint(session.key)
    box_fp = session.box.key.fingerprint()
    report = verify_bundle(bundle_path, None if spelling is None else spelling(fp),
                           expected_box_fingerprint=None if spelling is None else spelling(box_fp))
    assert report.ok, [str(p) for p in report.problems]
    assert report.fingerprint == fp
    assert report.fingerprint_checked is (spelling is not None)
    assert report.box_fingerprint == box_fp == session.result["box_fingerprint"]
    assert report.box_fingerprint_checked is (spelling is not None)
    assert report.entry_count == len(session.entries) == 112


def test_short_fingerprint_is_refused(session, bundle_path):
    report = verify_bundle(bundle_path, crypto.fingerprint(session.key)[:16])
    assert codes_of(report) == {"fingerprint_argument_invalid"}
    report = verify_bundle(bundle_path, crypto.fingerprint(session.key),
                           expected_box_fingerprint=session.box.key.fingerprint()[:16])
    assert codes_of(report) == {"box_fingerprint_argument_invalid"}


def test_bundle_members_and_order(session, bundle_path):
    with zipfile.ZipFile(bundle_path) as zf:
        names = zf.namelist()
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in zf.infolist())
        readme = zf.read("README.txt").decode()
    assert names == ["manifest.json", "entries.jsonl", "issued.json", "box.json", "result.json",
                     "result.sig", "public_key.pem", "audit_log.jsonl", "README.txt"]
    assert "openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in result.json " \
           "-sigfile result.sig" in readme
    bundle = read_bundle(bundle_path)
    assert bundle.problems == []
    assert bundle.manifest["format"] == "piaojue-bundle/2"
    assert bundle.manifest["box"]["fingerprint"] == session.box.key.fingerprint()
    assert set(bundle.box) == {"1", "2"}
    assert [p["index"] for p in bundle.box["1"]["partials"]] == [1, 2]
    assert {c: v["for"] for c, v in bundle.box["2"]["totals"].items()} == {
        "09": 40, "10": 30, "11": 38}
    assert "choices" not in bundle.entries[0].record["payload"]
    keys = [(line.record["payload"]["round"], line.record["hash"]) for line in bundle.entries]
    assert keys == sorted(keys)
    assert set(bundle.issued) == {"1", "2"} and len(bundle.issued["1"]) == 57
    assert bundle.result_json == crypto.canonical_json(session.result)
    assert len(bundle.result_sig) == 64
    assert [line.record["action"] for line in bundle.audit_log] == ["session.locked",
                                                                   "round.closed"]


def test_bundle_bytes_depend_only_on_content(session, tmp_path):
    a = session.write(tmp_path / "a.zip").read_bytes()
    shuffled = session.copy()
    random.Random(3).shuffle(shuffled.entries)
    b = shuffled.write(tmp_path / "b.zip").read_bytes()
    assert a == b


def test_write_bundle_refuses_bad_inputs(session):
    good = crypto.canonical_json(session.result)
    sig = crypto.sign(session.key, good)
    pem = crypto.public_key_pem(session.key)
    base = dict(manifest=session.manifest, entries=session.entries, issued=session.issued,
                box=session.opened, result_json=good, result_sig=sig, public_key_pem=pem)
    for change in ({"result_json": good + b" "}, {"result_sig": sig[:10]},
                   {"manifest": {**session.manifest, "ratio": 0.2}}):
        with pytest.raises((ValueError, TypeError)):
            bundle_mod.write_bundle(io.BytesIO(), **{**base, **change})


def test_reader_reports_bad_lines_and_keeps_the_rest(bundle_path):
    def damage(data: bytes) -> bytes:
        lines = data.split(b"\n")
        lines[2] = b'{"payload": '
        lines[4] = b'{"a": 1, "a": 2}'
        lines[6] = b"[1, 2]"
        return b"\n".join(lines)

    rewrite_member(bundle_path, "entries.jsonl", damage)
    bundle = read_bundle(bundle_path)
    assert [(p.code, p.where) for p in bundle.problems] == [
        ("member_malformed", "entries.jsonl line 3"),
        ("member_malformed", "entries.jsonl line 5"),
        ("member_malformed", "entries.jsonl line 7"),
    ]
    assert len(bundle.entries) == 112
    assert sum(line.record is None for line in bundle.entries) == 3


def test_reader_flags_duplicate_members(bundle_path):
    with zipfile.ZipFile(bundle_path, "a") as zf, pytest.warns(UserWarning):
        zf.writestr("result.json", b"{}")
    report = verify_bundle(bundle_path)
    assert "member_duplicate" in codes_of(report)


def test_reader_refuses_non_zip(tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"not a zip at all")
    bundle = read_bundle(path)
    assert [p.code for p in bundle.problems] == ["bundle_unreadable"]


def test_unsorted_board_is_flagged(bundle_path):
    def unsort(data: bytes) -> bytes:
        return b"\n".join(reversed(data.rstrip(b"\n").split(b"\n"))) + b"\n"

    rewrite_member(bundle_path, "entries.jsonl", unsort)
    assert codes_of(verify_bundle(bundle_path)) == {"entries_not_sorted"}


def test_every_problem_is_reported_not_just_the_first(session, tmp_path):
    projects = session.entries[0]["payload"]["ballot"]["projects"]
    projects[0]["for"], projects[1]["for"] = projects[1]["for"], projects[0]["for"]
    del session.entries[10]
    session.entries.append(dict(session.entries[20]))
    session.issued[2].pop()
    path = session.write(tmp_path / "b.zip")
    report = verify_bundle(path, crypto.fingerprint(crypto.generate_key()))
    assert {
        "entry_hash_mismatch", "entry_signature_invalid", "entry_proof_invalid",
        "entry_duplicate_ballot_id", "entry_duplicate_hash", "merkle_root_mismatch",
        "box_product_mismatch", "issued_count_mismatch", "fingerprint_mismatch",
    } <= codes_of(report)


def test_verify_imports_no_flask():
    code = ("import sys, ballot.verify, ballot.bundle, ballot.crypto, ballot.merkle, "
            "ballot.ballotbox.proofs; "
            "assert 'flask' not in sys.modules, sorted(m for m in sys.modules if 'flask' in m)")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_cli_exit_codes(session, bundle_path, tmp_path):
    fp = crypto.format_fingerprint(crypto.fingerprint(session.key))
    runner = CliRunner()
    good = runner.invoke(main, [str(bundle_path), "--fingerprint", fp])
    assert good.exit_code == 0, good.output
    assert "核验通过" in good.output and fp in good.output
    bad = runner.invoke(main, [str(bundle_path), "--fingerprint", "AB" * 16])
    assert bad.exit_code == 1
    assert "[fingerprint_mismatch]" in bad.output
    missing = runner.invoke(main, [str(tmp_path / "nope.zip"), "--no-fingerprint"])
    assert missing.exit_code == 1 and "[bundle_unreadable]" in missing.output


def test_cli_requires_the_fingerprint_or_an_explicit_no(session, bundle_path):
    runner = CliRunner()
    bare = runner.invoke(main, [str(bundle_path)])
    assert bare.exit_code == 2
    assert "--fingerprint" in bare.output and "--no-fingerprint" in bare.output
    both = runner.invoke(main, [str(bundle_path), "--no-fingerprint", "--fingerprint",
                                crypto.fingerprint(session.key)])
    assert both.exit_code == 2


def test_cli_prints_the_trusted_fingerprint(session, bundle_path):
    fp = crypto.fingerprint(session.key)
    given = CliRunner().invoke(main, [str(bundle_path), "--fingerprint", fp[:40]])
    assert given.exit_code == 0, given.output
    grouped = " ".join(fp[:40].upper()[i:i + 4] for i in range(0, 40, 4))
    assert f"trusted fingerprint (given): {grouped}" in given.output


def _forged_with_another_key(session: Session) -> Session:
    return resign(session.copy(), crypto.generate_key())


def test_cli_complete_forgery_with_another_key(session, tmp_path):
    """Only the fingerprint from the hall tells a complete forgery from the real bundle."""
    forged = _forged_with_another_key(session)
    path = forged.write(tmp_path / "forged.zip")
    runner = CliRunner()
    hall = crypto.format_fingerprint(crypto.fingerprint(session.key))
    checked = runner.invoke(main, [str(path), "--fingerprint", hall])
    assert checked.exit_code == 1 and "[fingerprint_mismatch]" in checked.output
    assert runner.invoke(main, [str(path)]).exit_code == 2
    unchecked = runner.invoke(main, [str(path), "--no-fingerprint"])
    assert unchecked.exit_code == 0
    forged_fp = crypto.format_fingerprint(crypto.fingerprint(forged.key))
    assert f"trusted fingerprint: {forged_fp}" in unchecked.output
    assert "NOT checked" in unchecked.output and "WARNING" in unchecked.stderr
    assert "verified: no problems found" not in unchecked.output


def test_python_dash_m(bundle_path, session):
    fp = crypto.fingerprint(session.key)
    run = subprocess.run([sys.executable, "-m", "ballot.verify", str(bundle_path),
                          "--fingerprint", fp], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    run = subprocess.run([sys.executable, "-m", "ballot.verify", str(bundle_path),
                          "--fingerprint", fp[::-1]], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 1


def test_progress_over_large_boards(tmp_path):
    rng = random.Random(5)
    ballots = [{c: rng.choice(["for", "against", "abstain"]) for c in codes(3)}
               for _ in range(1001)]  # encrypted and proved: about 10 s
    for b in ballots:  # keep every ballot valid: at most 2 赞成 for 2 slots
        if list(b.values()).count("for") > 2:
            b["01"] = "against"
    big = make_session({1: ballots}, roster_size=1100, present={1: 1050}, issued={1: 1001},
                       n_candidates=3, quota=2, rng=rng)
    path = big.write(tmp_path / "big.zip")
    seen = []

    def progress(lines, count):
        seen.append(count)
        return lines

    assert verify_bundle(path, progress=progress).ok
    assert seen == [1001]
    result = CliRunner().invoke(main, [str(path), "--fingerprint", crypto.fingerprint(big.key)])
    assert result.exit_code == 0, result.output


choice = st.sampled_from(["for", "against", "abstain", None])


@st.composite
def elections(draw):
    n_candidates = draw(st.integers(2, 5))
    quota = draw(st.integers(1, n_candidates))
    roster_size = draw(st.integers(3, 12))
    present = draw(st.integers(roster_size // 2 + 1, roster_size))
    issued = draw(st.integers(0, present))
    returned = draw(st.integers(0, issued))
    ballots = [
        {c: v for c in codes(n_candidates) if (v := draw(choice)) is not None}
        for _ in range(returned)
    ]
    for ballot in ballots:  # an encrypted ballot proves it has at most `quota` 赞成
        for code in [c for c, v in ballot.items() if v == "for"][quota:]:
            ballot[code] = "against"
    return ballots, dict(roster_size=roster_size, present={1: present}, issued={1: issued},
                         n_candidates=n_candidates, quota=quota)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elections())
def test_honest_elections_always_verify(election):
    ballots, kwargs = election
    session = make_session({1: ballots}, **kwargs)
    buffer = io.BytesIO()
    session.write(buffer)
    report = verify_bundle(io.BytesIO(buffer.getvalue()), crypto.fingerprint(session.key))
    assert report.ok, [str(p) for p in report.problems]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_flipped_byte_on_the_board_is_caught(data, tmp_path_factory):
    path = _PRISTINE.write(tmp_path_factory.mktemp("flip") / "b.zip")
    with zipfile.ZipFile(path) as zf:
        size = len(zf.read("entries.jsonl"))
    position = data.draw(st.integers(0, size - 1))
    mask = data.draw(st.integers(1, 255))

    def flip(board: bytes) -> bytes:
        return board[:position] + bytes([board[position] ^ mask]) + board[position + 1:]

    rewrite_member(path, "entries.jsonl", flip)
    assert not verify_bundle(path).ok

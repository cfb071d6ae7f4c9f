"""The committed test-vector bundle (docs/audit-bundle.md §12) is what its generator makes, and
verifies with exactly the committed output."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from click.testing import CliRunner
from fixture_bundle import BALLOTS, BUNDLE, EXPECTED, PAPER, build, bundle_bytes, verify_args

from ballot.verify import main

REPO = Path(__file__).resolve().parents[2]


def test_fixture_is_what_the_generator_makes():
    assert BUNDLE.read_bytes() == bundle_bytes(), (
        "regenerate with: .venv/bin/python tests/crypto/fixture_bundle.py")


def test_fixture_verifies_with_the_committed_output():
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, verify_args(build()))
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert result.output == EXPECTED.read_text(encoding="utf-8")
    assert "核验通过 / verified" in result.output


def test_fixture_totals_are_the_ballots():
    with zipfile.ZipFile(BUNDLE) as zf:
        box = json.loads(zf.read("box.json"))
        board = zf.read("entries.jsonl")
    valid = [*BALLOTS, PAPER[0]]  # PAPER[1] has 3 赞成 for 2 slots: invalid, in no total
    for code in ("01", "02", "03", "04"):
        for side in ("for", "against"):
            assert box["1"]["totals"][code][side] == sum(b.get(code) == side for b in valid)
    assert [p["index"] for p in box["1"]["partials"]] == [1, 3]
    assert b'"for"' in board and b'"abstain"' not in board and b"choices" not in board
    assert board.count(b'"kind":"paper"') == 2 and board.count(b'"invalid":"over_quota"') == 1


def test_docs_quote_the_fixture():
    doc = (REPO / "docs" / "audit-bundle.md").read_text(encoding="utf-8")
    session = build()
    assert session.fingerprint in doc and session.box.key.fingerprint() in doc
    assert EXPECTED.read_text(encoding="utf-8").strip() in doc

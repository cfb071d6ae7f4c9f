"""The test-vector bundle of docs/audit-bundle.md §12, made deterministically.

``python tests/crypto/fixture_bundle.py`` rewrites tests/fixtures/audit-bundle-v2.zip and the
expected ``ballot verify`` output next to it; tests/crypto/test_fixture_bundle.py checks that the
committed files are exactly what this makes and what the verifier prints.
"""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bundle_builder import Session, make_session  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BUNDLE = FIXTURES / "audit-bundle-v2.zip"
EXPECTED = FIXTURES / "audit-bundle-v2.verify.txt"
SEED = 2027
#: The plaintext ballots (test only: no bundle holds them). Round 1, 4 projects for 2 slots.
BALLOTS = [
    {"01": "for", "02": "for", "03": "against"},
    {"01": "for", "02": "for"},
    {"01": "for", "02": "for", "04": "against"},
    {"01": "for", "02": "for", "03": "abstain"},
    {"01": "for", "03": "for"},
]


#: Paper ballots of round 1 as the counting staff read them: one valid, one with 3 赞成 for 2
#: slots (invalid: over_quota). Issue 22: paper entries carry "kind": "paper".
PAPER = [
    {"01": "against", "02": "for", "04": "for"},
    {"01": "for", "02": "for", "03": "for"},
]


def build() -> Session:
    """7 delegates on the roster, all present, 7 issued (5 at kiosks, 2 on paper) and returned;
    a 2-of-3 box opened with shares 1 and 3 (so the Lagrange coefficients are not trivial)."""
    return make_session({1: BALLOTS}, roster_size=7, present={1: 7}, issued={1: 7},
                        n_candidates=4, quota=2, rng=random.Random(SEED), use=(1, 3),
                        paper={1: PAPER}, paper_issued={1: 2})


def bundle_bytes() -> bytes:
    """The fixture bundle's bytes."""
    buffer = io.BytesIO()
    build().write(buffer)
    return buffer.getvalue()


def verify_args(session: Session) -> list[str]:
    """The command line whose output EXPECTED holds (after ``ballot verify``)."""
    return [str(BUNDLE.relative_to(FIXTURES.parents[1])), "--fingerprint", session.fingerprint,
            "--box-fingerprint", session.box.key.fingerprint()]


if __name__ == "__main__":
    from click.testing import CliRunner

    from ballot.verify import main

    BUNDLE.write_bytes(bundle_bytes())
    result = CliRunner().invoke(main, verify_args(build()))
    EXPECTED.write_text(result.output, encoding="utf-8")
    print(result.output)

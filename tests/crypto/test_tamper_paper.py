"""Paper ballots in the audit bundle (issue 22.5): paper entries verify, and every way of
tampering with them is caught and named: a forged kind, an invalid entry with ciphertexts, an
unknown reason, more paper ballots than were issued, a reason miscounted."""

from __future__ import annotations

import random

from bundle_builder import Session, make_session, resign, sign_payload

from ballot import crypto
from ballot.verify import verify_bundle

KIOSK = [{"01": "for", "02": "for"}, {"01": "for", "03": "against"}, {"02": "for"}]
PAPER = [{"01": "for", "04": "for"}, {"01": "for", "02": "for", "03": "for"}, None]


def mixed(paper_issued: int = 3) -> Session:
    """Roster 9, 8 issued (5 kiosk, 3 paper), 3 kiosk and 3 paper ballots returned: one paper
    valid, one over the quota of 2, one unreadable."""
    return make_session({1: KIOSK}, roster_size=9, present={1: 8}, issued={1: 8},
                        n_candidates=4, quota=2, rng=random.Random(22), paper={1: PAPER},
                        paper_issued={1: paper_issued})


def problems(session: Session, tmp_path, *, resigned: bool = True) -> dict[str, str]:
    if resigned:
        resign(session)
    path = session.write(tmp_path / "b.zip")
    report = verify_bundle(path, crypto.fingerprint(session.key))
    return {p.code: str(p) for p in report.problems}


def _paper_entries(session: Session, invalid: bool | None = None) -> list[dict]:
    return [e for e in session.entries if e["payload"].get("kind") == "paper"
            and (invalid is None or ("invalid" in e["payload"]) is invalid)]


def test_a_mixed_bundle_verifies_and_counts_per_kind(tmp_path):
    session = mixed()
    assert problems(session, tmp_path, resigned=False) == {}
    first = session.result["rounds"][0]
    assert first["issued_by_kind"] == {"kiosk": 5, "paper": 3}
    assert first["returned_by_kind"] == {"kiosk": 3, "paper": 3}
    assert first["invalid_by_reason"] == {"over_quota": 1, "unreadable": 1}
    assert (first["returned"], first["valid"], first["invalid"]) == (6, 4, 2)
    assert first["counts"]["01"]["for"] == 3  # two kiosk ballots and the valid paper one


def test_a_forged_kind_fails(tmp_path):
    session = mixed()
    entry = _paper_entries(session, invalid=False)[0]
    entry["payload"]["kind"] = "kiosk"
    found = problems(session, tmp_path)
    assert "entry_kind_invalid" in found
    assert "paper" in found["entry_kind_invalid"]


def test_an_invalid_entry_with_ciphertexts_fails(tmp_path):
    session = mixed()
    valid = _paper_entries(session, invalid=False)[0]
    invalid = _paper_entries(session, invalid=True)[0]
    invalid["payload"]["ballot"] = valid["payload"]["ballot"]
    found = problems(session, tmp_path)
    assert "entry_invalid_with_ballot" in found
    assert "无效" in found["entry_invalid_with_ballot"]


def test_an_unknown_reason_fails(tmp_path):
    session = mixed()
    _paper_entries(session, invalid=True)[0]["payload"]["invalid"] = "torn"
    found = problems(session, tmp_path)
    assert "entry_invalid_reason_unknown" in found
    assert "over_quota" in found["entry_invalid_reason_unknown"]


def test_more_paper_ballots_than_paper_issued_fail(tmp_path):
    # The result says 2 paper ballots were handed out; the board holds 3 (one stuffed).
    session = mixed()
    first = session.result["rounds"][0]
    first["issued_by_kind"] = {"kiosk": 6, "paper": 2}
    found = problems(session, tmp_path)
    assert "returned_exceeds_issued" in found
    assert "纸质选票 3 张" in found["returned_exceeds_issued"]
    # …and the recount says the round is void.
    assert "tally_mismatch" in found


def test_a_miscounted_reason_fails(tmp_path):
    session = mixed()
    session.result["rounds"][0]["invalid_by_reason"] = {"over_quota": 2, "unreadable": 0}
    found = problems(session, tmp_path)
    assert set(found) == {"tally_mismatch"}
    assert "invalid_by_reason" in found["tally_mismatch"]


def test_an_invalid_entry_turned_valid_by_dropping_its_reason_fails(tmp_path):
    # A forger with the session key drops the reason of the unreadable sheet: the entry then
    # is malformed (a paper entry must carry a ballot or a reason).
    session = mixed()
    entry = _paper_entries(session, invalid=True)[0]
    del entry["payload"]["invalid"]
    entry.update(sign_payload(session.key, entry["payload"]))
    assert "entry_malformed" in problems(session, tmp_path)

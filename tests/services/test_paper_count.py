"""Entering the paper box (issue 22.3): two counters' passes, a scrutineer's resolution, the
finish that puts the paper ballots on the board, and the count of a mixed round. They run on
SQLite and on $BALLOT_TEST_DATABASE_URL."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select

from ballot import merkle
from ballot.domain.errors import BallotError
from ballot.extensions import db as _db
from ballot.models import AuditEntry, BoardEntry, PaperSheet
from ballot.services import opening, paper_count, results, rounds, voting
from ballot.services.paper_count import Reading
from tests.conftest import KEY_CARDS, decrypt_ballot, make_user, open_box
from tests.factories import (
    ELEVEN_FOR,
    cast,
    issue,
    mixed_round,
    session_delegates,
    ten_for,
    voting_session,
)

CODES = [f"{i:02d}" for i in range(1, 13)]


def _refused(code: str, call, *args) -> BallotError:
    with pytest.raises(BallotError) as caught:
        call(*args)
    _db.session.rollback()
    assert caught.value.code == code, caught.value
    return caught.value


def _commit(call, *args):
    value = call(*args)
    _db.session.commit()
    return value


# The pile as it lies: sheet 4 is misread by the second counter.
PILE = [Reading(ten_for()), Reading(ELEVEN_FOR), Reading(None), Reading({"01": "against"})]
SECOND = [*PILE[:3], Reading({"01": "for"})]


def enter(session, user, pass_no, sheets):
    for number, reading in enumerate(sheets, start=1):
        paper_count.record_sheet(session, 1, pass_no, number, reading, user)
    _db.session.commit()


def test_mixed_round_double_entry_resolution_finish_and_count(db):
    session, first, second, scrutineer = mixed_round()
    close_root = rounds.get_round(session, 1).merkle_root
    assert paper_count.awaiting_paper(session, rounds.get_round(session, 1))
    # The box stays shut while the paper waits.
    err = _refused("wrong_state", opening.present_card, session, KEY_CARDS[session.id][0],
                   "scrutineer")
    assert "纸质选票尚未录入" in err.render()

    enter(session, first, 1, PILE)
    enter(session, second, 2, SECOND)
    state = paper_count.status(session, 1)
    assert state.passes[1] == paper_count.PassState("jp1", 4)
    assert state.passes[2] == paper_count.PassState("jp2", 4)
    assert [(m.sheet_no, m.resolved) for m in state.mismatches] == [(4, None)]
    assert state.mismatches[0].first.marks["01"] == "against"
    assert state.mismatches[0].second.marks["01"] == "for"
    assert not state.ready
    assert [p.code for p in state.problems] == ["paper_mismatch_open"]
    err = _refused("not_ready", paper_count.finish, session, 1, scrutineer)
    assert "第 4 张" in err.problems[0].render()

    _commit(paper_count.resolve, session, 1, 4, Reading({"01": "against"}), scrutineer)
    state = paper_count.status(session, 1)
    assert state.ready and state.mismatches[0].resolved.marks["01"] == "against"
    done = _commit(paper_count.finish, session, 1, scrutineer)
    assert (done.sheets, done.valid) == (4, 2)
    assert done.invalid_by_reason == {"over_quota": 1, "unreadable": 1}

    # The passes are gone; the board holds 8 entries, the paper ones marked as such.
    assert db.session.execute(select(PaperSheet)).first() is None
    payloads = [json.loads(p) for p in db.session.execute(select(BoardEntry.payload)).scalars()]
    paper = [p for p in payloads if p.get("kind") == "paper"]
    assert len(payloads) == 8 and len(paper) == 4
    assert sorted(p.get("invalid", "") for p in paper) == ["", "", "over_quota", "unreadable"]
    assert all("ballot" not in p for p in paper if "invalid" in p)
    assert all("kind" not in p for p in payloads if p not in paper)
    decrypted = sorted(json.dumps(decrypt_ballot(session, p), sort_keys=True)
                       for p in paper if "ballot" in p)
    assert decrypted == sorted(json.dumps({c: m for c, m in zip(CODES, marks, strict=True)},
                                          sort_keys=True)
                               for marks in (["for"] * 10 + ["against"] * 2,
                                             ["against"] + ["abstain"] * 11))
    round_ = rounds.get_round(session, 1)
    hashes = db.session.execute(select(BoardEntry.entry_hash)).scalars().all()
    assert round_.merkle_root == merkle.round_root(hashes) != close_root
    audit = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "paper.finish")).scalar_one()
    assert audit.detail["close_merkle_root"] == close_root
    assert audit.detail["merkle_root"] == round_.merkle_root
    assert not paper_count.awaiting_paper(session, round_)
    assert paper_count.status(session, 1).finished

    result = open_box(session)
    assert (result.issued, result.returned, result.valid, result.invalid) == (8, 8, 6, 2)
    assert result.issued_by_kind == {"kiosk": 4, "paper": 4}
    assert result.returned_by_kind == {"kiosk": 4, "paper": 4}
    assert result.invalid_by_reason == {"over_quota": 1, "unreadable": 1}
    assert result.returned_within_issued
    assert (result.counts["01"].for_, result.counts["01"].against) == (5, 1)
    assert (result.counts["11"].for_, result.counts["11"].against) == (0, 5)
    # Nothing more may be entered once the paper is on the board.
    _refused("wrong_state", paper_count.record_sheet, session, 1, 1, 5, PILE[0], first)


def test_a_counter_corrects_their_own_sheet_before_the_finish(db):
    session, first, second, scrutineer = mixed_round(kiosk_voters=1, paper_voters=2)
    enter(session, first, 1, [PILE[0], Reading({"02": "for"})])
    enter(session, second, 2, [PILE[0], Reading({"02": "against"})])
    assert [m.sheet_no for m in paper_count.status(session, 1).mismatches] == [2]
    _commit(paper_count.record_sheet, session, 1, 2, 2, Reading({"02": "for"}), second)
    state = paper_count.status(session, 1)
    assert state.mismatches == [] and state.ready
    # The other counter may not touch this pass.
    err = _refused("forbidden", paper_count.record_sheet, session, 1, 2, 1, PILE[0], first)
    assert "jp2" in err.render()
    assert db.session.execute(select(AuditEntry.action).where(
        AuditEntry.action == "paper.correct")).scalars().all() == ["paper.correct"]


def test_bad_input_is_refused_with_a_clear_message(db):
    session, first, second, scrutineer = mixed_round(kiosk_voters=1, paper_voters=2)
    err = _refused("invalid_input", paper_count.record_sheet, session, 1, 1, 1,
                   Reading({"99": "for"}), first)
    assert "99" in err.render() and "01" in err.render()
    err = _refused("invalid_input", paper_count.record_sheet, session, 1, 1, 1,
                   Reading({"01": "yes"}), first)
    assert "赞成、反对或弃权" in err.render()
    err = _refused("invalid_input", paper_count.record_sheet, session, 1, 3, 1, PILE[0], first)
    assert "第一遍" in err.render()
    err = _refused("invalid_input", paper_count.record_sheet, session, 1, 1, 3, PILE[0], first)
    assert "下一张是第 1 张" in err.render()
    _refused("forbidden", paper_count.record_sheet, session, 1, 1, 1, PILE[0], scrutineer)
    enter(session, first, 1, [PILE[0]])
    err = _refused("forbidden", paper_count.record_sheet, session, 1, 2, 1, PILE[0], first)
    assert "两个不同的计票人" in err.render()
    _refused("forbidden", paper_count.finish, session, 1, first)
    enter(session, second, 2, [PILE[0], PILE[0]])
    err = _refused("not_ready", paper_count.finish, session, 1, scrutineer)
    assert {p.code for p in err.problems} == {"paper_pass_counts", "paper_mismatch_open"}
    err = _refused("invalid_input", paper_count.resolve, session, 1, 1, PILE[0], scrutineer)
    assert "无需核定" in err.render()


def test_no_entry_without_paper_or_before_the_close(db):
    session, kiosk = voting_session()
    counter = make_user("jp1", "counter")
    voting.issue_paper(session, session_delegates(session)[0], "staff", "代表要求")
    _db.session.commit()
    err = _refused("wrong_state", paper_count.record_sheet, session, 1, 1, 1, PILE[0], counter)
    assert "尚未结束" in err.render()
    kiosk_only, kiosk2 = voting_session(slug="kiosk-only")
    token, _ = issue(kiosk_only, kiosk2, session_delegates(kiosk_only)[0])
    cast(kiosk_only, kiosk2, token, ten_for())
    rounds.close_round(kiosk_only, "chair")
    _db.session.commit()
    err = _refused("wrong_state", paper_count.record_sheet, kiosk_only, 1, 1, 1, PILE[0], counter)
    assert "没有发出纸质选票" in err.render()
    # A round without paper opens as before.
    assert not paper_count.awaiting_paper(kiosk_only, rounds.get_round(kiosk_only, 1))
    assert open_box(kiosk_only).returned_by_kind == {"kiosk": 1, "paper": 0}


def test_readings_are_sealed_at_rest(db):
    session, first, _second, _scrutineer = mixed_round(kiosk_voters=0, paper_voters=1)
    enter(session, first, 1, [Reading(ELEVEN_FOR)])
    row = db.session.execute(select(PaperSheet)).scalar_one()
    # AES-GCM output: none of the reading's JSON shows. (Looking for "01" in the base64 text
    # failed by chance: random base64 of this length holds any two given letters one time in 25.)
    raw = base64.b64decode(row.sealed, validate=True)
    assert b'"marks"' not in raw and b'"for"' not in raw and b'"01"' not in raw
    # Moved to another sheet's place, it no longer opens.
    row.sheet_no = 2
    _db.session.commit()
    _refused("wrong_state", paper_count.status, session, 1)


def test_mixed_session_announcement_export_and_verified_bundle_agree(app, db, tmp_path):
    from tests.factories import confirm_both

    session, first, second, scrutineer = mixed_round()
    enter(session, first, 1, PILE)
    enter(session, second, 2, SECOND)
    _commit(paper_count.resolve, session, 1, 4, PILE[3], scrutineer)
    _commit(paper_count.finish, session, 1, scrutineer)
    open_box(session)
    confirm_both(session)
    results.publish(session, "chair")
    db.session.commit()
    document = results.published_document(session)
    first_round = document["rounds"][0]
    assert first_round["issued_by_kind"] == {"kiosk": 4, "paper": 4}
    assert first_round["returned_by_kind"] == {"kiosk": 4, "paper": 4}
    assert first_round["invalid_by_reason"] == {"over_quota": 1, "unreadable": 1}
    assert (first_round["valid"], first_round["invalid"]) == (6, 2)
    text = results.announcement(session, document)
    assert "有效票6张，无效票2张" in text
    path = tmp_path / "bundle.zip"
    runner = app.test_cli_runner()
    made = runner.invoke(args=["export", session.slug, "--format", "bundle", "-o", str(path)])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(args=["verify", str(path), "--fingerprint", session.key_fingerprint,
                                  "--box-fingerprint", session.box_fingerprint])
    assert checked.exit_code == 0, checked.output
    assert "选票 / entries: 8" in checked.output


def test_a_sealed_reading_is_as_long_as_any_other_of_its_round(db):
    # Its size must not tell 赞成 (a shorter word) from 反对 or 弃权, nor an unreadable sheet.
    session, first, _second, _scrutineer = mixed_round(kiosk_voters=0, paper_voters=4)
    enter(session, first, 1, [Reading(dict.fromkeys(CODES, "for")),
                              Reading(dict.fromkeys(CODES, "against")),
                              Reading({"01": "for"}), Reading(None)])
    sizes = {len(row.sealed) for row in db.session.execute(select(PaperSheet)).scalars()}
    assert len(sizes) == 1, sizes


def test_a_correction_after_a_resolution_is_resolved_again(db):
    session, first, second, scrutineer = mixed_round(kiosk_voters=0, paper_voters=1)
    enter(session, first, 1, [Reading({"01": "for"})])
    enter(session, second, 2, [Reading({"01": "against"})])
    _commit(paper_count.resolve, session, 1, 1, Reading({"01": "for"}), scrutineer)
    assert paper_count.status(session, 1).ready
    # The second counter corrects the sheet to yet another reading: the checked one is gone.
    _commit(paper_count.record_sheet, session, 1, 2, 1, Reading({"01": "abstain"}), second)
    state = paper_count.status(session, 1)
    assert [(m.sheet_no, m.resolved) for m in state.mismatches] == [(1, None)]
    assert not state.ready


def test_an_empty_paper_box_is_finished_by_the_scrutineer_alone(db):
    # A delegate took a paper ballot and put none in: nothing to enter, the box may open.
    session, first, _second, scrutineer = mixed_round(kiosk_voters=2, paper_voters=1)
    err = _refused("not_ready", paper_count.finish, session, 1, scrutineer)
    assert {p.code for p in err.problems} == {"paper_pass_missing"}
    _refused("forbidden", paper_count.finish, session, 1, first)
    done = _commit(lambda: paper_count.finish(session, 1, scrutineer, empty=True))
    assert (done.sheets, done.valid) == (0, 0)
    result = open_box(session)
    assert result.issued_by_kind == {"kiosk": 2, "paper": 1}
    assert result.returned_by_kind == {"kiosk": 2, "paper": 0}
    assert result.returned_within_issued


def test_an_empty_finish_is_refused_once_a_sheet_was_entered(db):
    session, first, _second, scrutineer = mixed_round(kiosk_voters=0, paper_voters=1)
    enter(session, first, 1, [PILE[0]])
    err = _refused("invalid_input", lambda: paper_count.finish(session, 1, scrutineer, empty=True))
    assert "已录入纸质选票" in err.render()

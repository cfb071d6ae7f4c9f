"""Card credentials, kiosk enrolment and check-in services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ballot.domain.errors import (
    CardOfOtherSession,
    CardReplaced,
    CheckinNotOpen,
    InvalidInput,
    LateCheckinRefused,
    NotCheckedInYet,
    PairingCodeInvalid,
    TooManyFailedScans,
    UnknownCard,
)
from ballot.models import AuditEntry, Kiosk, utcnow
from ballot.services import checkin, credentials, kiosks, results, roster, rounds, sessions, voting
from ballot.web.kiosk_auth import keep_last_seen
from tests.conftest import close_and_open, make_session
from tests.factories import confirm_both, put_on_board, ready_session


def _actions(db) -> list[str]:
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def _kiosk(db, session, mode: str = "checkin") -> Kiosk:
    kiosk, code = kiosks.create_pairing(session, "东门", mode, "staff")
    kiosks.enrol(code)
    return kiosk


# --- credentials ----------------------------------------------------------------------------

def test_card_stores_only_a_hash_and_identifies_its_delegate(db):
    session = make_session(delegates=3)
    delegate = roster.list_delegates(session)[1]
    text = credentials.issue_card(delegate, "staff")
    prefix, slug, delegate_id, version, secret = text.split(".")
    assert (prefix, slug, int(delegate_id), int(version)) == ("PJ1", session.slug, delegate.id, 1)
    assert len(secret) * 5 >= 128  # base32: 5 bits a character
    assert secret not in (delegate.credential_hash or "") and delegate.credential_hash == \
        credentials.credential_hash(text)
    assert credentials.identify(session, text).id == delegate.id
    assert credentials.identify(session, f"  {text}\n").id == delegate.id
    assert _actions(db) == ["card.issue"]


def test_two_cards_never_share_a_secret(db):
    session = make_session(delegates=40)
    texts = credentials.issue_cards(session, roster.list_delegates(session), "staff")
    assert len({t.rsplit(".", 1)[1] for t in texts}) == 40


def test_reissue_kills_the_old_card_at_once_and_is_audited(db):
    session = make_session(delegates=2)
    delegate = roster.list_delegates(session)[0]
    old = credentials.issue_card(delegate, "staff")
    new = credentials.issue_card(delegate, "staff")
    with pytest.raises(CardReplaced):
        credentials.identify(session, old)
    assert credentials.identify(session, new).id == delegate.id
    assert _actions(db) == ["card.issue", "card.reissue"]


@pytest.mark.parametrize("text", [
    "", "hello", "PJ1.test-session.1.1", "PJ1.test-session.x.1.ABC", "PJ1.test-session.999.1.AAAA",
    "PJ2.test-session.1.1.AAAA", "PJ1.test-session.1.1.AAAA.extra", "PJ1.test-session.1.1." + "A" * 300,
])
def test_garbage_is_an_unknown_card(db, text):
    session = make_session(delegates=2)
    credentials.issue_card(roster.list_delegates(session)[0], "staff")
    with pytest.raises(UnknownCard):
        credentials.identify(session, text)


def test_forged_secret_for_a_real_delegate_is_unknown(db):
    session = make_session(delegates=1)
    delegate = roster.list_delegates(session)[0]
    text = credentials.issue_card(delegate, "staff")
    forged = text[:-4] + ("AAAA" if not text.endswith("AAAA") else "BBBB")
    with pytest.raises(UnknownCard):
        credentials.identify(session, forged)
    with pytest.raises(UnknownCard):  # right secret, wrong slug
        credentials.identify(session, text.replace(session.slug, "other-slug"))


def test_card_of_another_session_is_told_apart(db):
    here = make_session(delegates=1)
    there = make_session(slug="other-town", delegates=1)
    text = credentials.issue_card(roster.list_delegates(there)[0], "staff")
    with pytest.raises(CardOfOtherSession):
        credentials.identify(here, text)
    assert credentials.identify(there, text).session_id == there.id


# --- kiosks ---------------------------------------------------------------------------------

def test_pairing_code_works_once_and_only_hashes_are_stored(db):
    session = make_session(delegates=1)
    kiosk, code = kiosks.create_pairing(session, "东门签到 1 号", "checkin", "staff")
    assert len(code) == 8 and code not in (kiosk.pairing_code_hash or "")
    enrolled, credential = kiosks.enrol(kiosks.format_pairing_code(code).lower())
    assert enrolled.id == kiosk.id and kiosk.credential_hash != credential
    assert len(credential) >= 40 and kiosk.pairing_code_hash is None
    assert kiosks.authenticate(credential).id == kiosk.id
    with pytest.raises(PairingCodeInvalid):
        kiosks.enrol(code)
    assert _actions(db) == ["kiosk.create", "kiosk.enrol"]


def test_expired_or_revoked_pairing_code_is_refused(db):
    session = make_session(delegates=1)
    _, code = kiosks.create_pairing(session, "A", "checkin", "staff",
                                    now=utcnow() - kiosks.PAIRING_TTL - timedelta(seconds=1))
    with pytest.raises(PairingCodeInvalid):
        kiosks.enrol(code)
    kiosk, code = kiosks.create_pairing(session, "B", "voting", "staff")
    kiosks.revoke(session, kiosk, "staff")
    with pytest.raises(PairingCodeInvalid):
        kiosks.enrol(code)


@pytest.mark.parametrize("name,mode", [("", "checkin"), ("x" * 61, "checkin"), ("A", "chair")])
def test_kiosk_needs_a_name_and_a_known_mode(db, name, mode):
    session = make_session(delegates=1)
    with pytest.raises(InvalidInput):
        kiosks.create_pairing(session, name, mode, "staff")


def test_revoked_or_unknown_credentials_authenticate_nothing(db):
    session = make_session(delegates=1)
    kiosk, code = kiosks.create_pairing(session, "A", "checkin", "staff")
    _, credential = kiosks.enrol(code)
    assert kiosks.authenticate("not-a-credential") is None
    assert kiosks.authenticate(None) is None
    kiosks.revoke(session, kiosk, "staff")
    assert kiosks.authenticate(credential) is None
    assert "kiosk.revoke" in _actions(db)


def test_last_seen_is_written_at_most_once_a_minute(db):
    session = make_session(delegates=1)
    kiosk, code = kiosks.create_pairing(session, "A", "checkin", "staff")
    start = utcnow()
    _, credential = kiosks.enrol(code, now=start)
    db.session.commit()
    keep_last_seen(kiosks.authenticate(credential), now=start + timedelta(seconds=50))
    assert db.session.get(Kiosk, kiosk.id).last_seen_at == start
    later = start + kiosks.SEEN_INTERVAL + timedelta(seconds=1)
    keep_last_seen(kiosks.authenticate(credential), now=later)
    db.session.rollback()  # stored in a transaction of its own: a rollback keeps it
    assert db.session.get(Kiosk, kiosk.id).last_seen_at == later


def test_failed_scans_are_limited_per_kiosk_and_the_window_expires(db):
    session = make_session(delegates=1)
    kiosk = _kiosk(db, session)
    other = _kiosk(db, session)
    now = utcnow()
    for _ in range(kiosks.FAILED_SCAN_LIMIT):
        kiosks.check_scan_allowed(kiosk, now)
        kiosks.note_failed_scan(kiosk, now)
    with pytest.raises(TooManyFailedScans):
        kiosks.check_scan_allowed(kiosk, now)
    kiosks.check_scan_allowed(other, now)  # another kiosk is not affected
    later = now + kiosks.FAILED_SCAN_WINDOW + timedelta(seconds=1)
    kiosks.check_scan_allowed(kiosk, later)
    kiosks.note_failed_scan(kiosk, later)
    assert kiosk.failed_scans == 1


# --- check-in -------------------------------------------------------------------------------

def test_scan_checks_in_once_and_the_second_scan_says_when(db):
    session = make_session(delegates=4, state="checkin")
    kiosk = _kiosk(db, session)
    delegate = roster.list_delegates(session)[2]
    text = credentials.issue_card(delegate, "staff")
    first = checkin.scan(session, kiosk, text)
    assert not first.already and delegate.attendance == "present"
    second = checkin.scan(session, kiosk, text)
    assert second.already and second.checked_in_at == first.checked_in_at
    counts = sessions.counts(session)
    assert (counts.present, counts.absent) == (1, 3)
    assert _actions(db).count("checkin.kiosk") == 1


@pytest.mark.parametrize("state", ["draft", "locked", "closed"])
def test_scan_outside_checkin_is_refused(db, state):
    session = make_session(delegates=1, state=state)
    kiosk = _kiosk(db, session)
    text = credentials.issue_card(roster.list_delegates(session)[0], "staff")
    with pytest.raises(CheckinNotOpen):
        checkin.scan(session, kiosk, text)
    assert roster.list_delegates(session)[0].attendance == "absent"


def test_delegate_on_leave_who_arrives_checks_in(db):
    session = make_session(delegates=2, state="checkin")
    delegate = roster.list_delegates(session)[0]
    roster.set_leave(session, delegate, True, "staff", "病假")
    text = credentials.issue_card(delegate, "staff")
    checkin.scan(session, _kiosk(db, session), text)
    counts = sessions.counts(session)
    assert (delegate.attendance, counts.leave, counts.present) == ("present", 0, 1)


def test_staff_check_in_needs_a_reason_and_undo_before_voting(db):
    session = make_session(delegates=2, state="checkin")
    delegate = roster.list_delegates(session)[0]
    with pytest.raises(InvalidInput):
        checkin.staff_check_in(session, delegate, "staff", "  ")
    checkin.staff_check_in(session, delegate, "staff", "忘带代表证")
    assert delegate.attendance == "present" and delegate.checked_in_at is not None
    with pytest.raises(InvalidInput):
        checkin.undo_check_in(session, delegate, "staff", "")
    checkin.undo_check_in(session, delegate, "staff", "误签")
    assert (delegate.attendance, delegate.checked_in_at) == ("absent", None)
    with pytest.raises(NotCheckedInYet):
        checkin.undo_check_in(session, delegate, "staff", "again")
    checkin.staff_check_in(session, delegate, "staff", "忘带代表证")
    session.state = "voting"
    with pytest.raises(CheckinNotOpen):
        checkin.undo_check_in(session, delegate, "staff", "太晚")
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action.like("checkin.%"))
                                 .order_by(AuditEntry.id)).scalars().all()
    assert [(e.action, e.detail.get("reason")) for e in entries] == [
        ("checkin.staff", "忘带代表证"), ("checkin.undo", "误签"), ("checkin.staff", "忘带代表证")]


# --- late arrivals --------------------------------------------------------------------------

def test_late_arrival_checks_in_while_voting_votes_and_is_announced(db, tmp_path):
    """Late arrivals are allowed by default: recorded as late, issued a ballot, counted in 实到
    at the close; the announcement says how many; the audit bundle still verifies."""
    from ballot.services import export
    from ballot.verify import verify_bundle

    session = ready_session(present=50)
    assert session.late_checkin
    rounds.open_voting(session, "chair")
    db.session.commit()
    desk, booth = _kiosk(db, session), _kiosk(db, session, "voting")
    late = roster.list_delegates(session)[55]
    text = credentials.issue_card(late, "staff")
    arrived = checkin.scan(session, desk, text)
    assert arrived.late and not arrived.already and late.attendance == "present"
    assert checkin.scan(session, desk, text).already
    db.session.commit()
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "checkin.kiosk")).scalar_one()
    assert entry.detail["late"] is True and entry.detail["delegate_id"] == late.id
    token, _view = voting.issue_ballot(session, booth, text)
    voting.cast_ballot(session, booth, token, {"01": "for"})
    db.session.commit()
    put_on_board(session, [{"01": "for", "02": "for"}] * 50, issued=50)
    counted = close_and_open(session)
    db.session.commit()
    assert (counted.present, counted.issued, counted.returned) == (51, 51, 51)
    assert rounds.get_round(session, 1).present == 51
    assert checkin.late_arrivals(session) == 1
    confirm_both(session)
    results.publish(session, "chair")
    db.session.commit()
    text = results.announcement(session, results.published_document(session))
    assert text.startswith("本次会议应到代表60名，实到51名（其中1名在投票开始后报到），发出选票51张，收回51张，")
    path = tmp_path / "bundle.zip"
    path.write_bytes(export.to_bundle(session))
    report = verify_bundle(path, session.key_fingerprint[:32])
    assert report.ok, [str(p) for p in report.problems]


def test_late_arrival_is_refused_when_the_session_takes_none(db):
    session = make_session(delegates=2, state="voting", late_checkin=False)
    delegate = roster.list_delegates(session)[0]
    text = credentials.issue_card(delegate, "staff")
    with pytest.raises(LateCheckinRefused) as refused:
        checkin.scan(session, _kiosk(db, session), text)
    assert "投票开始后不再报到" in refused.value.render()
    with pytest.raises(LateCheckinRefused):
        checkin.staff_check_in(session, delegate, "staff", "迟到")
    assert delegate.attendance == "absent"


def test_staff_check_in_during_voting_is_late_and_cannot_be_undone(db):
    session = make_session(delegates=2, state="voting")
    delegate = roster.list_delegates(session)[1]
    assert checkin.staff_check_in(session, delegate, "staff", "迟到").late
    with pytest.raises(CheckinNotOpen):
        checkin.undo_check_in(session, delegate, "staff", "误签")
    assert checkin.late_arrivals(session) == 1 and delegate.attendance == "present"

"""Sealing the ballot box (封箱): t of n, key cards made once, reprint voids, readiness."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from ballot import inputs
from ballot.ballotbox import shares as box_shares
from ballot.ballotbox.errors import BallotBoxError
from ballot.domain.errors import InvalidInput, NotReady, WrongState
from ballot.domain.fields import Scrutiny
from ballot.extensions import db as _db
from ballot.models import AuditEntry
from ballot.services import box, candidates, key_cards, rounds, sessions
from tests.conftest import make_session

SECRET = "test-key-secret"
HOLDERS = {"chief_scrutineer": "陈立", "scrutineers": "赵敏、孙伟"}


def locked(**overrides):
    """A locked session with three named scrutineers (2 of 3)."""
    session = make_session(**{**HOLDERS, **overrides})
    candidates.lock_list(session, "tester", SECRET)
    _db.session.commit()
    return session


def test_seal_deals_a_card_per_scrutineer_and_stores_only_public_values(db):
    session = locked()
    cards = box.seal(session, "staff")
    db.session.commit()
    assert [(c.holder, c.role, c.index) for c in cards] == [
        ("陈立", "总监票人", 1), ("赵敏", "监票人", 2), ("孙伟", "监票人", 3)]
    assert {(c.threshold, c.shares) for c in cards} == {(2, 3)}
    assert session.box_holders == ["陈立", "赵敏", "孙伟"]
    assert len(session.box_commitments) == 2 and len(session.box_public_key) == 64
    key = box.box_key(session)
    assert key.fingerprint() == session.box_fingerprint
    assert key.public_key.hex() == session.box_public_key
    # Each card parses back to a share that matches its commitment.
    for card in cards:
        share = box_shares.parse_share(card.share_text, session.key_fingerprint, key)
        assert share.index == card.index
    # Nothing of a share is stored anywhere in the database (a real session keeps no drill shares).
    assert session.box_drill_shares is None
    dump = _database_text(db)
    for card in cards:
        secret_part = card.share_text.split("-")[4]
        assert secret_part not in dump and secret_part.lower() not in dump
    audit = db.session.execute(select(AuditEntry).where(AuditEntry.action == "box.seal")).scalar_one()
    assert audit.detail["holders"] == ["陈立", "赵敏", "孙伟"]
    assert not any(c.share_text in json.dumps(audit.detail) for c in cards)


def _database_text(db) -> str:
    """Every row of every table as text (what a database holder could read)."""
    out = []
    for table in _db.metadata.sorted_tables:
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")).all():
            out.append(repr(tuple(row)))
    return "\n".join(out)


def test_key_card_pdf_is_made_in_memory(db):
    session = locked()
    pdf = key_cards.render_pdf(box.seal(session, "staff"))
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1


def test_sealing_twice_needs_reprint_and_reprint_voids_the_old_cards(db):
    session = locked()
    old = box.seal(session, "staff")
    db.session.commit()
    with pytest.raises(WrongState):
        box.seal(session, "staff")
    new = box.seal(session, "staff", reprint=True)
    db.session.commit()
    assert new[0].share_text != old[0].share_text
    with pytest.raises(BallotBoxError) as refused:
        box_shares.parse_share(old[0].share_text, session.key_fingerprint, box.box_key(session))
    assert refused.value.reason == "voided_share"
    actions = db.session.execute(select(AuditEntry.action).where(
        AuditEntry.action.startswith("box."))).scalars().all()
    assert sorted(actions) == ["box.reseal", "box.seal"]


def test_seal_lists_what_is_missing(db):
    session = locked(chief_scrutineer="陈立", scrutineers="赵敏")
    with pytest.raises(NotReady) as refused:
        box.seal(session, "staff")
    codes = [p.code for p in refused.value.problems]
    assert codes == ["seal_holders"]
    assert "已登记的总监票人和监票人共 2 人" in refused.value.problems[0].render()
    draft = make_session(slug="draft-one", **HOLDERS)
    with pytest.raises(NotReady) as refused:
        box.seal(draft, "staff")
    assert [p.code for p in refused.value.problems] == ["seal_state"]


@pytest.mark.parametrize("t, n", [(0, 3), (4, 3), (2, 10), ("x", 3)])
def test_threshold_settings_are_checked(db, t, n):
    session = locked()
    with pytest.raises(InvalidInput):
        box.update_scrutiny(session, inputs.scrutiny(
            {**HOLDERS, "box_threshold": str(t), "box_shares": str(n)}), "staff")


def test_one_of_one_and_changing_holders_voids_the_seal(db):
    session = locked(chief_scrutineer="陈立", scrutineers="")
    box.update_scrutiny(session, Scrutiny(chief_scrutineer="陈立", box_threshold=1, box_shares=1),
                        "staff")
    cards = box.seal(session, "staff")
    assert len(cards) == 1 and cards[0].threshold == 1
    box.update_scrutiny(session, Scrutiny(chief_scrutineer="陈立", counters="周静",
                                          box_threshold=1, box_shares=1), "staff")
    assert box.is_sealed(session)  # counters do not hold cards
    box.update_scrutiny(session, Scrutiny(chief_scrutineer="王五", box_threshold=1, box_shares=1),
                        "staff")
    assert not box.is_sealed(session)


def test_voting_cannot_open_on_an_unsealed_box(db):
    session = locked()
    sessions.transition(session, "checkin", "tester")
    for delegate in session_delegates(session):
        delegate.attendance = "present"
    db.session.commit()
    with pytest.raises(NotReady) as refused:
        rounds.open_voting(session, "chair")
    assert [p.code for p in refused.value.problems] == ["box_not_sealed"]
    db.session.rollback()
    box.seal(session, "staff")  # after check-in: the scrutineers were approved this morning
    db.session.commit()
    rounds.open_voting(session, "chair")
    db.session.commit()
    with pytest.raises(NotReady):
        box.seal(session, "staff", reprint=True)  # never once voting has opened


def session_delegates(session):
    from ballot.models import Delegate

    return list(_db.session.execute(
        select(Delegate).where(Delegate.session_id == session.id)).scalars())


def test_a_drill_keeps_its_drill_shares_a_real_session_refuses_them(db):
    drill = locked(is_drill=True)
    cards = box.seal(drill, "staff")
    assert drill.box_drill_shares == [c.share_text for c in cards]
    assert all(c.drill for c in cards)


def test_staff_seal_from_the_session_page_and_get_the_cards_once(client, db, login):
    session = locked()
    login("staff")
    page = client.get(f"/admin/sessions/{session.slug}").text
    assert "封箱并打印监票人密钥卡（PDF）" in page and "陈立、赵敏、孙伟" in page
    response = client.post(f"/admin/sessions/{session.slug}/seal")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert "key-cards-test-session.pdf" in response.headers["Content-Disposition"]
    page = client.get(f"/admin/sessions/{session.slug}").text
    assert "已封箱" in page and "重新封箱并重印全部密钥卡（PDF）" in page
    # Sealing again without asking to reprint is refused with the way out.
    refused = client.post(f"/admin/sessions/{session.slug}/seal",
                          headers={"Referer": f"http://localhost/admin/sessions/{session.slug}"},
                          follow_redirects=True)
    assert "重新封箱并重印全部密钥卡" in refused.text
    assert client.post(f"/admin/sessions/{session.slug}/seal",
                       data={"reprint": "1"}).mimetype == "application/pdf"


def test_chair_screen_shows_both_fingerprints(client, db, login):
    session = locked()
    sessions.transition(session, "checkin", "tester")
    box.seal(session, "staff")
    db.session.commit()
    login("chair")
    page = client.get(f"/chair/{session.slug}").text
    assert "会议密钥指纹" in page and "投票箱指纹" in page
    assert box.spoken_fingerprint(session) in page


def test_cli_seal_prints_the_cards_to_standard_output_only(app, db):
    session = locked()
    result = app.test_cli_runner().invoke(args=["seal", session.slug])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"%PDF")
    assert "已封箱" in result.output
    db.session.expire_all()
    assert box.is_sealed(db.session.get(type(session), session.id))
    again = app.test_cli_runner().invoke(args=["seal", session.slug])
    assert again.exit_code == 1 and "已经封箱" in again.output


def test_unlocking_or_resetting_a_drill_voids_the_box(app, db):
    from ballot.services import rehearsals

    session = locked()
    box.seal(session, "staff")
    candidates.unlock_list(session, "staff")
    assert not box.is_sealed(session) and session.box_commitments is None
    drill = locked(slug="drill-one", is_drill=True)
    box.seal(drill, "staff")
    db.session.commit()
    rehearsals.reset_drill(drill, "staff", SECRET)
    db.session.commit()
    assert not box.is_sealed(drill) and drill.box_drill_shares is None

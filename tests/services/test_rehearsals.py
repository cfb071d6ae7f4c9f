"""Rehearsals: clone a session as a drill, reset a drill, delete it with its kiosks; simulate
refuses a real session; ``ballot demo --reset`` starts the demo afresh."""

from __future__ import annotations

import random

import pytest
from flask import current_app
from sqlalchemy import func, select

from ballot.demo import DEMO_USERS
from ballot.domain.errors import CardOfOtherSession, NotADrill
from ballot.extensions import db as _db
from ballot.models import AuditEntry, BallotIssue, BoardEntry, Delegate, Kiosk, Round, VoteSession
from ballot.services import cards, checkin, credentials, rehearsals, sessions
from tests.conftest import make_session
from tests.crypto.bundle_builder import ballots_with
from tests.factories import codes, confirm_both, ready_session, vote


def _secret() -> str:
    return current_app.config["KEY_ENCRYPTION_SECRET"]


def _count(model, session_id: int) -> int:
    return _db.session.execute(select(func.count()).select_from(model)
                               .where(model.session_id == session_id)).scalar_one()


def _run_a_round(session: VoteSession) -> None:
    fors = [50, 48, 47, 45, 44, 42, 40, 38, 36, 33, 31, 20]
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), fors, strict=True)), 57, 10))


def test_clone_copies_roster_and_candidates_with_its_own_key(db):
    source = ready_session()
    drill = rehearsals.clone_as_drill(source, "staff", _secret())
    db.session.commit()
    assert drill.is_drill and drill.slug == "test-session-drill"
    assert drill.title == source.title and drill.display_title == "【演练】" + source.title
    assert drill.state == "locked"  # ready for check-in, like its locked source
    assert drill.key_fingerprint and drill.key_fingerprint != source.key_fingerprint
    assert [(c.code, c.title, c.budget) for c in drill.candidates] == \
        [(c.code, c.title, c.budget) for c in source.candidates]
    source_roster = db.session.execute(select(Delegate).where(Delegate.session_id == source.id)
                                       .order_by(Delegate.roster_order)).scalars().all()
    drill_roster = db.session.execute(select(Delegate).where(Delegate.session_id == drill.id)
                                      .order_by(Delegate.roster_order)).scalars().all()
    assert [(d.name, d.seat, d.delegation) for d in drill_roster] == \
        [(d.name, d.seat, d.delegation) for d in source_roster]
    assert all(d.attendance == "absent" and d.credential_hash is None for d in drill_roster)
    assert (drill.chief_scrutineer, drill.counters) == (source.chief_scrutineer, source.counters)
    # The source is untouched and a second clone gets the next free short name.
    assert not source.is_drill and sessions.counts(source).present == 57
    assert rehearsals.clone_as_drill(source, "staff", _secret()).slug == "test-session-drill-2"
    actions = db.session.execute(select(AuditEntry.action)
                                 .where(AuditEntry.session_id == drill.id)).scalars().all()
    assert "session.drill_cloned" in actions


def test_a_real_sessions_card_does_nothing_in_its_drill(db):
    source = make_session(delegates=2, state="locked")
    card = cards.issue_all(source, "staff")[0]
    drill = rehearsals.clone_as_drill(source, "staff", _secret())
    drill.state = "checkin"
    kiosk = Kiosk(session_id=drill.id, name="演练签到机", mode="checkin")
    db.session.add(kiosk)
    db.session.flush()
    with pytest.raises(CardOfOtherSession):
        checkin.scan(drill, kiosk, card.qr_text)


def test_reset_clears_the_run_and_keeps_roster_cards_and_kiosks(db):
    drill = ready_session(is_drill=True)
    delegate = db.session.execute(select(Delegate).where(Delegate.session_id == drill.id)
                                  .order_by(Delegate.roster_order)).scalars().first()
    card = credentials.issue_card(delegate, "staff")
    kiosk = Kiosk(session_id=drill.id, name="演练签到机", mode="checkin")
    db.session.add(kiosk)
    db.session.commit()
    _run_a_round(drill)
    confirm_both(drill)
    old_key = drill.key_fingerprint
    assert _count(BoardEntry, drill.id) and _count(Round, drill.id)

    rehearsals.reset_drill(drill, "staff", _secret())
    db.session.commit()
    assert drill.state == "locked" and drill.key_fingerprint not in (None, old_key)
    assert drill.result_document is None and drill.scrutineer_confirmed_by is None
    for model in (BoardEntry, Round, BallotIssue):
        assert _count(model, drill.id) == 0, model
    assert sessions.counts(drill).present == 0 and sessions.counts(drill).expected == 60
    assert _count(Kiosk, drill.id) == 1
    sessions.transition(drill, "checkin", "staff")
    assert checkin.scan(drill, db.session.get(Kiosk, kiosk.id), card).delegate.id == delegate.id


@pytest.mark.parametrize("action", ["reset", "delete"])
def test_a_real_session_is_never_reset_or_deleted(db, action):
    session = ready_session()
    with pytest.raises(NotADrill) as caught:
        if action == "reset":
            rehearsals.reset_drill(session, "staff", _secret())
        else:
            rehearsals.delete_drill(session, "staff")
    assert "正式会议" in caught.value.render() and "复制为演练场次" in caught.value.render()
    db.session.rollback()
    assert sessions.counts(sessions.get_session(session.slug)).present == 57


def test_delete_removes_the_drill_and_its_kiosks(db):
    source = ready_session()
    drill = rehearsals.clone_as_drill(source, "staff", _secret())
    db.session.add(Kiosk(session_id=drill.id, name="模拟投票机（演练）", mode="voting"))
    db.session.commit()
    drill_id = drill.id
    rehearsals.delete_drill(drill, "staff")
    db.session.commit()
    assert db.session.get(VoteSession, drill_id) is None
    for model in (Kiosk, Delegate):
        assert _count(model, drill_id) == 0
    assert _count(Delegate, source.id) == 60
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "session.drill_deleted")).scalar_one()
    assert entry.detail["slug"] == "test-session-drill"


def test_simulate_refuses_a_real_session_unless_told(app, db):
    session = ready_session()
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["simulate", session.slug, "--seed", "1"])
    assert refused.exit_code == 1
    assert "不是演练场次" in refused.output and "ballot drill clone" in refused.output
    assert _count(BallotIssue, session.id) == 0
    allowed = runner.invoke(args=["simulate", session.slug, "--seed", "1", "--real"])
    assert allowed.exit_code == 0, allowed.output
    assert "警告" in allowed.output


def test_simulate_runs_on_a_drill_and_drill_cli_clones_resets_deletes(app, db):
    source = ready_session()
    runner = app.test_cli_runner()
    cloned = runner.invoke(args=["drill", "clone", source.slug])
    assert cloned.exit_code == 0 and "test-session-drill" in cloned.output
    drill = sessions.get_session("test-session-drill")
    sessions.transition(drill, "checkin", "cli")
    db.session.commit()
    result = runner.invoke(args=["simulate", "test-session-drill", "--seed", "2"])
    assert result.exit_code == 0 and "已投" in result.output, result.output
    assert runner.invoke(args=["drill", "reset", "test-session-drill"]).exit_code == 0
    assert runner.invoke(args=["drill", "reset", source.slug]).exit_code == 1
    deleted = runner.invoke(args=["drill", "delete", "test-session-drill", "--yes"])
    assert deleted.exit_code == 0, deleted.output
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Kiosk)).scalar_one() == 0


def test_demo_reset_starts_the_demo_afresh(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    demo = sessions.get_session("demo")
    assert demo.is_drill
    demo.state = "published"
    db.session.add(Kiosk(session_id=demo.id, name="签到1", mode="checkin"))
    db.session.commit()
    kept = runner.invoke(args=["demo"])
    assert "ballot demo --reset" in kept.output
    db.session.expire_all()
    assert sessions.get_session("demo").state == "published"
    reset = runner.invoke(args=["demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    db.session.expire_all()
    fresh = sessions.get_session("demo")
    assert fresh.state == "draft"
    assert db.session.execute(select(func.count()).select_from(Kiosk)
                              .where(Kiosk.session_id == fresh.id)).scalar_one() == 0
    # The logins come last, where the eye lands: every demo account, in order.
    last = [line.split()[0] for line in reset.output.rstrip().splitlines()[-len(DEMO_USERS):]]
    assert last == [username for username, _role, _name in DEMO_USERS]

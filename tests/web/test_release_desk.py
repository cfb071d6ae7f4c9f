"""The staff desk during voting (issue 20, item 3): each delegate's ballot open (at which kiosk),
cast or returned; release only of an unused ballot, refused plainly once cast; and a kiosk that
recovers a lost token by a rescan, over HTTP."""

from __future__ import annotations

from ballot.services import kiosks, rounds, voting
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.factories import (
    add_kiosk,
    card,
    cast,
    desk_offers,
    desk_row,
    issue,
    session_delegates,
    ten_for,
    voting_session,
)


def test_desk_shows_each_ballot_and_offers_release_only_for_an_unused_one(db, client, login):
    session, kiosk = voting_session(delegates=6)
    other = add_kiosk(session, "投票机B")
    db.session.commit()
    voter, holder, walker, idle = session_delegates(session)[:4]
    cast(session, kiosk, issue(session, kiosk, voter)[0], ten_for())
    issue(session, other, holder)
    walker_card = card(session, walker)
    token, _ = voting.issue_ballot(session, kiosk, walker_card)
    db.session.commit()
    voting.return_token(session, kiosk, token, walker_card)
    db.session.commit()
    login("staff")

    page = client.get(f"/admin/sessions/{session.slug}/checkin").get_data(as_text=True)
    assert 'data-ballot="cast"' in desk_row(page, voter.id) and "已投票" in desk_row(page, voter.id)
    assert 'data-issued="1"' not in desk_row(page, voter.id)
    assert not desk_offers(client, session, voter, "release")
    assert 'data-ballot="open"' in desk_row(page, holder.id)
    assert "投票机B" in desk_row(page, holder.id) and 'data-issued="1"' in desk_row(page, holder.id)
    assert desk_offers(client, session, holder, "release")
    assert 'data-ballot="returned"' in desk_row(page, walker.id)
    assert 'data-issued="1"' not in desk_row(page, walker.id)
    assert not desk_offers(client, session, walker, "release")
    assert 'data-ballot="none"' in desk_row(page, idle.id)


def test_release_of_a_voter_is_refused_with_a_plain_message(db, client, login):
    session, kiosk = voting_session(delegates=6)
    voter = session_delegates(session)[0]
    cast(session, kiosk, issue(session, kiosk, voter)[0], ten_for())
    login("staff")
    desk = f"/admin/sessions/{session.slug}/checkin"
    answer = client.post(f"/admin/sessions/{session.slug}/delegates/{voter.id}/release",
                         data={"reason": "代表说没投上"}, headers={"Referer": desk},
                         follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "代表1 代表在本轮已经投票，选票已投出，不能释放，也不能再次投票。" in page
    assert rounds.issued_count(session, 1) == rounds.returned_count(session, 1) == 1
    client.get("/lang/en")
    answer = client.post(f"/admin/sessions/{session.slug}/delegates/{voter.id}/release",
                         data={"reason": "x"}, headers={"Referer": desk}, follow_redirects=True)
    assert "already voted" in answer.get_data(as_text=True)


def test_a_reloaded_kiosk_recovers_by_a_rescan(db, client):
    session, _ = voting_session(delegates=6)
    _, code = kiosks.create_pairing(session, "投票机1", "voting", "staff")
    _, credential = kiosks.enrol(code)
    db.session.commit()
    client.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
    text = card(session, session_delegates(session)[0])

    lost = client.post("/kiosk/api/vote/issue", json={"card": text}).json["token"]
    # The page reloads (the token lived only in its memory); the delegate scans again.
    again = client.post("/kiosk/api/vote/issue", json={"card": text})
    assert again.status_code == 200, again.json
    fresh = again.json["token"]
    assert fresh != lost
    gone = client.post("/kiosk/api/vote/cast", json={"token": lost, "choices": ten_for()})
    assert gone.status_code == 409 and gone.json["error"] == "ballot_token_invalid"
    done = client.post("/kiosk/api/vote/cast", json={"token": fresh, "choices": ten_for()})
    assert done.status_code == 200
    refused = client.post("/kiosk/api/vote/issue", json={"card": text})
    assert refused.status_code == 409 and refused.json["error"] == "already_cast"
    assert rounds.issued_count(session, 1) == rounds.returned_count(session, 1) == 1

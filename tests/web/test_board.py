"""The public bulletin board: entries by hash after close, receipts with proofs, issued lists."""

from __future__ import annotations

from ballot import merkle
from ballot.services import rounds
from tests.services.test_voting import cast, issue, session_delegates, ten_for, voting_session


def _two_ballots():
    session, kiosk = voting_session()
    people = session_delegates(session)
    receipts = []
    for delegate in people[2:4]:
        token, _ = issue(session, kiosk, delegate)
        receipts.append(cast(session, kiosk, token, ten_for()))
    return session, receipts


def test_open_round_shows_counts_and_names_but_no_entries(db, client):
    session, receipts = _two_ballots()
    page = client.get(f"/s/{session.slug}/board/").get_data(as_text=True)
    assert "代表3、代表4" in page and "本轮投票结束后公布全部选票" in page
    data = client.get(f"/s/{session.slug}/board.json").json
    assert data["rounds"][0]["entries"] == [] and data["rounds"][0]["returned"] == 2
    found = client.post(f"/s/{session.slug}/board/lookup.json",
                        json={"code": receipts[0].tracking_code}).json
    assert found["found"] and found["proof"] is None


def test_closed_round_publishes_sorted_entries_and_proofs(db, client):
    session, receipts = _two_ballots()
    rounds.close_round(session, "chair")
    db.session.commit()
    data = client.get(f"/s/{session.slug}/board.json").json
    round_ = data["rounds"][0]
    hashes = [e["hash"] for e in round_["entries"]]
    assert hashes == sorted(hashes) and len(hashes) == 2
    assert round_["merkle_root"] == merkle.round_root(hashes)
    assert round_["issued_names"] == ["代表3", "代表4"]
    assert (round_["issued"], round_["returned"]) == (2, 2)

    code = receipts[1].tracking_code
    found = client.post(f"/s/{session.slug}/board/lookup.json", json={"code": code.lower()}).json
    proof = found["proof"]
    assert found["entry"]["payload"]["choices"] == ten_for()
    assert merkle.verify_inclusion(bytes.fromhex(found["entry"]["hash"]), proof["index"],
                                   proof["size"], [bytes.fromhex(p) for p in proof["proof"]],
                                   bytes.fromhex(round_["merkle_root"]))
    page = client.post(f"/s/{session.slug}/board/lookup", data={"code": code}).get_data(as_text=True)
    assert "民生项目1" in page and "赞成" in page and proof["root"] in page
    missing = client.post(f"/s/{session.slug}/board/lookup", data={"code": "0000-0000-0000"})
    assert "没有找到这个查询码" in missing.get_data(as_text=True)
    assert client.post(f"/s/{session.slug}/board/lookup.json",
                       json={"code": "0000-0000-0000"}).status_code == 404
    entries_page = client.get(f"/s/{session.slug}/board/round/1").get_data(as_text=True)
    assert entries_page.index(hashes[0]) < entries_page.index(hashes[1])
    assert client.get(f"/s/{session.slug}/board/").headers["Cache-Control"] == "no-store"

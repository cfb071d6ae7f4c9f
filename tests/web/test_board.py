"""The public bulletin board. Nothing from which a count can be computed is public before the
chair publishes (issue 17, item 2): during voting and after the close the public sees the state,
the rules and (once closed) the Merkle root; entries, issued and returned figures, issued names,
recorded choices and inclusion proofs follow publication."""

from __future__ import annotations

import re

from ballot import merkle
from ballot.services import results, rounds
from tests.conftest import close_and_open, make_session, make_user
from tests.factories import (
    cast,
    issue,
    published,
    published_rating,
    session_delegates,
    ten_for,
    voting_session,
)

CHIEF = "陈立"


def _two_ballots():
    session, kiosk = voting_session(chief_scrutineer=CHIEF)
    people = session_delegates(session)
    receipts = []
    for delegate in people[2:4]:
        token, _ = issue(session, kiosk, delegate)
        receipts.append(cast(session, kiosk, token, ten_for()))
    return session, receipts


def _publish(db, session) -> None:
    close_and_open(session)
    db.session.commit()
    chief = make_user("chief", "scrutineer")
    chief.display_name = CHIEF
    results.confirm_as_scrutineer(session, chief)
    results.confirm_as_chair(session, make_user("chairman", "chair"))
    results.publish(session, "chair")
    db.session.commit()


def _nothing_to_count(client, session, receipts, page_words=("代表3", "代表4")) -> dict:
    """The public answers about ``session`` hold no entry, figure, name or choice."""
    page = client.get(f"/s/{session.slug}/board/").get_data(as_text=True)
    for word in page_words:
        assert word not in page
    assert "收回选票" not in page and "发出选票" not in page
    data = client.get(f"/s/{session.slug}/board.json").json
    assert data["published"] is False
    for round_ in data["rounds"]:
        assert round_["entries"] == []
        assert not {"issued", "returned", "issued_names"} & set(round_)
    for receipt in receipts:
        found = client.post(f"/s/{session.slug}/board/lookup.json",
                            json={"code": receipt.tracking_code}).json
        assert found["found"] is True and found["round"] == 1 and found["published"] is False
        assert not {"entry", "proof"} & set(found)
        page = client.post(f"/s/{session.slug}/board/lookup",
                           data={"code": receipt.tracking_code}).get_data(as_text=True)
        assert f"查询码 {receipt.tracking_code}：第 1 轮" in page
        assert "赞成" not in page and "包含证明" not in page and "结果公布后" in page
    entries = client.get(f"/s/{session.slug}/board/round/1").get_data(as_text=True)
    assert not re.search(r"[0-9a-f]{64}", entries.replace(data["rounds"][0]["merkle_root"] or "-", ""))
    return data


def test_during_voting_the_public_sees_the_state_only(db, client):
    session, receipts = _two_ballots()
    data = _nothing_to_count(client, session, receipts)
    assert data["rounds"][0]["state"] == "open" and data["rounds"][0]["merkle_root"] is None
    page = client.get(f"/s/{session.slug}/board/").get_data(as_text=True)
    assert "投票中" in page and "结果公布后" in page
    assert "投票中" in client.get(f"/s/{session.slug}/").get_data(as_text=True)


def test_after_the_close_nothing_to_count_until_published(db, client):
    session, receipts = _two_ballots()
    rounds.close_round(session, "chair")
    db.session.commit()
    data = _nothing_to_count(client, session, receipts)
    # The root commits the round's entries in public from the close on; it counts nothing.
    assert data["rounds"][0]["state"] == "closed" and data["rounds"][0]["merkle_root"]


def test_published_board_shows_sorted_entries_counts_names_and_proofs(db, client):
    session, receipts = _two_ballots()
    _publish(db, session)
    data = client.get(f"/s/{session.slug}/board.json").json
    assert data["published"] is True
    round_ = data["rounds"][0]
    hashes = [e["hash"] for e in round_["entries"]]
    assert hashes == sorted(hashes) and len(hashes) == 2
    assert round_["merkle_root"] == merkle.round_root(hashes)
    assert round_["issued_names"] == ["代表3", "代表4"]
    assert (round_["issued"], round_["returned"]) == (2, 2)
    assert "代表3、代表4" in client.get(f"/s/{session.slug}/board/").get_data(as_text=True)

    code = receipts[1].tracking_code
    found = client.post(f"/s/{session.slug}/board/lookup.json", json={"code": code.lower()}).json
    proof = found["proof"]
    assert found["published"] is True and "choices" not in found["entry"]["payload"]
    assert set(found["entry"]["payload"]["ballot"]) == {"projects", "quota_proof"}
    assert merkle.verify_inclusion(bytes.fromhex(found["entry"]["hash"]), proof["index"],
                                   proof["size"], [bytes.fromhex(p) for p in proof["proof"]],
                                   bytes.fromhex(round_["merkle_root"]))
    page = client.post(f"/s/{session.slug}/board/lookup", data={"code": code}).get_data(as_text=True)
    # The receipt proves the ballot is on the board and counted, never what it says.
    assert found["entry"]["hash"] in page and proof["root"] in page
    assert "赞成" not in page and "反对" not in page
    missing = client.post(f"/s/{session.slug}/board/lookup", data={"code": "0000-0000-0000"})
    assert "没有找到这个查询码" in missing.get_data(as_text=True)
    assert client.post(f"/s/{session.slug}/board/lookup.json",
                       json={"code": "0000-0000-0000"}).status_code == 404
    entries_page = client.get(f"/s/{session.slug}/board/round/1").get_data(as_text=True)
    assert entries_page.index(hashes[0]) < entries_page.index(hashes[1])
    assert client.get(f"/s/{session.slug}/board/").headers["Cache-Control"] == "no-store"


def test_drafts_are_not_public(db, client, login):
    # Issue 17, item 11: the public index listed every congress's sessions, drafts included.
    make_session(slug="draft-one", title="草稿会议甲")
    voting_session(slug="voting-one", title="投票中会议乙", delegates=4)
    index = client.get("/").get_data(as_text=True)
    assert "投票中会议乙" in index and "草稿会议甲" not in index
    for path in ("/s/draft-one/", "/s/draft-one/board/", "/s/draft-one/board.json",
                 "/s/draft-one/results", "/s/draft-one/key.pem"):
        assert client.get(path).status_code == 404, path
    assert client.post("/s/draft-one/board/lookup.json",
                       json={"code": "0000-0000-0000"}).status_code == 404
    login("staff", username="other-staff", congress="另一镇人大")
    assert client.get("/s/draft-one/").status_code == 404
    assert "草稿会议甲" not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login("staff")  # the draft's own congress
    assert client.get("/s/draft-one/").status_code == 200
    assert "草稿会议甲" not in client.get("/").get_data(as_text=True)


def test_a_published_rating_board_counts_rating_ballots(db, client):
    source = published()
    session = published_rating(source)
    text = re.sub(r"\s+", " ", client.get(f"/s/{session.slug}/board/").text)
    assert "<dt>发出测评票</dt><dd>40</dd>" in text and "<dt>收回测评票</dt><dd>40</dd>" in text
    assert "查看本轮全部 40 张测评票" in text and "领取测评票的代表名单（40 人" in text
    assert "发出选票" not in text and "收回选票" not in text
    assert "应选" not in text  # a 测评 has no quota
    text = re.sub(r"\s+", " ", client.get(f"/s/{source.slug}/board/").text)  # the 票决 it rates
    assert "<dt>发出选票</dt>" in text and "<dt>收回选票</dt>" in text and "<dt>应选</dt>" in text
    assert "张选票" in text and "领取选票的代表名单" in text and "测评票" not in text

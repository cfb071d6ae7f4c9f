"""The audit log page: who may read it, filters, paging, and that it holds nothing secret."""

from __future__ import annotations

import base64
import re

from sqlalchemy import func, select

from ballot.models import AuditEntry
from ballot.services import audit, rounds, voting
from tests.conftest import make_session
from tests.factories import card, cast, issue, session_delegates, ten_for, voting_session


def rows(html: str) -> list[str]:
    """The action codes of the listed entries, in page order."""
    table = html.split('id="audit-entries"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<small class="muted">([a-z_.]+)</small>', table)


def two_congresses(db):
    ours = make_session(slug="ours", delegates=2)
    theirs = make_session(slug="theirs", congress="另一镇人大", delegates=2)
    audit.record("alice", "candidate.add", ours, title="学校")
    audit.record("bob", "candidate.add", theirs, title="医院")
    audit.record("alice", "round.open", ours, number=1)
    audit.record("alice", "round.close", ours, number=1)
    db.session.commit()
    return ours, theirs


def test_admin_reads_every_entry_newest_first_with_filters(client, db, login):
    two_congresses(db)
    login("admin", congress=None)
    page = client.get("/admin/audit/")
    assert page.status_code == 200 and "审计日志" in page.text
    listed = rows(page.text)
    assert listed[:6] == ["user.login", "user.create",  # the admin's own, the newest
                          "round.close", "round.open", "candidate.add", "candidate.add"]
    assert "登录" in page.text and "结束投票" in page.text
    assert rows(client.get("/admin/audit/?session=theirs").text) == ["candidate.add"]
    assert rows(client.get("/admin/audit/?actor=alice").text) == [
        "round.close", "round.open", "candidate.add"]
    by_prefix = client.get("/admin/audit/?action=round").text
    assert rows(by_prefix) == ["round.close", "round.open"]
    assert '<option value="round" selected>round.*</option>' in by_prefix
    assert rows(client.get("/admin/audit/?action=round.open&actor=alice&session=ours").text) == [
        "round.open"]
    assert rows(client.get("/admin/audit/?actor=nobody").text) == []
    assert "没有符合条件的记录" in client.get("/admin/audit/?actor=nobody").text


def test_staff_read_only_their_congress_and_no_logins(client, db, login):
    two_congresses(db)
    login("staff")
    page = client.get("/admin/audit/").text
    assert rows(page) == ["round.close", "round.open", "candidate.add"]
    assert "医院" not in page and "user.login" not in page
    assert client.get("/admin/audit/?session=theirs").status_code == 404
    assert 'value="theirs"' not in page and 'value="ours"' in page


def test_chairs_scrutineers_and_the_public_may_not_read_it(client, db, login):
    assert client.get("/admin/audit/").headers["Location"].startswith("/login")
    for role in ("chair", "scrutineer"):
        login(role)
        assert client.get("/admin/audit/").status_code == 403
        assert "/admin/audit/" not in client.get("/admin/").text


def test_admin_home_links_to_it(client, db, login):
    login("staff")
    assert 'href="/admin/audit/"' in client.get("/admin/").text


def test_pages_of_fifty_and_bad_page_numbers(client, db, login):
    session = make_session(delegates=1)
    for n in range(120):
        audit.record("staff", "candidate.move", session, position=n)
    db.session.commit()
    login("staff")
    first = client.get("/admin/audit/?action=candidate").text
    assert len(rows(first)) == 50 and "共 120 条记录，第 1 / 3 页" in first
    assert "position=119" in first and "position=70" in first and "position=69" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/admin/audit/?action=candidate&page=3").text
    assert len(rows(last)) == 20 and "position=0" in last and 'rel="next"' not in last
    assert "第 3 / 3 页" in client.get("/admin/audit/?action=candidate&page=99").text
    assert "第 1 / 3 页" in client.get("/admin/audit/?action=candidate&page=x").text
    assert "第 1 / 3 页" in client.get("/admin/audit/?action=candidate&page=²").text
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "action=candidate" in next_link and "page=2" in next_link


def test_voting_leaves_nothing_in_the_log_that_links_a_delegate_to_a_ballot(client, db, login):
    session, kiosk = voting_session(delegates=6)
    delegates = session_delegates(session)
    before = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    secrets = []
    for delegate in delegates[:3]:
        token, _ = issue(session, kiosk, delegate)
        receipt = cast(session, kiosk, token, ten_for())
        secrets += [token.hex(), base64.urlsafe_b64encode(token).decode(), receipt.tracking_code]
    token, _ = issue(session, kiosk, delegates[3])
    voting.return_token(session, kiosk, token, card(session, delegates[3]))
    db.session.commit()
    secrets.append(token.hex())
    # Issuing and casting write no audit entry at all: nothing dates a delegate's vote. The
    # return is audited (issue 17: who, which kiosk, why), once, with no ballot material.
    after_voting = db.session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    card_entries = db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.startswith("card."))).scalar_one()
    assert after_voting - before == card_entries + 1
    returned = db.session.execute(
        select(AuditEntry).where(AuditEntry.action.startswith("ballot."))).scalar_one()
    assert (returned.action, returned.actor) == ("ballot.return", f"kiosk:{kiosk.id}")
    issue(session, kiosk, delegates[4])
    voting.release_delegate(session, delegates[4], "staff", "投票机故障")
    db.session.commit()
    rounds.close_round(session, "chair")
    db.session.commit()
    login("admin", congress=None)
    page = client.get("/admin/audit/").text
    entries = db.session.execute(select(AuditEntry)).scalars().all()
    stored = " ".join(f"{e.action} {e.detail}" for e in entries)
    for secret in secrets:
        assert secret not in page and secret not in stored
        assert secret.replace("-", "") not in stored
    assert "choices" not in stored and "token" not in stored and "ballot_id" not in stored
    assert {e.action for e in entries if e.action.startswith("ballot.")} == {
        "ballot.return", "ballot.release"}

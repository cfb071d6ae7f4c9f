"""Paper ballots over HTTP and the command line (issue 22, items 1, 2 and 5): the desk's
发纸质选票 (asks first, a reason, audited), the API step and `ballot paper-issue`, the same checks
everywhere; the round's ballot paper as a download."""

from __future__ import annotations

from sqlalchemy import select

from ballot.models import AuditEntry
from ballot.services import rounds
from tests.factories import (
    cast,
    desk_offers,
    desk_row,
    issue,
    session_delegates,
    ten_for,
    voting_session,
)


def test_desk_issues_paper_after_asking_and_then_offers_no_second_ballot(db, client, login):
    session, kiosk = voting_session(delegates=6)
    voter, paper = session_delegates(session)[:2]
    cast(session, kiosk, issue(session, kiosk, voter)[0], ten_for())
    login("staff")
    assert desk_offers(client, session, paper, "paper")
    assert not desk_offers(client, session, voter, "paper")
    url = f"/admin/sessions/{session.slug}/delegates/{paper.id}/paper"
    asked = client.post(url, data={"reason": "代表要求"})
    assert asked.status_code == 200 and "确认发放纸质选票" in asked.get_data(as_text=True)
    assert rounds.issued_by_kind(session, 1)["paper"] == 0
    done = client.post(url, data={"reason": "代表要求", "confirmed": "1"})
    assert done.status_code == 302
    assert rounds.issued_by_kind(session, 1) == {"kiosk": 1, "paper": 1}
    page = client.get(f"/admin/sessions/{session.slug}/checkin").get_data(as_text=True)
    assert 'data-ballot="paper"' in desk_row(page, paper.id) and "已领取纸质选票" in page
    assert "已发出纸质选票 1 张" in page
    assert not desk_offers(client, session, paper, "paper")
    again = client.post(url, data={"reason": "代表要求", "confirmed": "1"},
                        follow_redirects=True)
    assert "已领取纸质选票，不能再领取选票" in again.get_data(as_text=True)
    audit = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "ballot.issue_paper")).scalar_one()
    assert audit.detail["reason"] == "代表要求" and audit.actor == "staff"
    pdf = client.get(f"/admin/sessions/{session.slug}/rounds/1/ballot-paper.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.mimetype == "application/pdf"
    missing = client.get(f"/admin/sessions/{session.slug}/rounds/9/ballot-paper.pdf")
    assert missing.status_code == 404


def test_api_and_cli_issue_paper_with_the_desks_checks(app, db, client, login, tmp_path):
    session, kiosk = voting_session(delegates=6)
    first, second, holder = session_delegates(session)[:3]
    issue(session, kiosk, holder)
    login("staff")
    ref = session.slug
    no_reason = client.post(f"/api/v1/sessions/{ref}/paper", json={"seat": first.seat})
    assert no_reason.status_code == 400 and "原因" in no_reason.get_json()["message"]
    made = client.post(f"/api/v1/sessions/{ref}/paper",
                       json={"seat": first.seat, "reason": "投票机故障"})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["issued"] == {"kiosk": 1, "paper": 1}
    held = client.post(f"/api/v1/sessions/{ref}/paper",
                       json={"delegate_id": holder.id, "reason": "代表要求"})
    assert held.status_code == 409 and held.get_json()["error"] == "already_issued"
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["paper-issue", ref, "--seat", second.seat, "--reason", "代表要求"])
    assert ok.exit_code == 0, ok.output
    assert "纸质 2" in ok.output
    twice = runner.invoke(args=["paper-issue", ref, "--seat", second.seat, "--reason", "代表要求"])
    assert twice.exit_code == 1 and "已领取纸质选票" in twice.output
    out = tmp_path / "ballot.pdf"
    printed = runner.invoke(args=["ballot-paper", ref, "--round", "1", "-o", str(out)])
    assert printed.exit_code == 0, printed.output
    assert out.read_bytes().startswith(b"%PDF")
    api_pdf = client.get(f"/api/v1/sessions/{ref}/rounds/1/ballot-paper.pdf")
    assert api_pdf.data == out.read_bytes()

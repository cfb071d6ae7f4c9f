"""Paper ballots (issue 22, item 1 and 2): issuing a paper ballot is the delegate's issue mark
of kind "paper", under the same exactly-once key as a kiosk ballot; the round's ballot paper is
an A4 PDF that identifies nobody. They run on SQLite and on $BALLOT_TEST_DATABASE_URL."""

from __future__ import annotations

import pypdfium2
import pytest
from sqlalchemy import select

from ballot.domain.errors import BallotError
from ballot.extensions import db as _db
from ballot.models import AuditEntry, BallotIssue
from ballot.services import ballot_paper, rounds, voting
from tests.factories import cast, issue, session_delegates, ten_for, voting_session


def _refused(code: str, call, *args) -> BallotError:
    with pytest.raises(BallotError) as caught:
        call(*args)
    _db.session.rollback()
    assert caught.value.code == code, caught.value
    return caught.value


def _paper(session, delegate) -> int:
    number = voting.issue_paper(session, delegate, "staff", "代表要求")
    _db.session.commit()
    return number


def test_paper_issue_is_the_delegates_one_mark_of_the_round(db):
    session, kiosk = voting_session()
    a, b, c = session_delegates(session)[:3]
    assert _paper(session, a) == 1
    mark = db.session.get(BallotIssue, (session.id, 1, a.id))
    assert (mark.kind, mark.token_hash, mark.kiosk_id) == ("paper", None, None)
    # No second paper, no kiosk ballot on top of it, and no release of a handed-out paper.
    _refused("paper_issued", voting.issue_paper, session, a, "staff", "代表要求")
    from tests.factories import card
    a_card = card(session, a)
    _refused("paper_issued", voting.issue_ballot, session, kiosk, a_card)
    _refused("paper_not_releasable", voting.release_delegate, session, a, "staff", "机器故障")
    # A delegate holding an unused kiosk ballot, or who voted at a kiosk, gets no paper.
    token_b, _ = issue(session, kiosk, b)
    err = _refused("already_issued", voting.issue_paper, session, b, "staff", "代表要求")
    assert "释放" in str(err.message)
    cast(session, kiosk, token_b, ten_for())
    _refused("already_cast", voting.issue_paper, session, b, "staff", "代表要求")
    # Issued counts are kept per kind, and the total is the sum.
    _paper(session, c)
    assert rounds.issued_by_kind(session, 1) == {"kiosk": 1, "paper": 2}
    assert rounds.issued_count(session, 1) == 3
    states = voting.ballot_states(session, 1)
    assert (states[a.id].state, states[b.id].state, states[c.id].state) == (
        "paper", "cast", "paper")
    audits = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "ballot.issue_paper")).scalars().all()
    assert [(e.actor, e.detail["delegate_id"], e.detail["round"]) for e in audits] == [
        ("staff", a.id, 1), ("staff", c.id, 1)]


def test_paper_needs_an_open_round_and_a_checked_in_delegate(db):
    session, _kiosk = voting_session(present=15)
    absent = session_delegates(session)[17]
    _refused("not_checked_in", voting.issue_paper, session, absent, "staff", "代表要求")
    closed, _ = voting_session(open_round=False, slug="closed-one")
    _refused("voting_not_open", voting.issue_paper, closed, session_delegates(closed)[0],
             "staff", "代表要求")
    _refused("invalid_input", voting.issue_paper, session, session_delegates(session)[0],
             "staff", "  ")
    assert db.session.execute(select(BallotIssue)).first() is None


def test_ballot_paper_pdf_shows_the_round_and_identifies_nobody(db):
    session, _kiosk = voting_session()
    round_ = rounds.get_round(session, 1)
    pdf = ballot_paper.render_pdf(session, round_)
    # Every print of a round's paper is the same file: nothing distinguishes one copy.
    assert pdf == ballot_paper.render_pdf(session, round_)
    assert pdf.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(pdf)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    compact = text.replace(" ", "").replace("\n", "")
    assert "每张选票赞成不超过10个" in compact
    for code in round_.candidates:
        assert code in text
    assert "赞成" in text and "反对" in text and "弃权" in text
    assert "超过的，本张选票无效" in compact
    for delegate in session_delegates(session)[:3]:
        assert delegate.name not in text


def test_round_one_paper_prints_before_voting_but_not_from_a_draft_list(db):
    session, _kiosk = voting_session(open_round=False)
    round_ = ballot_paper.paper_round(session, 1)
    assert round_.quota == session.quota and len(round_.candidates) == 12
    assert ballot_paper.render_pdf(session, round_).startswith(b"%PDF")
    session.state = "draft"
    _refused("invalid_input", ballot_paper.paper_round, session, 1)
    _refused("not_found", ballot_paper.paper_round, session, 2)

"""A drill session (演练) is marked as such on every page, card, export and the signed result."""

from __future__ import annotations

import csv
import io
import json
import random

import pypdfium2

from ballot.extensions import db as _db
from ballot.services import cards, export, results, rounds
from tests.conftest import make_session
from tests.crypto.bundle_builder import ballots_with
from tests.factories import codes, confirm_both, ready_session, vote

MARK = "【演练】"


def _pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    return "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))) \
        .replace("\r\n", "").replace("\n", "")


def _published_drill(db):
    session = ready_session(is_drill=True)
    fors = [50, 48, 47, 45, 44, 42, 40, 38, 36, 33, 31, 20]
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), fors, strict=True)), 57, 10))
    confirm_both(session)
    results.publish(session, "chair")
    db.session.commit()
    return session


def test_a_session_is_not_a_drill_by_default(db):
    session = make_session()
    assert session.is_drill is False
    assert session.display_title == session.title


def test_staff_create_a_drill_from_the_form(client, login):
    login("staff")
    response = client.post("/admin/sessions/new", data={
        "title": "示范镇会议演练", "slug": "rehearsal", "date": "2027-01-10", "quota": "10",
        "mode": "contested", "min_excess_ratio": "20", "pass_basis": "roster", "drill": "1"})
    assert response.status_code == 302
    page = client.get("/admin/sessions/rehearsal").get_data(as_text=True)
    assert f"{MARK}示范镇会议演练" in page
    assert f"{MARK}示范镇会议演练" in client.get("/admin/").get_data(as_text=True)
    assert client.get("/api/v1/sessions/rehearsal").get_json()["is_drill"] is True


def test_every_page_of_a_drill_carries_the_mark(client, db, login):
    session = _published_drill(db)
    login("staff")
    for path in (f"/admin/sessions/{session.slug}", "/admin/", f"/chair/{session.slug}",
                 f"/chair/{session.slug}/scrutiny", f"/s/{session.slug}/",
                 f"/s/{session.slug}/results", "/", f"/s/{session.slug}/board/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert MARK in page.get_data(as_text=True), path


def test_english_pages_mark_a_drill_too(client, db):
    session = make_session(is_drill=True, state="published")
    _db.session.commit()
    client.get("/lang/en")
    assert "[DRILL]" in client.get(f"/s/{session.slug}/").get_data(as_text=True)


def test_exports_and_the_signed_result_of_a_drill_say_so(db):
    session = _published_drill(db)
    rows = list(csv.reader(io.StringIO(export.to_csv(session).decode("utf-8-sig"))))
    assert rows[0][0].startswith(MARK)
    assert MARK in _pdf_text(export.to_pdf(session))
    assert results.published_document(session)["session"]["drill"] is True
    assert json.loads(export.to_json(session))["session"]["drill"] is True


def test_a_real_sessions_signed_result_says_it_is_not_a_drill(db):
    session = ready_session()
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), [40] * 10 + [5, 5], strict=True)), 57, 10))
    assert results.result_document(session, rounds.session_results(session))[
        "session"]["drill"] is False


def test_drill_cards_carry_the_mark(db):
    session = make_session(delegates=2, is_drill=True)
    issued = cards.issue_all(session, "staff")
    assert all(card.title.startswith(MARK) for card in issued)
    assert MARK in _pdf_text(cards.render_pdf(issued))


def test_verify_says_a_drill_bundle_is_a_drill(db, tmp_path):
    from click.testing import CliRunner

    from ballot.verify import main, verify_bundle

    session = _published_drill(db)
    path = tmp_path / "bundle.zip"
    path.write_bytes(export.to_bundle(session))
    report = verify_bundle(path, session.key_fingerprint[:32])
    assert report.ok and report.drill
    run = CliRunner().invoke(main, [str(path), "--fingerprint", session.key_fingerprint])
    assert run.exit_code == 0, run.output
    assert "演练场次" in run.output and "drill" in run.output

"""A mixed round counted for real (4 kiosk ballots, 4 paper ballots entered twice by the
counting staff, one over quota, one unreadable) as the announcement, the CSV, the PDF record,
``ballot tally`` and the chair's console show it: 发出/收回 per kind, 有效票, 无效票 with reasons."""

from __future__ import annotations

import csv
import io

from ballot.extensions import db as _db
from ballot.services import export, paper_count, results, rounds
from ballot.services.paper_count import Reading
from tests.conftest import open_box
from tests.factories import ELEVEN_FOR, mixed_round, pdf_text, ten_for

BALLOTS = ("发出选票8张（投票机4张，纸质4张），收回8张（投票机4张，纸质4张），"
           "有效票6张，无效票2张（其中超过应选数1张、无法辨认1张）")


def _counted_mixed_round():
    session, first, second, scrutineer = mixed_round()
    pile = [Reading(ten_for()), Reading(ELEVEN_FOR), Reading(None), Reading({"01": "against"})]
    for pass_no, user in ((1, first), (2, second)):
        for number, reading in enumerate(pile, start=1):
            paper_count.record_sheet(session, 1, pass_no, number, reading, user)
    _db.session.commit()
    paper_count.finish(session, 1, scrutineer)
    _db.session.commit()
    open_box(session)
    return session


def test_a_real_mixed_count_on_the_documents_and_tally(app, db):
    session = _counted_mixed_round()
    found = rounds.session_results(session)
    assert BALLOTS in results.announcement(session, results.result_document(session, found))
    rows = list(csv.reader(io.StringIO(export.to_csv(session).decode("utf-8-sig"))))
    header = next(r for r in rows if r and r[0] == "轮次" and "发出选票" in r)
    line = dict(zip(header, rows[rows.index(header) + 1], strict=True))
    assert (line["发出（投票机）"], line["发出（纸质）"], line["收回（纸质）"]) == ("4", "4", "4")
    assert (line["有效票"], line["无效票"], line["其中超过应选数"], line["其中无法辨认"]) == (
        "6", "2", "1", "1")
    assert BALLOTS in pdf_text(export.to_pdf(session))
    output = app.test_cli_runner().invoke(args=["tally", session.slug]).output
    assert ("发出 8（投票机 4，纸质 4）  收回 8（投票机 4，纸质 4）  有效 6  "
            "无效 2（超过应选数 1，无法辨认 1）") in output


def test_a_real_mixed_count_on_the_chair_console(client, db, login):
    session = _counted_mixed_round()
    login("chair", congress=session.congress)
    page = client.get(f"/chair/{session.slug}").text
    assert BALLOTS in page

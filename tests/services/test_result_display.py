"""What every result surface shows of a round's ballots and of a 测评: the per-kind figures
(投票机 / 纸质) and the invalid ballots' reasons, read with defaults from a result counted before
paper ballots existed; a 测评's counts, 满意率, grade and basis in the CSV, the XLSX, the PDF,
the Word announcement and ``ballot tally`` instead of the 票决's 赞成/反对/弃权."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from ballot.domain import tally
from ballot.i18n import gettext
from ballot.models import VoteSession
from ballot.services import export, figures, results, rounds
from tests.factories import (
    PAPER_ROUND,
    PAPER_SPEC,
    pdf_text,
    published,
    published_rating,
    published_session,
    rating_ballots,
    rating_session,
    vote,
    with_paper,
)

SPEC = PAPER_SPEC
# The same round stored before paper ballots existed: no per-kind or per-reason keys.
OLD_ROUND = {k: v for k, v in tally.tally_totals(
    tally.RoundSpec(**{**SPEC.__dict__, "issued_paper": 0}), {"01": (40, 10), "02": (20, 30)},
    57).to_dict().items() if k not in ("issued_by_kind", "returned_by_kind", "invalid_by_reason")}


def test_a_round_counted_before_paper_reads_as_all_kiosk_with_no_reasons():
    found = figures.ballot_figures(OLD_ROUND)
    assert found.issued_by_kind == {"kiosk": 57, "paper": 0}
    assert found.returned_by_kind == {"kiosk": 57, "paper": 0}
    assert found.invalid_by_reason == {"over_quota": 0, "unreadable": 0}
    assert not found.has_paper and found.within_issued and found.reasons == ()
    # No 纸质 0 clutter, but 有效票 and 无效票 always.
    assert figures.ballots_text(found) == "发出选票57张，收回57张，有效票57张，无效票0张"


def test_paper_figures_are_said_per_kind_with_the_reasons():
    found = figures.ballot_figures(PAPER_ROUND)
    assert found.has_paper and found.reasons == (("over_quota", 1), ("unreadable", 1))
    assert figures.ballots_text(found) == (
        "发出选票57张（投票机50张，纸质7张），收回57张（投票机50张，纸质7张），"
        "有效票55张，无效票2张（其中超过应选数1张、无法辨认1张）")
    assert figures.ballot_figures(tally.RoundResult.from_dict(PAPER_ROUND)) == found
    one_reason = figures.ballot_figures({**PAPER_ROUND, "invalid_by_reason": {"over_quota": 2}})
    assert figures.ballots_text(one_reason, rating_ballot=True).endswith(
        "无效票2张（其中超过应选数2张）")
    assert figures.ballots_text(one_reason, rating_ballot=True).startswith("发出测评票57张")


def test_a_void_round_names_the_kind_that_returned_too_many(app):
    counted = tally.tally_totals(SPEC, {"01": (40, 10), "02": (20, 30)}, 58, 0,
                                 returned_by_kind={"kiosk": 50, "paper": 8})
    void = figures.ballot_figures(counted)
    assert void.void_kinds == ("paper",) and not void.within_issued
    assert figures.void_text(void) == "纸质收回选票多于发出选票，本轮投票无效，须重新投票。"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask import session as cookie

        cookie["lang"] = "en"
        text = figures.void_text(void, gettext)
    assert "paper" in text.lower() and "纸" not in text


def test_paper_figures_on_the_csv_xlsx_pdf_and_announcement(db):
    from openpyxl import load_workbook

    session = published_session(db)
    plain = export.to_csv(session).decode("utf-8-sig")
    assert "纸质" not in plain  # no paper at all: the tables stay as simple as before
    with_paper(session)
    rows = list(csv.reader(io.StringIO(export.to_csv(session).decode("utf-8-sig"))))
    header = next(r for r in rows if r and r[0] == "轮次" and "发出选票" in r)
    first = rows[rows.index(header) + 1]
    line = dict(zip(header, first, strict=True))
    assert (line["发出（投票机）"], line["发出（纸质）"], line["收回（纸质）"]) == ("50", "7", "7")
    assert (line["其中超过应选数"], line["其中无法辨认"]) == ("1", "1")
    workbook = load_workbook(io.BytesIO(export.to_xlsx(session)))
    sheet = workbook["轮次统计"]
    headers = [c.value for c in sheet[4]]
    assert "发出（纸质）" in headers and sheet.cell(5, headers.index("发出（纸质）") + 1).value == 7
    # The signed document's rounds carry the keys once RoundResult.to_dict has them (branch paper).
    document = results.result_document(session, rounds.session_results(session))
    document["rounds"][0] = {**document["rounds"][0], "valid": 55, "invalid": 2,
                             **{k: PAPER_ROUND[k] for k in
                                ("issued_by_kind", "returned_by_kind", "invalid_by_reason")}}
    text = results.announcement(session, document)
    assert "发出选票57张（投票机50张，纸质7张）" in text
    assert "其中超过应选数1张、无法辨认1张" in text
    assert "发出选票57张（投票机50张，纸质7张）" in pdf_text(export.to_pdf(session))


def test_tally_prints_the_paper_split(app, db):
    session = published_session(db)
    with_paper(session)
    output = app.test_cli_runner().invoke(args=["tally", session.slug]).output
    assert ("发出 57（投票机 50，纸质 7）  收回 57（投票机 50，纸质 7）  有效 55  "
            "无效 2（超过应选数 1，无法辨认 1）") in output
    assert "发出 56  收回 56  有效 56  无效 0" in output  # round 2 had no paper


@pytest.fixture
def rated(db):
    """A published 测评 of three projects: 满意, 基本满意, 不满意."""
    return published_rating(published())


def test_a_rating_csv_has_grades_not_votes(rated):
    rows = list(csv.reader(io.StringIO(export.to_csv(rated).decode("utf-8-sig"))))
    assert rows[1] == ["票序", "项目名称", "承办单位", "满意", "基本满意", "不满意", "满意率（%）",
                       "测评结果"]
    assert rows[2][:1] + rows[2][3:] == ["01", "30", "6", "4", "90.0", "满意"]
    assert rows[3][-1] == "基本满意" and rows[4][-1] == "不满意"
    rounds_header = rows[6]
    assert "应选名额" not in rounds_header and "通过所需赞成票" not in rounds_header
    assert dict(zip(rounds_header, rows[7], strict=True))["过半数的基数"] == "收回测评票数"
    assert not any("赞成" in cell for row in rows for cell in row)


def test_a_rating_xlsx_opens_with_numbers_widths_and_chinese_headers(rated):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(export.to_xlsx(rated)))
    assert workbook.sheetnames == ["测评结果", "轮次统计", "测评项目"]
    sheet = workbook["测评结果"]
    assert [c.value for c in sheet[4]] == ["票序", "项目名称", "承办单位", "满意", "基本满意",
                                           "不满意", "满意率（%）", "测评结果"]
    assert sheet["D5"].value == 30 and isinstance(sheet["D5"].value, int)
    assert sheet["G5"].value == 90 and sheet["G5"].number_format == "0.0"
    assert sheet["H7"].value == "不满意"
    assert sheet.column_dimensions["B"].width >= 10  # 项目名称 is not squeezed
    assert workbook["测评项目"]["F7"].value == "不满意"
    assert workbook["轮次统计"].cell(5, 1).value == 1


def test_a_rating_pdf_docx_and_tally_say_the_grades(app, rated):
    from docx import Document

    text = pdf_text(export.to_pdf(rated))
    for expected in ("民生实事项目满意度测评结果记录", "以收回测评票数为过半数的基数", "测评计票",
                     "满意率（%）", "90.0", "不满意"):
        assert expected in text, expected
    assert "通过须获赞成票" not in text and "赞成" not in text
    document = Document(io.BytesIO(export.to_docx(rated)))
    paragraphs = [p.text for p in document.paragraphs]
    assert "2027年度民生实事项目满意度测评结果公告" in paragraphs
    assert any("测评以收回测评票数为基数" in p for p in paragraphs)
    assert any(p.startswith("测评结果为不满意的项目（民生项目3）") for p in paragraphs)
    (table,) = document.tables
    assert [c.text for c in table.rows[0].cells][-2:] == ["满意率（%）", "测评结果"]
    assert [c.text for c in table.rows[3].cells][3:] == ["5", "10", "25", "37.5", "不满意"]
    output = app.test_cli_runner().invoke(args=["tally", rated.slug]).output
    assert "第 1 轮（满意度测评）" in output and "基数 收回测评票数 40" in output
    assert "01         30        6      4  90.0%  满意" in output
    assert "最终入选" not in output and "赞成" not in output


def test_a_rating_announcement_reads_by_grade_and_keeps_every_figure(app, db):
    session = rating_session(published(), codes="1,2,3,4")
    vote(session, rating_ballots({"01": (30, 6, 4), "02": (25, 10, 5), "03": (5, 10, 25),
                                  "04": (36, 2, 2)}, 40))
    document = results.result_document(session, rounds.session_results(session))
    lines = results.announcement(session, document).split("\n")
    assert lines[0].startswith("本次满意度测评应到代表50名，实到40名，发出测评票40张")
    # No project was graded 基本满意: that grade is not named.
    assert lines[1:3] == ["测评结果为满意的项目3个：民生项目1、民生项目2、民生项目4。",
                          "测评结果为不满意的项目1个：民生项目3。"]
    assert lines[3:] == ["各项目得票情况：",
                         "民生项目1：满意30票，基本满意6票，不满意4票，满意率90.0%。",
                         "民生项目2：满意25票，基本满意10票，不满意5票，满意率87.5%。",
                         "民生项目3：满意5票，基本满意10票，不满意25票，满意率37.5%。",
                         "民生项目4：满意36票，基本满意2票，不满意2票，满意率95.0%。"]
    record = pdf_text(export.to_pdf(session))
    assert "测评结果为不满意的项目1个：民生项目3。" in record
    with app.test_request_context():
        from flask import session as cookie

        cookie["lang"] = "en"
        english = results.announcement(session, document, gettext).split("\n")
    assert english[2] == "Projects rated “Dissatisfied” (1): 民生项目3."
    assert not any("测评" in line or "满意" in line for line in english)


def test_the_rating_rate_is_a_decimal_of_the_basis(rated):
    from ballot.services.result_rows import project_rows

    rows = project_rows(rated, rounds.session_results(rated))
    assert [r["满意率（%）"] for r in rows] == [Decimal("90.0"), Decimal("62.5"), Decimal("37.5")]


def test_a_rating_export_counts_rating_ballots_and_a_vote_still_ballots(db, rated):
    from openpyxl import load_workbook

    rows = list(csv.reader(io.StringIO(export.to_csv(rated).decode("utf-8-sig"))))
    line = dict(zip(rows[6], rows[7], strict=True))
    assert (line["发出测评票"], line["收回测评票"]) == ("40", "40")
    assert not any("选票" in cell for row in rows for cell in row)  # 收回测评票数, the basis
    headers = [c.value for c in load_workbook(io.BytesIO(export.to_xlsx(rated)))["轮次统计"][4]]
    assert "发出测评票" in headers and "收回测评票" in headers and "发出选票" not in headers
    source = db.session.execute(  # the 票决 whose projects ``rated`` rates
        db.select(VoteSession).where(VoteSession.kind == "vote")).scalar_one()
    vote_rows = list(csv.reader(io.StringIO(export.to_csv(source).decode("utf-8-sig"))))
    header = next(r for r in vote_rows if r and r[0] == "轮次" and "应选名额" in r)
    assert "发出选票" in header and "收回选票" in header
    assert not any("测评票" in cell for row in vote_rows for cell in row)


def test_a_void_rating_round_says_rating_ballots(app):
    counted = tally.tally_totals(SPEC, {"01": (40, 10), "02": (20, 30)}, 58, 0,
                                 returned_by_kind={"kiosk": 50, "paper": 8})
    void = figures.ballot_figures(counted)
    assert (figures.void_text(void, rating_ballot=True)
            == "纸质收回测评票多于发出测评票，本轮投票无效，须重新投票。")
    assert figures.void_text(void) == "纸质收回选票多于发出选票，本轮投票无效，须重新投票。"

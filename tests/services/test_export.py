"""Exports: CSV (BOM, formula-safe), XLSX, PDF with Chinese, signed JSON, and the audit bundle."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import subprocess
import zipfile

import pytest

from ballot import bundle as bundle_mod
from ballot.bundle import read_bundle
from ballot.domain.errors import ResultNotCounted, ResultNotPublished
from ballot.services import export
from ballot.verify import verify_bundle
from tests.conftest import skip_or_fail
from tests.crypto.bundle_builder import ballots_with
from tests.factories import (
    codes,
    counted_session,
    published_session,
    ready_session,
    rewritten_bundle,
    tied_round1,
    vote,
)


def test_csv_is_utf8_with_bom_and_neutralises_formulas(db):
    data = export.to_csv(counted_session(db))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][:4] == ["轮次", "票序", "项目名称", "承办单位"]
    first = rows[2]
    assert first[2] == "'=HYPERLINK(\"http://x\")学校"
    assert first[4] == "50" and first[7] == "是" and first[9] == "入选"
    assert rows[14] == [] and rows[15][:4] == ["轮次", "应选名额", "应到", "实到"]
    assert rows[16][:8] == ["1", "10", "60", "57", "57", "57", "57", "0"]


def test_neutralise_leaves_numbers_and_plain_text():
    assert export.neutralise("+86 138") == "'+86 138"
    assert export.neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert export.neutralise("-1") == "'-1"
    assert export.neutralise("镇中心小学") == "镇中心小学"
    assert export.neutralise(-1) == -1


def test_xlsx_reads_back_with_chinese_sheets(db):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(export.to_xlsx(counted_session(db))))
    assert workbook.sheetnames == ["计票结果", "轮次统计", "候选项目"]
    sheet = workbook["计票结果"]
    assert [c.value for c in sheet[4]][:5] == ["轮次", "票序", "项目名称", "承办单位", "赞成"]
    assert sheet["C5"].value.startswith("'=")
    assert sheet["E5"].value == 50
    assert sheet.column_dimensions["C"].width >= 10
    candidates = workbook["候选项目"]
    assert candidates["B6"].value == "民生项目2" and candidates["G6"].value == "是"
    assert candidates["G15"].value == "否"


def test_pdf_embeds_a_cjk_font_and_holds_the_record(db):
    import pypdfium2

    session = published_session(db)
    data = export.to_pdf(session)
    assert data.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(data)
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    for expected in ("民生实事项目人大代表票决结果记录", "本次会议应到代表60名", "第 2 轮计票",
                     "总监票人：陈立", "会议密钥指纹"):
        assert expected in text.replace("\r\n", "").replace("\n", ""), expected
    assert b"WenQuanYiMicroHei" in data


def test_pdf_of_an_unpublished_count_says_so(db):
    import pypdfium2

    pdf = pypdfium2.PdfDocument(export.to_pdf(counted_session(db)))
    text = pdf[0].get_textpage().get_text_range().replace("\r\n", "")
    assert "结果尚未公布" in text


def test_exports_refused_before_counting_or_publication(db):
    session = ready_session()
    with pytest.raises(ResultNotCounted):
        export.to_csv(session)
    counted = counted_session_other(db)
    with pytest.raises(ResultNotPublished):
        export.to_json(counted)
    with pytest.raises(ResultNotPublished):
        export.to_bundle(counted)


def counted_session_other(db):
    """A second counted session (the fixtures' slug is taken by the first)."""
    session = ready_session(slug="other-session")
    vote(session, ballots_with(random.Random(8), codes(12),
                               dict(zip(codes(12), [40] * 12, strict=False)), 57, 12))
    return session


def test_json_export_is_the_signed_document(db):
    session = published_session(db)
    assert export.to_json(session) == session.result_document


def test_bundle_verifies_and_a_changed_byte_fails(db, tmp_path):
    session = published_session(db)
    path = tmp_path / "bundle.zip"
    path.write_bytes(export.to_bundle(session))
    report = verify_bundle(path, session.key_fingerprint[:32])
    assert report.ok, [str(p) for p in report.problems]
    assert report.entry_count == 57 + 56

    bundle = read_bundle(path)
    assert bundle.issued is not None and len(bundle.issued["1"]) == 57
    assert bundle.manifest["scrutineers"] == {"chief": "陈立", "scrutineers": ["赵敏", "孙伟"],
                                              "counters": ["周静", "吴磊"]}
    actions = [line.record["action"] for line in bundle.audit_log]
    assert "round.close" in actions and "result.published" in actions
    assert not any(a.startswith(("delegate.", "ballot.", "user.")) for a in actions)

    if shutil.which("openssl") is None:
        skip_or_fail("openssl not installed")
    with zipfile.ZipFile(path) as zf:
        zf.extractall(tmp_path / "x")
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public_key.pem", "-rawin",
               "-in", "result.json", "-sigfile", "result.sig"]
    ok = subprocess.run(command, cwd=tmp_path / "x", capture_output=True, text=True)
    assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout

    document = (tmp_path / "x" / "result.json").read_bytes()
    index = document.index(b'"chosen":["01"') + len(b'"chosen":["0')
    (tmp_path / "x" / "result.json").write_bytes(document[:index] + b"2" + document[index + 1:])
    bad = subprocess.run(command, cwd=tmp_path / "x", capture_output=True, text=True)
    assert bad.returncode != 0


def test_the_signature_covers_issued_names_and_scrutineers(db):
    """Issue 17.8: changing a name in issued.json or the scrutineers breaks verification."""
    session = published_session(db)
    document = json.loads(session.result_document)
    assert document["scrutineers"] == {"chief": "陈立", "scrutineers": ["赵敏", "孙伟"],
                                       "counters": ["周静", "吴磊"]}
    original = export.to_bundle(session)
    issued = read_bundle(io.BytesIO(original)).issued
    assert document["issued_sha256"] == bundle_mod.issued_digest(issued)

    def other_name(data: bytes) -> bytes:
        lists = json.loads(data)
        lists["1"][0] = "另一位代表"
        return json.dumps(lists, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"

    def other_chief(data: bytes) -> bytes:
        return data.replace('"chief": "陈立"'.encode(), '"chief": "王五"'.encode())

    fp = session.key_fingerprint
    assert verify_bundle(io.BytesIO(original), fp).ok
    found = {p.code for p in verify_bundle(rewritten_bundle(original, "issued.json", other_name),
                                           fp).problems}
    assert found == {"issued_digest_mismatch"}
    found = {p.code for p in verify_bundle(rewritten_bundle(original, "manifest.json", other_chief),
                                           fp).problems}
    assert found == {"manifest_result_mismatch"}


def test_one_changed_byte_in_an_entry_fails_verification(db, tmp_path):
    session = published_session(db)
    original = export.to_bundle(session)
    source = zipfile.ZipFile(io.BytesIO(original))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "entries.jsonl":
                at = data.index(b'"ballot_id":"') + len(b'"ballot_id":"')
                flipped = b"1" if data[at:at + 1] == b"0" else b"0"
                data = data[:at] + flipped + data[at + 1:]
            target.writestr(info, data)
    path = tmp_path / "tampered.zip"
    path.write_bytes(buffer.getvalue())
    codes_found = {p.code for p in verify_bundle(path).problems}
    assert "entry_hash_mismatch" in codes_found


def _pdf_text(data: bytes) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    return "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))) \
        .replace("\r\n", "").replace("\n", "")


def test_pdf_record_has_vote_times_page_numbers_signatures_and_a_seal_area(db):
    import pypdfium2

    session = published_session(db)
    data = export.to_pdf(session)
    pages = len(pypdfium2.PdfDocument(data))
    text = _pdf_text(data)
    assert "投票时间：第 1 轮：" in text and "第 2 轮：" in text and "开始" in text
    for page in range(1, pages + 1):
        assert f"第 {page} 页 共 {pages} 页" in text
    assert "结果公告" in text and "签字与盖章" in text and "盖章处" in text
    for role in ("主持人", "总监票人", "监票人", "计票人"):
        assert role in text
    for name in ("陈立", "赵敏", "孙伟", "周静", "吴磊"):  # every scrutineer and counter signs
        assert name in text, name


def test_xlsx_has_a_title_block_numbers_and_a4_print_setup(db):
    from decimal import Decimal

    from openpyxl import load_workbook

    session = published_session(db)
    workbook = load_workbook(io.BytesIO(export.to_xlsx(session)))
    for sheet in workbook.worksheets:
        assert sheet["A1"].value.startswith(session.title)
        assert sheet["A2"].value.startswith(session.congress) and "2027-01-15" in sheet["A2"].value
        assert sheet["A3"].value.startswith("投票时间：第 1 轮：")
        assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 == "9"  # A4
        assert sheet.print_title_rows == "$4:$4"
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
        assert "&P" in sheet.oddFooter.center.text
    candidates = workbook["候选项目"]
    assert candidates["E4"].value == "预算（万元）"
    assert isinstance(candidates["E5"].value, (int, float, Decimal)) and candidates["E5"].value == 100
    counts = workbook["计票结果"]
    assert all(isinstance(counts.cell(row, 5).value, int) for row in range(5, counts.max_row + 1))


def test_docx_announcement_reads_back(db):
    from docx import Document

    session = published_session(db)
    document = Document(io.BytesIO(export.to_docx(session)))
    paragraphs = [p.text for p in document.paragraphs]
    assert session.title in paragraphs and "2027年度民生实事项目票决结果公告" in paragraphs
    assert any(p.startswith("本次会议应到代表60名") for p in paragraphs)
    assert "特此公告。" in paragraphs and f"{session.congress}（盖章）" in paragraphs
    chosen, counts = document.tables
    assert [c.text for c in chosen.rows[0].cells] == ["序号", "项目名称", "承办单位", "预算（万元）", "赞成票"]
    assert len(chosen.rows) == 1 + 10 and chosen.rows[1].cells[1].text == "民生项目1"
    assert len(counts.rows) == 1 + 12 + 3  # every project of round 1, the three tied of round 2
    assert export.filename(session, "docx") == f"{session.slug}-announcement.docx"


def test_docx_waits_for_a_final_result(db):
    from ballot.domain.errors import ResultNotFinal

    session = ready_session()
    vote(session, tied_round1())
    with pytest.raises(ResultNotFinal):
        export.to_docx(session)

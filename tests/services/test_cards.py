"""Printable cards: every QR in the PDF decodes with a real decoder and checks in its delegate."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from ballot.domain.errors import CardReplaced, InvalidInput, ReprintAllClosed
from ballot.models import AuditEntry, Kiosk
from ballot.services import cards, checkin, credentials
from tests.conftest import make_session


def _decode_pdf(data: bytes) -> list[list[str]]:
    """Every QR text on every page, rendered at 150 dpi and read with zxing-cpp."""
    pages = []
    document = pypdfium2.PdfDocument(data)
    for page in document:
        image = page.render(scale=150 / 72).to_pil()
        pages.append([r.text for r in zxingcpp.read_barcodes(image)
                      if r.format == zxingcpp.BarcodeFormat.QRCode])
    document.close()
    return pages


def _pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    return "".join(page.get_textpage().get_text_range() for page in document)


def test_pdf_has_eight_cards_a_page_and_every_qr_checks_in_its_delegate(db):
    session = make_session(delegates=11, state="locked")
    # Long names and a mixed delegation must not break the layout or the QR codes.
    session_delegates = cards.roster.list_delegates(session)
    session_delegates[0].name = "欧阳娜娜·买买提艾力"
    issued = cards.issue_all(session, "staff")
    session.state = "checkin"
    pdf = cards.render_pdf(issued)
    pages = _decode_pdf(pdf)
    assert [len(p) for p in pages] == [8, 3]
    texts = [t for page in pages for t in page]
    assert sorted(texts) == sorted(c.qr_text for c in issued)
    kiosk = Kiosk(session_id=session.id, name="签到1", mode="checkin")
    db.session.add(kiosk)
    db.session.flush()
    by_text = {c.qr_text: c for c in issued}
    for text in texts:
        result = checkin.scan(session, kiosk, text)
        assert not result.already
        assert (result.delegate.name, result.delegate.seat) == (by_text[text].name,
                                                                 by_text[text].seat)
    assert all(d.attendance == "present" for d in session_delegates)


def test_printing_again_replaces_every_card(db):
    session = make_session(delegates=3)
    first = cards.issue_all(session, "staff")
    second = cards.issue_all(session, "staff")
    for old, new in zip(first, second, strict=True):
        assert old.qr_text != new.qr_text
        with pytest.raises(CardReplaced):
            credentials.identify(session, old.qr_text)
        assert credentials.identify(session, new.qr_text).name == new.name
    actions = list(db.session.execute(select(AuditEntry.action)).scalars())
    assert actions.count("card.issue_all") == 2


def test_single_card_png_decodes(db):
    session = make_session(delegates=2)
    delegate = cards.roster.list_delegates(session)[1]
    card = cards.reissue_one(session, delegate, "staff")
    image = Image.open(io.BytesIO(cards.render_png(card)))
    assert image.format == "PNG" and image.width > image.height
    [result] = zxingcpp.read_barcodes(image)
    assert result.text == card.qr_text
    assert credentials.identify(session, result.text).id == delegate.id


def test_every_card_shows_number_version_and_issue_date(db):
    session = make_session(delegates=3)
    issued = cards.issue_all(session, "staff")
    assert [(c.number, c.version) for c in issued] == [("001", 1), ("002", 1), ("003", 1)]
    assert issued[0].issued and issued[0].issued[:2] == "20"
    text = _pdf_text(cards.render_pdf(issued))
    for expected in ("证号 001", "第 1 版", f"{issued[0].issued} 发证"):
        assert expected in text, expected
    again = cards.reissue_one(session, cards.roster.list_delegates(session)[1], "staff", "遗失")
    assert (again.number, again.version) == ("002", 2)


def test_badge_layout_is_one_85_by_54_mm_card_a_page_that_scans(db):
    session = make_session(delegates=3)
    issued = cards.issue_all(session, "staff")
    pdf = cards.render_pdf(issued, "badge")
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 3
    width, height = document[0].get_size()
    assert (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1)) == (85.6, 54.0)
    document.close()
    assert [t for page in _decode_pdf(pdf) for t in page] == [c.qr_text for c in issued]
    with pytest.raises(InvalidInput):
        cards.render_pdf(issued, "a3")


@pytest.mark.parametrize("state", ["checkin", "voting", "closed", "published"])
def test_printing_every_card_is_refused_once_check_in_opened(db, state):
    session = make_session(delegates=2, state=state)
    with pytest.raises(ReprintAllClosed) as caught:
        cards.issue_all(session, "staff")
    assert "逐人补发" in caught.value.render()


def test_a_replacement_needs_a_reason_which_is_audited(db):
    session = make_session(delegates=1, state="checkin")
    delegate = cards.roster.list_delegates(session)[0]
    cards.reissue_one(session, delegate, "staff")  # the first card needs no reason
    with pytest.raises(InvalidInput):
        cards.reissue_one(session, delegate, "staff", "  ")
    cards.reissue_one(session, delegate, "staff", "代表证遗失")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "card.reissue")
                               ).scalar_one()
    assert entry.detail["reason"] == "代表证遗失" and entry.detail["version"] == 2


def test_an_old_card_is_refused_naming_the_current_version_and_where_to_get_it(db):
    session = make_session(delegates=1, state="checkin")
    delegate = cards.roster.list_delegates(session)[0]
    old = cards.reissue_one(session, delegate, "staff").qr_text
    cards.reissue_one(session, delegate, "staff", "遗失")
    kiosk = Kiosk(session_id=session.id, name="签到1", mode="checkin")
    db.session.add(kiosk)
    db.session.flush()
    with pytest.raises(CardReplaced) as caught:
        checkin.scan(session, kiosk, old)
    message = caught.value.render()
    assert "第 1 版" in message and "第 2 版" in message and "签到台" in message
    assert delegate.card_issued_at is not None

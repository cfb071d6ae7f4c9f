"""Printable cards: every QR in the PDF decodes with a real decoder and checks in its delegate."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from ballot.domain.errors import CardReplaced
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


def test_pdf_has_eight_cards_a_page_and_every_qr_checks_in_its_delegate(db):
    session = make_session(delegates=11, state="checkin")
    # Long names and a mixed delegation must not break the layout or the QR codes.
    session_delegates = cards.roster.list_delegates(session)
    session_delegates[0].name = "欧阳娜娜·买买提艾力"
    issued = cards.issue_all(session, "staff")
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

"""The session page offers the Word announcement, and it downloads as a .docx."""

from __future__ import annotations

import io

from tests.factories import published_session


def test_word_announcement_download(client, db, login):
    session = published_session(db)
    login("staff", congress=session.congress)
    page = client.get(f"/admin/sessions/{session.slug}").get_data(as_text=True)
    assert f"/admin/sessions/{session.slug}/export/docx" in page and "Word 公告" in page
    answer = client.get(f"/admin/sessions/{session.slug}/export/docx")
    assert answer.status_code == 200
    assert answer.mimetype.endswith("wordprocessingml.document")
    assert "announcement.docx" in answer.headers["Content-Disposition"]
    from docx import Document

    assert "特此公告。" in [p.text for p in Document(io.BytesIO(answer.data)).paragraphs]

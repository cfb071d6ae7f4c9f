"""Downloads carry a Content-Disposition gunicorn accepts, whatever the file name (issue 17 #7).

gunicorn checks every response header against RFC 9110 before sending it and answers 500 for a
non-ASCII value, after the view (and its commit) has run: a card reissued for seat 6排05座 was
stored and never delivered. The headers are checked here with gunicorn's own code.
"""

from __future__ import annotations

import re
import urllib.parse
from types import SimpleNamespace

import pytest
from gunicorn.http.wsgi import Response as GunicornResponse
from sqlalchemy import select

from ballot.models import AuditEntry, Delegate
from ballot.services import credentials, roster
from ballot.web import admin_checkin
from ballot.web.downloads import content_disposition
from tests.conftest import make_session
from tests.factories import published_session


def gunicorn_sends(headers: list[tuple[str, str]]) -> None:
    """Raise as gunicorn would before sending these response headers."""
    request = SimpleNamespace(method="GET", version=(1, 1), should_close=lambda: False)
    GunicornResponse(request, None, None).process_headers(headers)


def filename_of(disposition: str) -> str:
    """The name a browser saves the file as: filename* (RFC 6266 §4.3) over filename."""
    extended = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    if extended:
        return urllib.parse.unquote(extended.group(1), errors="strict")
    return re.search(r'filename="([^"]*)"', disposition).group(1)


@pytest.mark.parametrize("name", [
    "card-demo-6排05座.png", "cards-demo.pdf", 'a"b\\c;d.png', "名单 (最终).csv", "\u00e9t\u00e9.json",
    "x\r\ny.png", "🗳.zip", "..", "",
])
def test_every_file_name_gives_a_header_gunicorn_sends_and_browsers_read_back(name):
    value = content_disposition(name)
    gunicorn_sends([("Content-Disposition", value)])
    assert value.isascii() and value.startswith("attachment; filename=\"")
    if name and "\r" not in name:
        assert filename_of(value) == name


def test_card_reissue_for_a_chinese_seat_is_sent_and_committed(client, db, login):
    login("staff")
    session = make_session(delegates=2)
    delegate = roster.list_delegates(session)[0]
    delegate.seat = "6排05座"
    old_card = credentials.issue_card(delegate, "staff")
    db.session.commit()
    answer = client.post(f"/admin/sessions/{session.slug}/delegates/{delegate.id}/card.png",
                         data={"confirmed": "1", "reason": "代表证遗失"})
    assert answer.status_code == 200 and answer.data.startswith(b"\x89PNG")
    gunicorn_sends(answer.headers.to_wsgi_list())
    assert filename_of(answer.headers["Content-Disposition"]) == f"card-{session.slug}-6排05座.png"
    db.session.expire_all()
    assert db.session.get(Delegate, delegate.id).card_version == 2
    with pytest.raises(credentials.CardReplaced):
        credentials.identify(session, old_card)


def test_a_reissue_whose_answer_fails_keeps_the_old_card(client, db, login, monkeypatch):
    """The new card version is committed only together with an answer that can be sent."""
    login("staff")
    session = make_session(delegates=2)
    delegate = roster.list_delegates(session)[0]
    old_card = credentials.issue_card(delegate, "staff")
    db.session.commit()

    def broken(*_args, **_kwargs):
        raise RuntimeError("the answer could not be built")

    monkeypatch.setattr(admin_checkin, "attachment", broken)
    answer = client.post(f"/admin/sessions/{session.slug}/delegates/{delegate.id}/card.png",
                         data={"confirmed": "1", "reason": "代表证遗失"})
    assert answer.status_code == 500
    db.session.expire_all()
    assert db.session.get(Delegate, delegate.id).card_version == 1
    assert credentials.identify(session, old_card).id == delegate.id
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert "card.reissue" not in actions
    assert client.post(f"/admin/sessions/{session.slug}/cards.pdf",
                       data={"confirmed": "1"}).status_code == 500
    assert credentials.identify(session, old_card).id == delegate.id


def test_every_download_of_a_published_session_passes_gunicorn(client, db, login):
    session = published_session(db)
    login("staff", congress=session.congress)
    urls = [f"/s/{session.slug}/{name}" for name in ("result.json", "result.sig", "audit-bundle.zip")]
    urls += [f"/admin/sessions/{session.slug}/export/{fmt}" for fmt in ("csv", "xlsx", "pdf", "json",
                                                                         "bundle")]
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        gunicorn_sends(answer.headers.to_wsgi_list())
        assert filename_of(answer.headers["Content-Disposition"]).endswith((".json", ".sig", ".zip", ".csv", ".xlsx", ".pdf"))
    # Every card at once only before check-in: refused here, downloaded for a session in setup.
    answer = client.post(f"/admin/sessions/{session.slug}/cards.pdf", data={"confirmed": "1"})
    assert answer.status_code == 409
    setup = make_session(slug="in-setup", congress=session.congress, delegates=2)
    db.session.commit()
    answer = client.post(f"/admin/sessions/{setup.slug}/cards.pdf", data={"confirmed": "1"})
    assert answer.status_code == 200
    gunicorn_sends(answer.headers.to_wsgi_list())

"""The public results page, its downloads, and the staff's exports."""

from __future__ import annotations

import html
import io
import json
import zipfile

from ballot import crypto
from ballot.services import keys
from tests.factories import counted_session, published_session, ready_session


def test_results_page_before_publication_shows_nothing_of_the_count(client, db):
    session = counted_session(db)
    page = client.get(f"/s/{session.slug}/results")
    assert page.status_code == 200 and "结果尚未公布" in page.text
    assert "民生项目2" not in page.text
    for path in ("result.json", "result.sig", "audit-bundle.zip"):
        assert client.get(f"/s/{session.slug}/{path}").status_code == 404, path


def test_published_results_page_and_downloads(client, db):
    session = published_session(db)
    page = client.get(f"/s/{session.slug}/results")
    assert "本次会议应到代表60名，实到57名，发出选票57张，收回57张，有效票57张，无效票0张。" in page.text
    assert "第 2 轮得票" in page.text and "同票（再次投票）" in page.text
    document = client.get(f"/s/{session.slug}/result.json").data
    signature = client.get(f"/s/{session.slug}/result.sig").data
    assert document == session.result_document
    assert crypto.verify_signature(keys.public_key(session), document, signature)
    assert f"/s/{session.slug}/results" in client.get(f"/s/{session.slug}/").text
    # How to check the bundle, with the fingerprint the verifier now requires.
    spoken = keys.spoken_fingerprint(session)
    assert (f'ballot verify {session.slug}-audit-bundle.zip --fingerprint "{spoken}"'
            in html.unescape(page.text))


def test_staff_exports_need_a_login_and_a_count(app, client, db, login):
    session = ready_session()
    anonymous = app.test_client()
    assert anonymous.get(f"/admin/sessions/{session.slug}/export/csv").status_code == 302
    login("staff")
    assert client.get(f"/admin/sessions/{session.slug}/export/csv").status_code == 409
    assert client.get(f"/admin/sessions/{session.slug}/export/doc").status_code == 404


def test_staff_download_every_format_once_published(client, db, login):
    session = published_session(db)
    login("staff")
    for fmt, magic in (("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK"), ("pdf", b"%PDF"),
                       ("json", b"{"), ("bundle", b"PK")):
        response = client.get(f"/admin/sessions/{session.slug}/export/{fmt}")
        assert response.status_code == 200 and response.data.startswith(magic), fmt
        assert "attachment" in response.headers["Content-Disposition"]
    page = client.get(f"/admin/sessions/{session.slug}")
    assert f"/admin/sessions/{session.slug}/export/bundle" in page.text


def test_bundle_download_is_built_once_until_the_audit_log_grows(client, db, login, monkeypatch):
    from ballot.services import audit, export

    session = published_session(db)
    builds = []
    original = export.to_bundle
    monkeypatch.setattr(export, "to_bundle", lambda s: builds.append(s.id) or original(s))
    first = client.get(f"/s/{session.slug}/audit-bundle.zip").data
    again = client.get(f"/s/{session.slug}/audit-bundle.zip").data
    login("staff")
    staff = client.get(f"/admin/sessions/{session.slug}/export/bundle").data
    assert first == again == staff and first.startswith(b"PK")
    assert builds == [session.id]
    audit.record("staff", "result.note", session, note="公告已张贴")
    db.session.commit()
    after = client.get(f"/s/{session.slug}/audit-bundle.zip").data
    assert builds == [session.id, session.id]
    assert after != first
    assert "result.note" in _audit_actions(after) and "result.note" not in _audit_actions(first)


def _audit_actions(bundle_zip: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(bundle_zip)) as zf:
        lines = zf.read("audit_log.jsonl").decode("utf-8").splitlines()
    return [json.loads(line)["action"] for line in lines if line.strip()]

"""A whole session through /api/v1 (and the kiosks' own calls): set-up, check-in, a tie, a
tie-break, the chief scrutineer's confirmation, publication and a verified audit bundle."""

from __future__ import annotations

import base64
import io
import re

import pypdfium2
from sqlalchemy import select

from ballot import crypto
from ballot.models import AuditEntry, Delegate
from ballot.services import credentials, sessions
from ballot.verify import verify_bundle
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import make_user


def _key_card_texts(pdf: bytes) -> list[str]:
    """The share texts printed on the key cards (the line a scrutineer types if a scan fails)."""
    document = pypdfium2.PdfDocument(pdf)
    texts = []
    for page in document:
        text = page.get_textpage().get_text_range()
        start = text.index("BOX1-")
        texts.append(re.sub(r"\s+", "", text[start:].split("本卡")[0]))
    document.close()
    return texts

# Twelve delegates, three projects for two slots; round 1 ties all three at 8 赞成 each.
ROUND_1 = [{"01": "for", "02": "for", "03": "against"}] * 4 \
    + [{"01": "for", "02": "against", "03": "for"}] * 4 \
    + [{"01": "against", "02": "for", "03": "for"}] * 4


def _client(app, username: str, role: str, name: str = ""):
    make_user(username, role).display_name = name
    from ballot.extensions import db

    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "correct-horse"}
                       ).status_code == 302
    return client


def _ok(answer, status: int = 200) -> dict:
    assert answer.status_code == status, answer.get_data(as_text=True)
    return answer.get_json()


def _vote(app, ref: str, credential: str, cards: list[str], ballots: list[dict]) -> None:
    kiosk = app.test_client()
    kiosk.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
    for card, choices in zip(cards, ballots, strict=True):
        issued = _ok(kiosk.post("/kiosk/api/vote/issue", json={"card": card}))
        receipt = _ok(kiosk.post("/kiosk/api/vote/cast",
                                 json={"token": issued["token"], "choices": choices}))
        assert len(receipt["tracking_code"]) == 14


def test_a_whole_session_through_the_api(app, db):
    staff = _client(app, "staff", "staff")
    chair = _client(app, "chair", "chair")
    scrutineer = _client(app, "scrut", "scrutineer", "陈立")  # the session's chief scrutineer
    other_scrutineer = _client(app, "zhao", "scrutineer", "赵敏")
    ref = "api-day"
    _ok(staff.post("/api/v1/sessions", json={
        "title": "示范镇人民代表大会", "slug": ref, "date": "2027-01-15", "quota": 2,
        "chief_scrutineer": "陈立", "scrutineers": "赵敏、孙伟"}), 201)
    for title in ("新建幼儿园", "道路改造", "养老服务中心"):
        _ok(staff.post(f"/api/v1/sessions/{ref}/candidates", json={"title": title}), 201)
    for seat in range(1, 14):
        _ok(staff.post(f"/api/v1/sessions/{ref}/delegates",
                       json={"name": f"代表{seat}", "seat": f"{seat:03d}"}), 201)
    locked = _ok(staff.post(f"/api/v1/sessions/{ref}/transition", json={"target": "locked"}))
    fingerprint = locked["key_fingerprint"]
    pairing = _ok(staff.post(f"/api/v1/sessions/{ref}/kiosks",
                             json={"name": "投票机 1 号", "mode": "voting"}), 201)
    kiosk = app.test_client()
    enrolled = kiosk.post(pairing["enrol_url"], data={"code": pairing["pairing_code"]})
    assert enrolled.status_code == 302
    credential = kiosk.get_cookie(KIOSK_COOKIE, path="/kiosk").value
    on_leave = _ok(staff.post(f"/api/v1/sessions/{ref}/leave",
                              json={"seat": "013", "reason": "出差"}))
    assert on_leave["delegate"]["attendance"] == "leave"
    _ok(staff.post(f"/api/v1/sessions/{ref}/transition", json={"target": "checkin"}))
    # No quorum yet: the chair's open is refused with the reason.
    refused = chair.post(f"/api/v1/sessions/{ref}/open")
    assert refused.status_code == 409 and refused.get_json()["problems"]
    assert staff.post(f"/api/v1/sessions/{ref}/open").status_code == 403
    for seat in range(1, 13):
        body = {"seat": f"{seat:03d}", "reason": "忘带代表证"} if seat > 1 \
            else {"name": "代表1", "reason": "忘带代表证"}
        checked = _ok(staff.post(f"/api/v1/sessions/{ref}/checkin", json=body))
        assert checked["already"] is False
    # The box is sealed once the scrutineers are named (the key cards come back as a PDF).
    refused = chair.post(f"/api/v1/sessions/{ref}/open")
    assert "box_not_sealed" in [p["code"] for p in refused.get_json()["problems"]]
    assert staff.post(f"/api/v1/sessions/{ref}/seal", json={"reprint": "yes"}).status_code == 400
    sealed = chair.post(f"/api/v1/sessions/{ref}/seal")
    assert sealed.status_code == 200 and sealed.mimetype == "application/pdf"
    assert sealed.headers["Cache-Control"] == "no-store"
    key_cards = _key_card_texts(sealed.data)  # what each scrutineer reads off their card
    assert len(key_cards) == 3
    opened = _ok(chair.post(f"/api/v1/sessions/{ref}/open"), 201)
    assert (opened["number"], opened["quota"], opened["present"]) == (1, 2, 12)

    # The delegates' printed cards (the PDF's QR texts), then the kiosk's own calls.
    session = sessions.get_session(ref)
    present = db.session.execute(select(Delegate).where(
        Delegate.session_id == session.id, Delegate.attendance == "present")
        .order_by(Delegate.roster_order)).scalars().all()
    cards = credentials.issue_cards(session, present, "staff")
    db.session.commit()
    _vote(app, ref, credential, cards, ROUND_1)

    closed = _ok(chair.post(f"/api/v1/sessions/{ref}/close"))
    assert closed["opening"] == {"round": 1, "presented": [], "count": 0, "threshold": 2,
                                 "opened": False}
    assert closed["merkle_root"]
    # 开箱: the chair cannot; a scrutineer presents a card, a second one opens the totals.
    assert chair.post(f"/api/v1/sessions/{ref}/open-box",
                      json={"card": key_cards[0]}).status_code == 403
    assert other_scrutineer.post(f"/api/v1/sessions/{ref}/open-box/drill").status_code == 409
    bad = scrutineer.post(f"/api/v1/sessions/{ref}/open-box", json={"card": "BOX1-not-a-card"})
    assert bad.status_code == 400 and "密钥卡" in bad.get_json()["message"]
    half = _ok(scrutineer.post(f"/api/v1/sessions/{ref}/open-box", json={"card": key_cards[0]}))
    assert half["opening"]["count"] == 1 and half["result"] is None
    done = _ok(other_scrutineer.post(f"/api/v1/sessions/{ref}/open-box",
                                     json={"card": key_cards[1]}))
    assert done["opening"]["opened"] is True
    assert done["result"]["tie"] == {"candidates": ["01", "02", "03"], "slots": 2}
    report = _ok(scrutineer.get(f"/api/v1/sessions/{ref}/rounds"))
    assert report["final"]["pending_tie"] == {"candidates": ["01", "02", "03"], "slots": 2}
    assert report["ready"] is True  # counted; the tie still blocks the confirmation
    early = scrutineer.post(f"/api/v1/sessions/{ref}/confirm")
    assert early.status_code == 409

    second = _ok(chair.post(f"/api/v1/sessions/{ref}/tie-break"), 201)
    assert (second["number"], second["quota"]) == (2, 2)
    _vote(app, ref, credential, cards, [{"01": "for", "02": "for", "03": "against"}] * 12)
    _ok(chair.post(f"/api/v1/sessions/{ref}/close"))
    # The same box opens the tie-break round: any t of the cards.
    _ok(other_scrutineer.post(f"/api/v1/sessions/{ref}/open-box", json={"card": key_cards[2]}))
    done = _ok(scrutineer.post(f"/api/v1/sessions/{ref}/open-box", json={"card": key_cards[0]}))
    assert done["result"]["chosen"] == ["01", "02"] and done["result"]["tie"] is None

    assert chair.post(f"/api/v1/sessions/{ref}/publish").status_code == 409  # no confirmation
    refused = other_scrutineer.post(f"/api/v1/sessions/{ref}/confirm")
    assert refused.status_code == 403 and "陈立" in refused.get_json()["message"]
    confirmed = _ok(scrutineer.post(f"/api/v1/sessions/{ref}/confirm"))
    assert confirmed["confirmed_by"] == "陈立"
    published = _ok(chair.post(f"/api/v1/sessions/{ref}/publish"))
    assert published["session"]["state"] == "published"
    assert published["result"]["chosen"] == ["01", "02"]
    document = crypto.canonical_json(published["result"])
    key = crypto.load_public_key_pem(sessions.get_session(ref).public_key)
    assert crypto.verify_signature(key, document, base64.b64decode(published["signature"]))

    bundle = app.test_client().get(published["bundle_url"])
    assert bundle.status_code == 200
    report = verify_bundle(io.BytesIO(bundle.data), fingerprint)
    assert report.ok, report
    db.session.expire_all()
    actors = set(db.session.execute(select(AuditEntry.action, AuditEntry.actor).where(
        AuditEntry.session_id == session.id, AuditEntry.action.in_(
            ["box.partial", "round.count", "round.tie_break", "result.scrutineer_confirmed",
             "result.published", "checkin.staff"]))).all())
    # Each round is counted by the scrutineer whose card completed its opening.
    assert actors == {("box.partial", "scrut"), ("box.partial", "zhao"),
                      ("round.count", "zhao"), ("round.count", "scrut"),
                      ("round.tie_break", "chair"), ("result.scrutineer_confirmed", "scrut"),
                      ("result.published", "chair"), ("checkin.staff", "staff")}

"""Builders the tests share: sessions at each step of session day, kiosks, cards, ballots.

Each drives the real services (lock → check-in → voting → close → opening) and commits, as
the services start their own write transactions. Test modules import from here, never from
one another.
"""

from __future__ import annotations

import io
import json
import random
import re
import secrets
import zipfile
from xml.sax.saxutils import escape

from flask import current_app
from PIL import Image
from sqlalchemy import select

from ballot import crypto, inputs
from ballot.domain import rating, tally
from ballot.extensions import db as _db
from ballot.models import BallotIssue, BoardEntry, Candidate, Delegate, Kiosk, VoteSession, utcnow
from ballot.services import (
    accounts,
    box,
    candidates,
    credentials,
    keys,
    rating_sessions,
    results,
    rounds,
    sessions,
    voting,
)
from tests.conftest import decrypt_ballot, make_session, make_user, open_box, seal_box
from tests.crypto.bundle_builder import ballots_with

# --- sessions, kiosks and ballots as a kiosk casts them -----------------------------------------


SECRET = "test-key-secret"


def add_kiosk(session, name: str = "投票机1", mode: str = "voting") -> Kiosk:
    """An enrolled kiosk of ``session``."""
    kiosk = Kiosk(session_id=session.id, name=name, mode=mode, enrolled_at=utcnow())
    _db.session.add(kiosk)
    _db.session.flush()
    return kiosk


def voting_session(delegates: int = 20, present: int | None = None, open_round: bool = True,
                   **overrides):
    """A locked session in check-in with ``present`` delegates present, one voting kiosk, and
    (unless ``open_round`` is False) round 1 open. Committed, as the services start their own
    write transactions."""
    session = make_session(delegates=delegates, **overrides)
    candidates.lock_list(session, "tester", SECRET)
    sessions.transition(session, "checkin", "tester")
    roster = sorted(session_delegates(session), key=lambda d: d.roster_order)
    for delegate in roster[: delegates if present is None else present]:
        delegate.attendance = "present"
    kiosk = add_kiosk(session)
    _db.session.commit()
    seal_box(session)
    if open_round:
        rounds.open_voting(session, "chair")
        _db.session.commit()
    return session, kiosk


def session_delegates(session):
    from ballot.models import Delegate

    return list(_db.session.execute(
        select(Delegate).where(Delegate.session_id == session.id).order_by(Delegate.roster_order)
    ).scalars())


def card(session, delegate) -> str:
    """Issue ``delegate`` a card and return its QR text (committed)."""
    text = credentials.issue_card(delegate, "tester")
    _db.session.commit()
    return text


def issue(session, kiosk, delegate):
    """Issue a ballot and commit; returns (token, ballot view)."""
    result = voting.issue_ballot(session, kiosk, card(session, delegate))
    _db.session.commit()
    return result


def cast(session, kiosk, token, choices):
    """Cast and commit; returns the receipt."""
    receipt = voting.cast_ballot(session, kiosk, token, choices)
    _db.session.commit()
    return receipt


def ten_for(codes=None) -> dict[str, str]:
    codes = codes or [f"{i:02d}" for i in range(1, 13)]
    return {code: ("for" if i < 10 else "against") for i, code in enumerate(codes)}


# --- the check-in desk's page (/admin/sessions/<slug>/checkin) during voting ----------------


def desk_row(page: str, delegate_id: int) -> str:
    """A delegate's row of the desk page, its tag included (data-ballot; data-issued="1" marks
    a ballot the panel may release)."""
    found = re.search(rf'(<tr id="d{delegate_id}"[^>]*>.*?</tr>)', page, re.S)
    assert found, delegate_id
    return found.group(1)


def desk_offers(client, session, delegate, action: str) -> bool:
    """The desk's action panel, with ``delegate`` picked, shows the button of ``action``
    (release, paper …)."""
    page = client.get(f"/admin/sessions/{session.slug}/checkin",
                      query_string={"selected": delegate.id}).get_data(as_text=True)
    button = re.search(rf'<button[^>]*data-action="{action}"[^>]*>', page)
    return button is not None and " hidden" not in button.group(0)


# --- counted sessions: ballots put on the board directly, the box opened --------------------


FORS_12 = [50, 48, 47, 45, 44, 42, 40, 38, 35, 35, 35, 20]  # three tie at the cutoff


def ready_session(present: int = 57, **overrides) -> VoteSession:
    """A locked session in check-in with ``present`` delegates checked in (committed)."""
    session = make_session(chief_scrutineer="陈立", scrutineers="赵敏、孙伟",
                           counters="周静、吴磊", **overrides)
    candidates.lock_list(session, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    sessions.transition(session, "checkin", "staff")
    delegates = _db.session.query(Delegate).filter_by(session_id=session.id) \
        .order_by(Delegate.roster_order).all()
    for delegate in delegates[:present]:
        delegate.attendance = "present"
    _db.session.commit()
    seal_box(session)
    return session


def put_on_board(session: VoteSession, ballots: list[dict[str, str]], issued: int | None = None) -> None:
    """Put ``ballots`` on the open round's board, issuing ``issued`` (default: one each)."""
    round_ = rounds.open_round(session)
    key = keys.private_key(session, current_app.config["KEY_ENCRYPTION_SECRET"])
    present = _db.session.query(Delegate).filter_by(session_id=session.id, attendance="present") \
        .order_by(Delegate.roster_order).all()
    for delegate in present[: len(ballots) if issued is None else issued]:
        _db.session.add(BallotIssue(session_id=session.id, round_number=round_.number,
                                    delegate_id=delegate.id, token_hash=secrets.token_hex(32)))
    for choices in ballots:
        ballot_id = secrets.token_hex(16)
        encrypted = box.encrypt_ballot(session, round_, ballot_id, choices)
        entry = crypto.make_entry(key, ballot_id, round_.number, encrypted)
        _db.session.add(BoardEntry(ballot_id=entry["payload"]["ballot_id"], session_id=session.id,
                                   round_number=round_.number,
                                   payload=crypto.canonical_json(entry["payload"]).decode(),
                                   entry_hash=entry["hash"], signature=entry["signature"]))
    _db.session.commit()


def vote(session: VoteSession, ballots: list[dict[str, str]], issued: int | None = None,
         ) -> tally.RoundResult:
    """Open voting if needed, cast ``ballots``, close the round and open the box with t key
    cards, which counts it (all committed)."""
    if session.state == "checkin":
        rounds.open_voting(session, "chair")
        _db.session.commit()
    put_on_board(session, ballots, issued)
    rounds.close_round(session, "chair")
    _db.session.commit()
    return open_box(session)


def codes(n: int) -> list[str]:
    """Ballot codes "01".."n"."""
    return [f"{i:02d}" for i in range(1, n + 1)]


def tied_round1(seed: int = 1) -> list[dict[str, str]]:
    """57 ballots (one of them all 弃权) where 09, 10, 11 tie at 35 across the cutoff of 10."""
    rng = random.Random(seed)
    ballots = ballots_with(rng, codes(12), dict(zip(codes(12), FORS_12, strict=True)), 56, 10)
    ballots.append({code: "abstain" for code in codes(12)})
    return ballots


def chief(name: str = "陈立", username: str = "scrut"):
    """The scrutineer account of the session's registered chief scrutineer (总监票人)."""
    user = make_user(username, "scrutineer")
    user.display_name = name
    return user


def confirm_both(session: VoteSession) -> None:
    """The chief scrutineer and the chair confirm (their own accounts)."""
    results.confirm_as_scrutineer(session, chief())
    results.confirm_as_chair(session, make_user("chairman", "chair"))
    _db.session.commit()


def recount_from_board(session: VoteSession) -> dict[int, dict[str, dict[str, int]]]:
    """An independent count of the board: every single ballot decrypted with the box secret
    rebuilt from t key cards (what the service never does), per round, code and answer."""
    counted: dict[int, dict[str, dict[str, int]]] = {}
    candidates_of = {r.number: r.candidates for r in rounds.list_rounds(session)}
    for entry in _db.session.query(BoardEntry).filter_by(session_id=session.id):
        payload = json.loads(entry.payload)
        assert "choices" not in payload
        number = payload["round"]
        per_round = counted.setdefault(number, {c: {"for": 0, "against": 0, "abstain": 0}
                                                for c in candidates_of[number]})
        for code, answer in decrypt_ballot(session, payload).items():
            per_round[code][answer] += 1
    return counted


# --- published sessions, exports and tracking -------------------------------------------------


def published_session(db):
    """A session decided over two rounds (tie-break), confirmed and published."""
    session = ready_session()
    vote(session, tied_round1())
    rounds.start_tie_break(session, "chair")
    db.session.commit()
    vote(session, ballots_with(random.Random(5), ["09", "10", "11"],
                               {"09": 40, "10": 30, "11": 38}, 56, 2))
    confirm_both(session)
    results.publish(session, "chair")
    db.session.commit()
    return session


def counted_session(db):
    """A closed, counted, unpublished session whose first title looks like a formula."""
    session = ready_session()
    first = db.session.query(Candidate).filter_by(session_id=session.id, position=1).one()
    first.title = "=HYPERLINK(\"http://x\")学校"
    db.session.commit()
    fors = [50, 48, 47, 45, 44, 42, 40, 38, 36, 33, 31, 20]
    vote(session, ballots_with(random.Random(3), codes(12),
                               dict(zip(codes(12), fors, strict=True)), 57, 10))
    return session


def rewritten_bundle(bundle_bytes: bytes, name: str, change) -> io.BytesIO:
    """The bundle with its file ``name`` passed through ``change`` (a tamperer's copy)."""
    source = zipfile.ZipFile(io.BytesIO(bundle_bytes))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if info.filename == name else data)
    return io.BytesIO(buffer.getvalue())


TOP_TEN = [{code: "for" for code in codes(10)}] * 57


def published(**overrides):
    """A session whose first ten projects were chosen and published (committed)."""
    session = ready_session(**overrides)
    vote(session, TOP_TEN)
    confirm_both(session)
    results.publish(session, "chairman")
    _db.session.commit()
    return session


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, fmt)
    return buffer.getvalue()


# --- hand-crafted workbooks (an attacker's) -------------------------------------------------


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        '<sheets><sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>'),
}


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row(number: int, *texts: str) -> str:
    cells = "".join(cell(f"{chr(ord('A') + i)}{number}", text) for i, text in enumerate(texts))
    return f'<row r="{number}">{cells}</row>'


def crafted_xlsx(body: str, header: tuple[str, ...] = ("姓名", "座位号"),
                 dimension: str = "A1:XFD1048576") -> bytes:
    """A minimal workbook: ``header`` in row 1, then the ``<row>`` XML of ``body``."""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
             f'<dimension ref="{dimension}"/><sheetData>{row(1, *header)}{body}</sheetData></worksheet>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in {**PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# --- 测评 sessions and live streams --------------------------------------------------------------


# A 测评 ballot's marks: 满意, 基本满意, 不满意.
SAT, BAS, DIS = (rating.MARK_OF_GRADE[g] for g in
                 (rating.SATISFIED, rating.BASICALLY_SATISFIED, rating.DISSATISFIED))


def rating_session(source, present: int = 40, **values):
    """A 测评 session on ``source``'s chosen projects, in check-in with ``present`` delegates."""
    plan = inputs.rating_plan({"date": "2027-12-20", "slug": "rate-2027", **values})
    session = rating_sessions.create_from(source, plan, "staff")
    for order in range(1, 51):
        _db.session.add(Delegate(session_id=session.id, roster_order=order, name=f"代表{order}",
                                 delegation="第一代表组", seat=f"{order:03d}",
                                 attendance="present" if order <= present else "absent"))
    _db.session.flush()
    candidates.lock_list(session, "staff", current_app.config["KEY_ENCRYPTION_SECRET"])
    sessions.transition(session, "checkin", "staff")
    _db.session.commit()
    seal_box(session)
    return session


def confirm_again(session) -> None:
    """Both confirm with the accounts confirm_both made for an earlier session."""
    results.confirm_as_scrutineer(session, accounts.find_user("scrut"))
    results.confirm_as_chair(session, accounts.find_user("chairman"))
    _db.session.commit()


def published_rating(source):
    """A published 测评 of ``source``'s projects 01–03 by 40 ballots: 满意, 基本满意, 不满意."""
    session = rating_session(source, codes="1,2,3")
    vote(session, rating_ballots({"01": (30, 6, 4), "02": (15, 10, 15), "03": (5, 10, 25)}, 40))
    confirm_again(session)
    results.publish(session, "chairman")
    _db.session.commit()
    return session


def rating_ballots(plan: dict[str, tuple[int, int, int]], count: int) -> list[dict[str, str]]:
    """``count`` ballots giving each code (满意, 基本满意, 不满意) marks in that order."""
    out: list[dict[str, str]] = [{} for _ in range(count)]
    for code, (sat, bas, dis) in plan.items():
        marks = [SAT] * sat + [BAS] * bas + [DIS] * dis
        for ballot, mark in zip(out, marks, strict=True):
            ballot[code] = mark
    return out


def read_events(response, count: int, limit: float = 10.0) -> list[dict]:
    """The figures of the first ``count`` data events (unnamed: not the stream's closing
    ``reconnect``) of a server-sent event response (bounded in time)."""
    import json
    import time

    found, deadline = [], time.monotonic() + limit
    for chunk in response.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if not text.startswith("event: "):
            found += [json.loads(line[6:]) for line in text.splitlines()
                      if line.startswith("data: ")]
        if len(found) >= count or time.monotonic() > deadline:
            break
    return found


# --- paper figures on result surfaces ----------------------------------------------------------

PAPER_KEYS = ("issued_by_kind", "returned_by_kind", "invalid_by_reason")
PAPER_SPEC = tally.RoundSpec(number=1, candidates=("01", "02"), quota=1, contested=True,
                             roster_size=60, present=57, issued=57, issued_paper=7)
# A round counted by the domain with 7 paper ballots, one over quota and one unreadable.
PAPER_ROUND = tally.tally_totals(PAPER_SPEC, {"01": (40, 10), "02": (20, 30)}, 57, 2,
                                 returned_by_kind={"kiosk": 50, "paper": 7},
                                 invalid_by_reason={"over_quota": 1, "unreadable": 1}).to_dict()


def with_paper(session: VoteSession, **changes) -> None:
    """Make round 1's stored result one where 7 of its ballots were paper, two of them invalid
    (one over quota, one unreadable), with ``changes`` on top (committed)."""
    from sqlalchemy.orm.attributes import flag_modified

    round_ = rounds.get_round(session, 1)
    round_.result = {**round_.result, "valid": round_.result["returned"] - 2, "invalid": 2,
                     **{k: PAPER_ROUND[k] for k in PAPER_KEYS}, **changes}
    flag_modified(round_, "result")
    _db.session.commit()


def pdf_text(data: bytes) -> str:
    """A PDF's text, every page, without line breaks."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    return "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))) \
        .replace("\r\n", "").replace("\n", "")


# --- paper ballots in the count (issue 22) ------------------------------------------------

ELEVEN_FOR = {f"{i:02d}": "for" for i in range(1, 12)}  # 11 赞成 for 10 slots: over_quota


def mixed_round(kiosk_voters: int = 4, paper_voters: int = 4):
    """Round 1 closed: ``kiosk_voters`` ballots of ten 赞成 cast at a kiosk, ``paper_voters``
    paper ballots handed out; two counters and a scrutineer."""
    session, kiosk = voting_session()
    delegates = session_delegates(session)
    for delegate in delegates[:kiosk_voters]:
        token, _ = issue(session, kiosk, delegate)
        cast(session, kiosk, token, ten_for())
    for delegate in delegates[kiosk_voters:kiosk_voters + paper_voters]:
        voting.issue_paper(session, delegate, "staff", "代表要求")
    _db.session.commit()
    rounds.close_round(session, "chair")
    _db.session.commit()
    people = (make_user("jp1", "counter"), make_user("jp2", "counter"),
              make_user("jianpiao", "scrutineer"))
    _db.session.commit()
    return (session, *people)

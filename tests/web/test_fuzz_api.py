"""Fuzz every operation of docs/openapi.yaml in-process: no 5xx, every 4xx a JSON error in Chinese.

Requests are generated with Hypothesis from the document itself: path parameters, query strings
and bodies follow the documented schemas, mixed with the values that reach deep code (real card
texts, ballot tokens captured from earlier answers, tracking codes, ballot codes, session
references) and with junk (any JSON, wrong types, huge and odd Unicode strings, nulls, raw bytes
under a wrong content type, forms). Callers: a logged-in staff user for /api/v1 and the chair's
figures, enrolled kiosks of both modes (and none, and a revoked one) for /kiosk/api, anonymous
for the public documents. The sessions are in useful states: draft, check-in, voting (round
open) and published. Every answer must be documented for its operation, below 500, and, when
it is 2xx, match the documented schema.

Malformed uploads through the HTTP import endpoints (API and admin pages) are checked after the
fuzz: binary junk, a file over the size cap, wrong encodings and formula cells are refused with
a clear message and change nothing.
"""

from __future__ import annotations

import base64
import io
import itertools
import re
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from ballot.extensions import db as _db
from ballot.models import Candidate, Delegate, Kiosk, utcnow
from ballot.services import credentials, kiosks, sessions
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import make_session, make_user
from tests.factories import crafted_xlsx, published_session, session_delegates, voting_session

pytestmark = pytest.mark.slow

SPEC = yaml.safe_load((Path(__file__).parents[2] / "docs" / "openapi.yaml").read_text())
EXAMPLES = 90             # generated requests per operation, bounded
LATEST_TOKEN, LATEST_CARD = "<<latest token>>", "<<latest card>>"  # filled in when sent
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- the world the requests land in -----------------------------------------------------------


class World:
    """Sessions in useful states, callers of each kind, and pools of values that reach deep code."""

    def __init__(self, app) -> None:
        self.app = app
        self.sent = 0
        self.statuses: Counter = Counter()
        self.succeeded: Counter = Counter()  # 2xx answers per operation
        published = published_session(_db)
        draft = make_session(slug="fuzz-draft", delegates=12)
        checkin, _ = voting_session(delegates=20, present=10, open_round=False, slug="fuzz-checkin")
        voting, _ = voting_session(delegates=60, slug="fuzz-voting")
        for delegate in session_delegates(checkin) + session_delegates(voting):
            if delegate.attendance == "present":
                delegate.checked_in_at = utcnow()  # as the check-in kiosk records it
        self.sessions = [draft, checkin, voting, published]
        self.refs = [s.slug for s in self.sessions] + [str(s.id) for s in self.sessions]
        self.cards = credentials.issue_cards(checkin, session_delegates(checkin), "tester")
        voting_cards = credentials.issue_cards(voting, session_delegates(voting), "tester")
        self.cards += voting_cards
        self.next_voter = itertools.cycle(voting_cards)
        self.latest = {LATEST_TOKEN: "", LATEST_CARD: voting_cards[0]}
        replaced = session_delegates(voting)[0]
        credentials.issue_card(replaced, "tester")  # the first card of this delegate is now old
        self.delegate_ids = [d.id for d in session_delegates(draft) + session_delegates(checkin)]
        self.kiosk_cookies: list[str | None] = [None, "not-a-credential"]
        self.kiosk_for = {}  # the kiosk each kind of call is meant for, by URL prefix
        for session, mode in ((checkin, "checkin"), (voting, "voting"), (voting, "checkin"),
                              (draft, "voting")):
            _, code = kiosks.create_pairing(session, f"{mode}机", mode, "staff")
            self.kiosk_cookies.append(kiosks.enrol(code)[1])
            self.kiosk_for.setdefault(f"/kiosk/api/{'vote' if mode == 'voting' else mode}/",
                                      self.kiosk_cookies[-1])
        revoked, code = kiosks.create_pairing(voting, "停用机", "voting", "staff")
        self.kiosk_cookies.append(kiosks.enrol(code)[1])
        kiosks.revoke(voting, revoked, "staff")
        _db.session.commit()
        board = self.json_of("GET", f"/s/{published.slug}/board.json")
        self.codes = ["3FA2-91BC-07D4"] + [
            e["hash"][:12].upper() for r in board["rounds"] for e in r["entries"][:5]]
        self.tokens = [base64.urlsafe_b64encode(b"\0" * 32).decode()]
        self.ballot_codes = [f"{i:02d}" for i in range(1, 14)]
        self.staff = self.login("staff")
        self.chair = self.login("chair")

    def login(self, role: str):
        client = self.app.test_client()
        make_user(f"fuzz-{role}", role)
        _db.session.commit()
        answer = client.post("/login", data={"username": f"fuzz-{role}", "password": "correct-horse"})
        assert answer.status_code == 302
        return client

    def json_of(self, method: str, url: str) -> dict:
        answer = self.app.test_client().open(url, method=method)
        assert answer.status_code == 200, answer.data
        return answer.json

    def client_for(self, path: str, kiosk_cookie: str | None, caller: str):
        """The caller the operation is meant for (and sometimes another one)."""
        if path.startswith("/kiosk/"):
            client = self.app.test_client()
            if kiosk_cookie is not None:
                client.set_cookie(KIOSK_COOKIE, kiosk_cookie, path="/kiosk")
            return client
        return {"staff": self.staff, "chair": self.chair, "anonymous": self.app.test_client()}[caller]

    def learn(self, body) -> None:
        """Keep tokens and tracking codes from answers, so later requests can use them."""
        if isinstance(body, dict):
            if isinstance(body.get("token"), str):
                self.tokens.append(body["token"])
                self.latest[LATEST_TOKEN] = body["token"]
            if isinstance(body.get("tracking_code"), str):
                self.codes.append(body["tracking_code"])

    def fresh_ballot(self, send) -> None:
        """Have the voting kiosk issue a ballot to the next delegate, as a cast or return needs."""
        self.unblock_kiosks()
        for _ in range(3):
            card = next(self.next_voter)
            body = send("POST", "/kiosk/api/vote/issue", {"json": {"card": card}},
                        self.kiosk_for["/kiosk/api/vote/"], "kiosk")
            if "token" in body:
                self.latest[LATEST_CARD] = card
                return

    def fill(self, value):
        """The request body with the latest token and card put in."""
        if isinstance(value, dict):
            return {key: self.fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fill(item) for item in value]
        return self.latest.get(value, value) if isinstance(value, str) else value

    def unblock_kiosks(self) -> None:
        """Clear failed-scan counts, so junk scans do not lock the real cards out for a minute."""
        _db.session.execute(update(Kiosk).values(failed_scans=0, failed_scans_since=None))
        _db.session.commit()


# --- strategies from the document -------------------------------------------------------------


def resolve(schema: dict) -> dict:
    while "$ref" in schema:
        kind, name = schema["$ref"].split("/")[-2:]
        schema = SPEC["components"][kind][name]
    return schema


JUNK_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\0", "null", "PJ1....", "PJ1.fuzz-voting.²³.1.ABC", "🗳" * 300,
                     "x" * 5000, "'; DROP TABLE delegates; --", "=cmd|' /C calc'!A0",
                     "PJ1.fuzz-voting.99999999999999999999999.1.AAAA", "%s%(name)s{0}"]),
)


def _nested(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=4) | st.dictionaries(JUNK_TEXT, inner, max_size=4)


JSON_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | JUNK_TEXT,
    _nested, max_leaves=8,
)


def recent(values: list) -> st.SearchStrategy:
    """One of ``values`` (a list that grows as answers come), the newest most often."""
    return st.builds(lambda i: values[-1 - i % len(values)], st.integers(0, 10**6))


def hinted(name: str, world: World) -> st.SearchStrategy | None:
    """Real values for fields whose name says what they hold."""
    if name in ("card", "text"):
        return st.sampled_from(world.cards) | st.just(LATEST_CARD)
    if name == "token":
        return st.just(LATEST_TOKEN) | recent(world.tokens)
    if name == "choices":
        return st.dictionaries(st.sampled_from(world.ballot_codes[:12]),
                               st.sampled_from(["for", "against", "abstain"]), max_size=9)
    if name == "code":
        return recent(world.codes)
    return None


def from_schema(schema: dict, world: World, name: str = "") -> st.SearchStrategy:
    """Values that follow ``schema`` (often) or break it (sometimes)."""
    schema = resolve(schema)
    real = hinted(name, world)
    if "enum" in schema:
        typed = st.sampled_from(schema["enum"])
    elif schema.get("type") == "object" or "properties" in schema:
        if "additionalProperties" in schema:
            typed = st.dictionaries(st.sampled_from(world.ballot_codes) | JUNK_TEXT,
                                    from_schema(schema["additionalProperties"], world), max_size=14)
        else:
            properties = schema.get("properties", {})
            required = schema.get("required", [])
            typed = st.fixed_dictionaries(
                {key: from_schema(properties[key], world, key) for key in required},
                optional={key: from_schema(sub, world, key)
                          for key, sub in properties.items() if key not in required})
    elif schema.get("type") == "array":
        typed = st.lists(from_schema(schema.get("items", {}), world), max_size=4)
    elif schema.get("type") == "integer":
        typed = st.integers(-2, 600) | st.integers()
    elif schema.get("type") == "boolean":
        typed = st.booleans()
    elif schema.get("type") == "string" and schema.get("format") == "date":
        typed = st.dates().map(str) | JUNK_TEXT
    elif schema.get("type") == "string":
        typed = st.text(max_size=schema.get("maxLength", 60) + 5) | JUNK_TEXT
    else:
        typed = JSON_JUNK
    choices = [typed, typed, JSON_JUNK] + ([real, real, real] if real is not None else [])
    return st.one_of(choices)


# Past the id columns: SQLite's driver overflows at 2**63, PostgreSQL's INTEGER at 2**31.
OUT_OF_RANGE = [2**31, 2**63, 2**64]
# Nested deeper than Python's JSON parser recurses (RecursionError, not ValueError).
DEEP_JSON = [("[" * 5000 + "]" * 5000).encode(), ('{"a":' * 5000 + "1" + "}" * 5000).encode()]

UPLOADS = [
    ("projects.csv", "项目名称,项目简介\n新建幼儿园,两层\n".encode()),
    ("roster.csv", "姓名,座位号\n张三,1\n".encode()),
    ("junk.csv", bytes(range(256)) * 8),
    ("bad.xlsx", b"PK\x03\x04broken"),
    ("f.csv", "姓名,座位号\n=cmd|' /C calc'!A0,1\n".encode()),
    ("u16.csv", "姓名,座位号\n张三,1\n".encode("utf-16")),
    ("x.pdf", b"%PDF-1.4"),
    ("", b""),
]


# Bodies a staff member would send, so the fuzz also gets past validation to the writes.
VALID = {
    "/api/v1/sessions": st.fixed_dictionaries({
        "title": st.sampled_from(["示范镇人民代表大会", "县人大会议"]), "date": st.just("2027-01-15"),
        "quota": st.integers(1, 20), "mode": st.sampled_from(["contested", "uncontested"])}),
    "/api/v1/sessions/{ref}/transition": st.fixed_dictionaries(
        {"target": st.sampled_from(["locked", "draft", "checkin"])}),
    "/api/v1/sessions/{ref}/candidates": st.fixed_dictionaries(
        {"title": st.sampled_from(["新建幼儿园", "道路改造", "养老服务中心"]),
         "budget": st.sampled_from(["100", "1,280.5", ""])}),
    "/api/v1/sessions/{ref}/delegates": st.fixed_dictionaries(
        {"name": st.sampled_from(["张三", "李四", "王五"]),
         "seat": st.integers(100, 10**6).map(str)}),
    "/api/v1/sessions/{ref}/delegates/{did}/leave": st.fixed_dictionaries(
        {"leave": st.booleans(), "reason": st.just("因病请假")}),
    "/api/v1/sessions/{ref}/candidates/import": st.just(UPLOADS[0]),
    "/api/v1/sessions/{ref}/delegates/import": st.just(UPLOADS[1]),
    "/s/{ref}/board/lookup.json": None,  # a receipt of the voting session, drawn when sent
}
VALID_REF = {"/s/{ref}/board/lookup.json": "fuzz-voting"}


@st.composite
def requests(draw, world: World, path: str, method: str, operation: dict):
    """One request for the operation: (method, url, kwargs for the test client, caller)."""
    url = path
    valid = path in VALID and draw(st.booleans())
    for name in re.findall(r"{(\w+)}", path):
        if valid:
            value = VALID_REF.get(path, "fuzz-draft") if name == "ref" else str(
                draw(st.sampled_from(world.delegate_ids)))
        elif name == "ref":
            value = draw(st.sampled_from(world.refs) | st.text(max_size=20)
                         | st.sampled_from(["0", "-1", "99999999999999999999", "%00", "..", "x.json"]))
        else:
            value = str(draw(st.sampled_from(world.delegate_ids)
                             | st.integers(0, 10**30) | st.sampled_from(OUT_OF_RANGE)))
        url = url.replace("{" + name + "}", urllib.parse.quote(value, safe="") or "x")
    query = draw(st.dictionaries(st.sampled_from(["q", "page", "format", "round", "code"]),
                                 JUNK_TEXT, max_size=2))
    if query:
        url += "?" + urllib.parse.urlencode(query)
    kwargs: dict = {}
    body = operation.get("requestBody", {}).get("content", {})
    if method == "post":
        if valid and "multipart/form-data" in body:
            name, data = draw(VALID[path])
            kwargs = {"data": {"file": (io.BytesIO(data), name), "replace": "1"},
                      "content_type": "multipart/form-data"}
        elif valid:
            receipt = st.fixed_dictionaries({"code": recent(world.codes)})
            kwargs = {"json": draw(receipt if VALID[path] is None else VALID[path])}
        elif "multipart/form-data" in body:
            name, data = draw(st.sampled_from(UPLOADS) | st.tuples(JUNK_TEXT, st.binary(max_size=300)))
            form = {"replace": draw(st.sampled_from(["0", "1", "", "yes"]))}
            if draw(st.booleans()) or not name:
                form["file"] = (io.BytesIO(data), name or "upload")
            kwargs = {"data": form, "content_type": "multipart/form-data"}
        else:
            schema = body.get("application/json", {}).get("schema", {})
            kind = draw(st.sampled_from(["schema", "schema", "schema", "junk", "raw", "form",
                                         "none"]))
            if kind == "schema":
                kwargs = {"json": draw(from_schema(schema, world))}
            elif kind == "junk":
                kwargs = {"json": draw(JSON_JUNK)}
            elif kind == "raw":
                kwargs = {"data": draw(st.binary(max_size=200) | st.sampled_from(DEEP_JSON)),
                          "content_type": draw(st.sampled_from(
                              ["application/json", "text/plain", "application/json; charset=gbk",
                               "application/octet-stream"]))}
            elif kind == "form":
                kwargs = {"data": draw(st.dictionaries(st.sampled_from(["card", "token", "code"]),
                                                       JUNK_TEXT, max_size=2))}
    if path.startswith("/kiosk/"):
        meant = world.kiosk_for[path[: path.index("/", len("/kiosk/api/")) + 1]]
        kiosk_cookie = draw(st.sampled_from([meant] * 6 + world.kiosk_cookies))
        caller = "kiosk"
    else:
        kiosk_cookie = None
        default = "anonymous" if operation.get("security") == [] else "staff"
        caller = draw(st.sampled_from([default] * 4 + ["anonymous", "chair"]))
    fresh = path in ("/kiosk/api/vote/cast", "/kiosk/api/vote/return") and draw(st.booleans())
    if fresh and draw(st.booleans()):
        # Half the fresh ballots are used as a kiosk would: the path past every input check.
        kiosk_cookie = meant
        kwargs = {"json": {"token": LATEST_TOKEN, "card": LATEST_CARD} if path.endswith("return")
                  else {"token": LATEST_TOKEN, "choices": draw(hinted("choices", world))}}
    return method.upper(), url, kwargs, kiosk_cookie, caller, fresh


# --- checking an answer ----------------------------------------------------------------------


def matches(value, schema: dict, where: str) -> None:
    """Assert ``value`` follows the documented ``schema`` (the subset the document uses)."""
    schema = resolve(schema)
    if value is None:
        assert schema.get("nullable") or "type" not in schema, f"{where}: null"
        return
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind == "object":
        assert isinstance(value, dict), f"{where}: not an object"
        for key in schema.get("required", []):
            assert key in value, f"{where}: {key} missing"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                matches(value[key], sub, f"{where}.{key}")
        if "additionalProperties" in schema:
            for key, item in value.items():
                matches(item, schema["additionalProperties"], f"{where}.{key}")
    elif kind == "array":
        assert isinstance(value, list), f"{where}: not an array"
        for i, item in enumerate(value):
            matches(item, schema.get("items", {}), f"{where}[{i}]")
    elif kind == "string":
        assert isinstance(value, str), f"{where}: not a string"
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: not an integer"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: not a boolean"


def check(answer, method: str, path: str, operation: dict, url: str) -> None:
    where = f"{method} {url} → {answer.status_code}"
    assert answer.status_code < 500, f"{where}: {answer.get_data(as_text=True)[:400]}"
    if answer.status_code == 308:
        # A "/" typed into a path parameter: the router merges "//" and redirects; no operation.
        assert "//" in urllib.parse.unquote(url.split("?")[0]), where
        return
    documented = operation["responses"]
    assert str(answer.status_code) in documented, f"{where}: status not documented"
    if answer.status_code >= 400:
        assert answer.is_json, f"{where}: not JSON: {answer.get_data(as_text=True)[:200]}"
        body = answer.json
        assert isinstance(body.get("error"), str) and body["error"], where
        assert isinstance(body.get("message"), str) and CJK.search(body["message"]), (
            f"{where}: no Chinese message: {body}")
        return
    content = documented[str(answer.status_code)].get("content", {}).get("application/json")
    if content is not None:
        matches(answer.json, content["schema"], where)


def operations():
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post"):
                yield path, method, operation


# --- the tests -------------------------------------------------------------------------------


def test_fuzz_every_documented_operation(app, db):
    world = World(app)
    documented = {(p, m.upper()): o for p, m, o in operations()}
    started = time.monotonic()
    per_operation = {}

    def send(verb, url, kwargs, kiosk_cookie, caller):
        path = next(p for p, m in documented if m == verb and re.fullmatch(
            re.sub(r"\\{\w+\\}", "[^/]*", re.escape(p)), url.split("?")[0]))
        if "json" in kwargs:
            kwargs = {**kwargs, "json": world.fill(kwargs["json"])}
        answer = world.client_for(path, kiosk_cookie, caller).open(url, method=verb, **kwargs)
        world.sent += 1
        world.statuses[answer.status_code] += 1
        world.succeeded[verb, path] += answer.status_code < 300
        check(answer, verb, path, documented[path, verb], url)
        if world.sent % 50 == 0:
            world.unblock_kiosks()
        body = answer.json if answer.is_json else None
        world.learn(body)
        return body or {}

    for path, method, operation in operations():
        before = world.sent

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(request=requests(world, path, method, operation))
        def fuzz(request):
            verb, url, kwargs, kiosk_cookie, caller, fresh = request
            if fresh:
                world.fresh_ballot(send)
            send(verb, url, kwargs, kiosk_cookie, caller)

        fuzz()
        per_operation[f"{method.upper()} {path}"] = world.sent - before
    elapsed = time.monotonic() - started
    print(f"\n[{db.engine.dialect.name}] fuzzed {world.sent} requests over {len(per_operation)} "
          f"operations in {elapsed:.1f} s; answers by status: {dict(sorted(world.statuses.items()))}")
    assert len(per_operation) == sum(1 for _ in operations())
    assert all(count >= EXAMPLES // 2 for count in per_operation.values()), per_operation
    print("2xx per operation:", {f"{m} {p}": n for (m, p), n in world.succeeded.items()})
    # The fuzz reached deep code, not only the input checks: ballots were issued and cast.
    assert len(world.tokens) > 1 and any(len(c) == 14 for c in world.codes[1:])


# Inputs the fuzz found answering 500 before they were fixed, kept as plain regressions.
FOUND = [
    ("staff", "POST", "/api/v1/sessions", {"title": 1.5, "date": 20270115, "quota": "x"}),
    ("staff", "POST", "/api/v1/sessions", {"title": ["x"], "date": "2027-01-15", "quota": 3}),
    ("staff", "POST", "/api/v1/sessions/found/candidates", {"title": {"a": 1}}),
    ("staff", "POST", "/api/v1/sessions/found/delegates", {"name": 7, "seat": False}),
    ("staff", "GET", "/api/v1/sessions/99999999999999999999", None),
    ("staff", "GET", "/api/v1/sessions/%C2%B2", None),
    ("staff", "POST", "/api/v1/sessions/found/delegates/99999999999999999999/leave", {}),
    ("staff", "GET", "/chair/99999999999999999999/live.json", None),
    ("anonymous", "GET", "/s/99999999999999999999/board.json", None),
    ("anonymous", "GET", "/s/%C2%B2/result.json", None),
    ("anonymous", "POST", "/s/found/board/lookup.json", {"code": "3FA2-91BC-07D4"}),
    ("checkin", "POST", "/kiosk/api/checkin/scan", ["text"]),
    ("checkin", "POST", "/kiosk/api/checkin/scan", "text"),
    ("checkin", "POST", "/kiosk/api/checkin/scan", {"text": "PJ1.found.²³.1.ABC"}),
    ("voting", "POST", "/kiosk/api/vote/issue", {"card": "PJ1.found.99999999999999999999999.1.A"}),
    # PostgreSQL: a NUL in a text, an id past the INTEGER column's range
    ("staff", "GET", "/api/v1/sessions/a%00b/counts", None),
    ("anonymous", "GET", "/s/%00/board.json", None),
    ("staff", "POST", "/api/v1/sessions/found/candidates", {"title": "学校\x00"}),
    ("staff", "POST", "/api/v1/sessions", {"title": "会\x00", "date": "2027-01-15", "quota": 3}),
    ("staff", "GET", "/api/v1/sessions/2147483648", None),
    ("staff", "POST", "/api/v1/sessions/found/delegates/2147483648/leave", {}),
    ("voting", "POST", "/kiosk/api/vote/issue", {"card": "PJ1.found.2147483648.1.A"}),
]


@pytest.mark.parametrize("caller,method,url,body", FOUND)
def test_inputs_that_once_failed_get_a_clear_4xx(app, db, login, client, caller, method, url,
                                                 body):
    session = make_session(slug="found", delegates=3, state="checkin")
    mode = "checkin" if caller == "checkin" else "voting"
    _, code = kiosks.create_pairing(session, "机", mode, "staff")
    credential = kiosks.enrol(code)[1]
    db.session.commit()
    if caller == "staff":
        login("staff")
    elif caller != "anonymous":
        client.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
    answer = client.open(url, method=method, json=body)
    assert 400 <= answer.status_code < 500 and answer.is_json, answer.get_data(as_text=True)
    assert answer.json["error"] and CJK.search(answer.json["message"]), answer.json


def _counts(session_id: int) -> tuple[int, int]:
    candidates = _db.session.execute(select(func.count()).select_from(Candidate)
                                     .where(Candidate.session_id == session_id)).scalar_one()
    delegates = _db.session.execute(select(func.count()).select_from(Delegate)
                                    .where(Delegate.session_id == session_id)).scalar_one()
    return candidates, delegates


HEADERS = {"delegates": "姓名,座位号", "candidates": "项目名称,项目简介"}


def bad_uploads(kind: str) -> list[tuple[str, bytes, str]]:
    """(file name, bytes, what the message must say) for each kind of malformed upload."""
    header = HEADERS[kind]
    return [
        ("junk.csv", bytes(range(256)) * 64, "二进制"),
        ("broken.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4, "XLSX"),
        ("list.pdf", b"%PDF-1.4\n", "CSV 或 XLSX"),
        ("latin1.csv", f"{header}\n".encode() + b"Jos\xe9 M\xfcller\xff,1\n", "编码"),
        # A UTF-16 byte-order mark (Excel's "Unicode text") before bytes that are not UTF-16.
        ("u16.csv", f"{header}\n张三,1\n".encode("utf-16") + b"\x00\xd8", "二进制"),
        ("formula.csv", f"{header}\n=cmd|' /C calc'!A0,1\n张三,2\n".encode(), "公式"),
        ("formula.xlsx", _xlsx(header.split(","), ["=cmd|' /C calc'!A0", "5"]), "公式"),
        # Past csv's 128 KB field limit (was a KeyError: 'line' while wording the message).
        ("long.csv", f"{header}\n张三,1\n李四,{'x' * 140_000}\n".encode(), "超过 131072 个字符"),
        # A few KB of XLSX with content in Excel's last column and half a million empty cells.
        ("wide.xlsx", crafted_xlsx('<row r="2"><c r="XFD2"><v>1</v></c></row>',
                                   tuple(header.split(","))), "第 16384 列"),
        ("cells.xlsx", crafted_xlsx('<row r="2">' + "<c/>" * 500_000 + "</row>",
                                    tuple(header.split(","))), "单元格过多"),
    ]


def _xlsx(*rows: list[str]) -> bytes:
    """A workbook whose cells hold ``rows``; a text starting with = is stored as a formula."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["delegates", "candidates"])
def test_malformed_uploads_are_refused_over_http_and_change_nothing(app, db, login, client, kind):
    login("staff")
    session = make_session(slug="upload", delegates=3, candidates=3)
    db.session.commit()
    before = _counts(session.id)
    for name, data, says in bad_uploads(kind):
        answer = client.post(f"/api/v1/sessions/upload/{kind}/import",
                             data={"file": (io.BytesIO(data), name)},
                             content_type="multipart/form-data")
        assert answer.status_code == 400, (name, answer.status_code, answer.json)
        body = answer.json
        assert body["error"] == "import_rejected" and CJK.search(body["message"]), body
        text = " ".join(row["message"] for row in body["rows"])
        assert says in text and CJK.search(text), (name, body)
        page = client.post(f"/admin/sessions/upload/{kind}/import",
                           data={"file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
        assert page.status_code == 400 and says in page.get_data(as_text=True), name
        assert _counts(session.id) == before, name
    huge = b"\xe5\xa7\x93\xe5\x90\x8d," * (app.config["MAX_CONTENT_LENGTH"] // 7 + 1)
    answer = client.post(f"/api/v1/sessions/upload/{kind}/import",
                         data={"file": (io.BytesIO(huge), "huge.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 413 and "太大" in answer.json["message"]
    assert _counts(session.id) == before
    assert sessions.get_session("upload").state == "draft"


# --- the audit's reports (issue 17 #10): 500s reached from outside the documented schemas ------


def _routes(app, where=lambda rule: True):
    """(rule, method) for every route of the app matching ``where``, HEAD and OPTIONS aside."""
    for rule in app.url_map.iter_rules():
        if where(rule):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(rule, ids: int, ref: str = "found") -> str:
    """The rule's URL with every ``<int:…>`` part set to ``ids`` and every other part to ``ref``."""
    url = re.sub(r"<int:\w+>", str(ids), rule.rule)
    return re.sub(r"<(?:\w+:)?\w+>", ref, url)


def _callers(app, db, login, client):
    """An admin (every role guard lets them through) and enrolled kiosks of both modes."""
    session = make_session(slug="found", delegates=3, state="checkin")
    login("admin", congress=None)
    kiosks_by_mode = {}
    for mode in ("checkin", "voting"):
        _, code = kiosks.create_pairing(session, f"{mode}机", mode, "staff")
        kiosk = app.test_client()
        kiosk.set_cookie(KIOSK_COOKIE, kiosks.enrol(code)[1], path="/kiosk")
        kiosks_by_mode[mode] = kiosk
    db.session.commit()

    def caller(url: str):
        if url.startswith("/kiosk/api/vote/"):
            return kiosks_by_mode["voting"]
        return kiosks_by_mode["checkin"] if url.startswith("/kiosk/") else client

    return caller


def test_ids_past_the_id_columns_in_every_int_route_answer_404(app, db, login, client):
    caller = _callers(app, db, login, client)
    routes = list(_routes(app, lambda rule: "<int:" in rule.rule))
    assert len(routes) >= 16  # candidates, delegates, kiosks, the board's rounds, the API
    for rule, method in routes:
        for number in (*OUT_OF_RANGE, 10**30):
            url = _url(rule, number)
            answer = caller(url).open(url, method=method)
            assert answer.status_code == 404, (method, url, answer.status_code)
        url = _url(rule, 2**31 - 1)  # the largest id there can be: in range, no such row
        answer = caller(url).open(url, method=method)
        assert 400 <= answer.status_code < 500, (method, url, answer.get_data(as_text=True)[:300])


def test_json_nested_a_thousand_deep_gets_a_clear_400_on_every_json_route(app, db, login, client):
    caller = _callers(app, db, login, client)
    routes = list(_routes(app, lambda rule: rule.rule.startswith(("/api/", "/kiosk/api/"))
                          or rule.rule.endswith("lookup.json")))
    posts = [(rule, method) for rule, method in routes if method == "POST"]
    assert len(posts) >= 12  # 7 API writes, 4 kiosk calls, the public lookup
    for rule, method in posts:
        url = _url(rule, 1)
        for body in DEEP_JSON:
            answer = caller(url).open(url, method=method, data=body, content_type="application/json")
            assert 400 <= answer.status_code < 500 and answer.is_json, (url, answer.status_code)
            assert CJK.search(answer.json["message"]), (url, answer.json)


def _gunicorn_chunked(data: bytes):
    """A request body as gunicorn reads a ``Transfer-Encoding: chunked`` one."""
    from types import SimpleNamespace

    from gunicorn.http.body import Body, ChunkedReader
    from gunicorn.http.unreader import IterUnreader

    return Body(ChunkedReader(SimpleNamespace(), IterUnreader([data])))


def _werkzeug_chunked(data: bytes):
    """A request body as `ballot serve` (werkzeug's server) reads a chunked one."""
    from werkzeug.serving import DechunkedInput

    return DechunkedInput(io.BytesIO(data))


@pytest.mark.parametrize("reader", [_gunicorn_chunked, _werkzeug_chunked])
def test_a_malformed_chunked_body_gets_a_clear_400_on_every_route(app, db, login, client, reader):
    """A chunk size of ``zz`` raised the server's own error inside the NUL check (a 500)."""
    caller = _callers(app, db, login, client)
    for rule, method in _routes(app, lambda rule: rule.endpoint != "static"):
        url = _url(rule, 1)
        for content_type in ("application/json", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x"):
            answer = caller(url).open(
                url, method=method, headers={"Transfer-Encoding": "chunked",
                                             "Content-Type": content_type},
                environ_overrides={"wsgi.input": reader(b"zz\r\nabc\r\n0\r\n\r\n"),
                                   "wsgi.input_terminated": True})
            assert answer.status_code == 400, (method, url, content_type, answer.status_code)
            text = answer.json["message"] if answer.is_json else answer.get_data(as_text=True)
            assert CJK.search(text), (method, url)


def test_a_language_switch_back_to_a_carriage_return_is_not_a_500(client):
    answer = client.get("/lang/en?next=/%0d/x")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"

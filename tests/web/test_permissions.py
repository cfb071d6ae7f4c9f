"""The permission matrix of docs/permissions.md, checked against every rule of the URL map.

The matrix is read from the document itself, so a route added without a row (or a row left for
a route that is gone) fails here, and so does any answer that differs from the document.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ballot import crypto
from ballot.app import create_app
from ballot.domain.fields import CandidateFields, DelegateFields, ReportFields
from ballot.extensions import db as _db
from ballot.models import BoardEntry, Candidate, Delegate, User
from ballot.services import candidates, credentials, kiosks, results, roster, sessions, tracking
from ballot.web.kiosk_auth import KIOSK_COOKIE
from tests.conftest import make_session, seal_box
from tests.factories import SECRET, vote, voting_session

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = ("anon", "admin", "staff", "other", "chair", "scrut", "ckiosk", "vkiosk")
ANSWERS = {"ok", "login", "401", "403", "404", "enrol", "home"}
OTHER_CONGRESS = "另一镇人大"
PASSWORD = "correct-horse"
# Run last, in this order: logging in as the probe account, then out, changes who the browser is.
LAST = ("auth.login", "auth.logout")


def read_matrix() -> dict[tuple[str, str], dict]:
    """{(endpoint, method): {"rule": ..., "answers": {role: answer}}} from docs/permissions.md."""
    matrix: dict[tuple[str, str], dict] = {}
    header = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if cells[:3] == ["method", "rule", "endpoint"]:
            header = cells[3:]
            assert tuple(header) == ROLES, header
            continue
        if header is None or len(cells) != 3 + len(ROLES) or set(cells[0]) <= {"-", " "}:
            continue
        methods, rule, endpoint = cells[0].split(), cells[1], cells[2]
        answers = dict(zip(ROLES, cells[3:], strict=True))
        assert set(answers.values()) <= ANSWERS, (endpoint, answers)
        for method in methods:
            assert (endpoint, method) not in matrix, f"{endpoint} {method} listed twice"
            matrix[(endpoint, method)] = {"rule": rule, "answers": answers}
    return matrix


def app_routes(app) -> dict[tuple[str, str], str]:
    """{(endpoint, method): rule} for every rule, HEAD and OPTIONS aside."""
    routes = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes[(rule.endpoint, method)] = rule.rule
    return routes


@dataclass
class World:
    """Slugs of sessions in every state a route needs, the roles' browsers, and values that
    fill URLs and bodies (plain values: each request's rollback expires ORM objects)."""

    slugs: dict
    first: dict
    tracking_code: str
    card: str
    clients: dict = field(default_factory=dict)


def account(name: str, role: str, congress: str | None) -> User:
    """A user with a one-round hash: these tests are about access, not about password storage."""
    user = User(username=name, role=role, congress=congress,
                password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1"))
    _db.session.add(user)
    _db.session.flush()
    return user


def small_published_session(scrutineer: User, chair: User):
    """Three projects for two slots, six delegates, voted, counted, confirmed and published."""
    session = make_session(slug="published-s", delegates=6, candidates=3, quota=2,
                           chief_scrutineer="陈立")
    candidates.lock_list(session, "tester", SECRET)
    sessions.transition(session, "checkin", "tester")
    for delegate in roster.list_delegates(session):
        delegate.attendance = "present"
    _db.session.commit()
    seal_box(session)
    vote(session, [{"01": "for", "02": "for", "03": "against"}] * 4
         + [{"01": "for", "02": "against", "03": "for"}] * 2)
    results.confirm_as_scrutineer(session, scrutineer)
    results.confirm_as_chair(session, chair)
    results.publish(session, "tester")
    _db.session.commit()
    return session


def seed(app) -> World:
    """A published, a draft, a check-in and a voting session of one congress, plus a browser
    per role (logged in, or enrolled as a kiosk of the check-in / voting session)."""
    names = {"admin": ("admin", None), "staff": ("staff", "示范镇人大"),
             "other": ("staff", OTHER_CONGRESS), "chair": ("chair", "示范镇人大"),
             "scrut": ("scrutineer", "示范镇人大"), "probe": ("staff", "示范镇人大")}
    users = {name: account(f"u-{name}", role, congress) for name, (role, congress) in names.items()}
    users["scrut"].display_name = "陈立"  # the published session's chief scrutineer
    _db.session.commit()
    published = small_published_session(users["scrut"], users["chair"])
    draft = make_session(slug="draft-s", delegates=6)
    checkin = make_session(slug="checkin-s", delegates=6)
    candidates.lock_list(checkin, "tester", SECRET)
    sessions.transition(checkin, "checkin", "tester")
    _db.session.commit()
    voting, _ = voting_session(delegates=6, slug="voting-s")
    entry = _db.session.execute(select(BoardEntry).where(BoardEntry.session_id == published.id)
                                .limit(1)).scalar_one()
    card = credentials.issue_card(roster.list_delegates(checkin)[0], "tester")
    _db.session.commit()
    every = {"published": published, "draft": draft, "checkin": checkin, "voting": voting}
    world = World(
        slugs={key: value.slug for key, value in every.items()},
        first={(model.__name__, key): _first(model, value) for key, value in every.items()
               for model in (Candidate, Delegate)},
        tracking_code=crypto.tracking_code(entry.entry_hash), card=card)
    account("u-count", "counter", "示范镇人大")
    _db.session.commit()
    world.clients["anon"] = app.test_client()
    for name in ("admin", "staff", "other", "chair", "scrut", "count"):
        browser = app.test_client()
        assert browser.post("/login", data={"username": f"u-{name}", "password": PASSWORD}
                            ).status_code == 302
        world.clients[name] = browser
    for name, session, mode in (("ckiosk", checkin, "checkin"), ("vkiosk", voting, "voting")):
        _, code = kiosks.create_pairing(session, name, mode, "tester")
        _, credential = kiosks.enrol(code)
        _db.session.commit()
        browser = app.test_client()
        browser.set_cookie(KIOSK_COOKIE, credential, path="/kiosk")
        world.clients[name] = browser
    return world


def _first(model, session) -> int:
    return _db.session.execute(select(model.id).where(model.session_id == session.id)
                               .order_by(model.id).limit(1)).scalar_one()


def _fresh_candidate() -> int:
    draft = sessions.get_session("draft-s")
    item = candidates.add_candidate(draft, CandidateFields(title="临时项目"), "tester")
    _db.session.commit()
    return item.id


def _fresh_delegate() -> int:
    draft = sessions.get_session("draft-s")
    item = roster.add_delegate(draft, DelegateFields(name="临时代表", seat=f"T{next(_SEATS)}"), "tester")
    _db.session.commit()
    return item.id


_SEATS = itertools.count(1)


def _fresh_kiosk() -> int:
    kiosk, _ = kiosks.create_pairing(sessions.get_session("checkin-s"), "临时设备", "checkin",
                                     "tester")
    _db.session.commit()
    return kiosk.id


_ACCOUNTS = itertools.count(1)


def _fresh_account() -> int:
    """A staff account of its own for each account route, so the probes change nobody else."""
    user = account(f"u-temp-{next(_ACCOUNTS)}", "staff", "示范镇人大")
    _db.session.commit()
    return user.id


def _tracked(world: World) -> tuple[int, int]:
    """(a tracked project's id, a report photo's id) of the published session."""
    published = sessions.get_session(world.slugs["published"])
    project = tracking.find_project(published, "01")
    if not project.reports:
        jpeg = io.BytesIO()
        Image.new("RGB", (8, 8)).save(jpeg, "JPEG")
        tracking.post_report(published, project, ReportFields(text="开工", percent_done=5),
                             [(jpeg.getvalue(), "site.jpg")], "tester")
        _db.session.commit()
    return project.id, project.reports[0].photos[0].id


def target(world: World, endpoint: str, rule: str) -> str:
    """The rule with real values: the session each route needs, fresh rows for deletions."""
    by_endpoint = {
        "admin.session_page": "published", "chair.screen": "published",
        "chair.live": "published", "chair.scrutiny": "published",
        "admin_checkin.checkin_page": "voting", "admin_checkin.release_delegate": "voting",
        "api.get_counts": "checkin",
    }
    by_blueprint = {"admin": "draft", "api": "draft", "chair": "draft", "admin_checkin": "checkin"}
    key = by_endpoint.get(endpoint) or by_blueprint.get(endpoint.split(".")[0], "published")
    values = {
        "ref": lambda: world.slugs[key], "int:number": lambda: "1", "fmt": lambda: "csv",
        "kind": lambda: "signin", "code": lambda: "zh", "path:filename": lambda: "css/app.css",
        "int:cid": lambda: _fresh_candidate() if endpoint == "admin.delete_candidate"
        else world.first[("Candidate", key)],
        "int:did": lambda: _fresh_delegate() if endpoint == "admin.delete_delegate"
        else world.first[("Delegate", key)],
        "int:kid": _fresh_kiosk,
        "int:uid": _fresh_account,
        "congress": lambda: "示范镇人大", "int:year": lambda: "2027",
        "int:pid": lambda: _tracked(world)[0], "project": lambda: "01",
        "int:photo_id": lambda: _tracked(world)[1],
        "clip": _speakable_clip, "int:pass_no": lambda: "1",
    }
    return re.sub(r"<([^>]+)>", lambda m: str(values[m.group(1)]()), rule)


def body(world: World, endpoint: str) -> dict:
    """Request arguments: most POSTs go without a body (the guard answers before the form)."""
    if endpoint == "auth.login":
        return {"data": {"username": "u-probe", "password": PASSWORD}}
    if endpoint == "board.lookup":
        return {"data": {"code": world.tracking_code}}
    if endpoint == "board.lookup_json":
        return {"json": {"code": world.tracking_code}}
    if endpoint == "kiosk.checkin_scan":
        return {"json": {"text": world.card}}
    return {}


def _speakable_clip() -> str:
    """A spoken-ballot clip the voting kiosk may fetch; where espeak-ng is missing (a laptop),
    one already in the server's cache, so the route's guards are what this test checks."""
    from ballot.services import speech

    if not speech.available():
        speech.cache.put((speech.VOICES["zh"], "赞成"), b"RIFF")
    return "for"


def check(answer: str, response, method: str, path: str) -> str | None:
    """None when ``response`` is ``answer``, else what went wrong."""
    status = response.status_code
    location = urlsplit(response.headers.get("Location", "")).path
    json_path = path.startswith(("/api/", "/kiosk/api/")) or path.endswith(".json")
    if status >= 500:
        return f"server error {status}"
    if answer == "ok":
        # A guard's login redirect carries ?next=; logout's own redirect to /login does not.
        to_login = location == "/login" and "next=" in response.headers["Location"]
        if status in (401, 403, 404) or to_login or location == "/kiosk/enrol":
            return f"refused: {status} {location}"
        return None
    expected = {"login": (302, "/login"), "enrol": (302, "/kiosk/enrol"), "home": (302, "/kiosk"),
                "401": (401, None), "403": (403, None), "404": (404, None)}[answer]
    if (status, location or None) != expected:
        return f"got {status} {location}, expected {expected}"
    if answer in ("401", "403") and json_path and method != "HEAD":
        payload = response.get_json(silent=True)
        if not isinstance(payload, dict) or not payload.get("error") or not payload.get("message"):
            return f"expected a JSON error body, got {response.data[:80]!r}"
    return None


@pytest.fixture(scope="module")
def url_map_app():
    """The app without a database: enough to read its URL map and answer OPTIONS."""
    return create_app({"CONFIG_NAME": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_matrix_lists_every_route_and_nothing_else(url_map_app):
    app = url_map_app
    matrix, routes = read_matrix(), app_routes(app)
    missing = sorted(set(routes) - set(matrix))
    stale = sorted(set(matrix) - set(routes))
    assert not missing, f"routes without a row in docs/permissions.md: {missing}"
    assert not stale, f"rows in docs/permissions.md for routes that are gone: {stale}"
    wrong_rule = {k: (matrix[k]["rule"], routes[k]) for k in routes if matrix[k]["rule"] != routes[k]}
    assert not wrong_rule


def test_no_url_and_method_is_served_by_two_views(url_map_app):
    app = url_map_app
    seen: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            other = seen.setdefault((rule.rule, method), rule.endpoint)
            assert other == rule.endpoint, f"{method} {rule.rule}: {other} and {rule.endpoint}"


def test_every_route_answers_every_role_as_documented(app, db):
    matrix = read_matrix()
    world = seed(app)
    order = sorted(matrix, key=lambda k: (k[0] in LAST, LAST.index(k[0]) if k[0] in LAST else 0,
                                          k))
    failures, checked = [], 0
    for role in ROLES:
        browser = world.clients[role]
        for endpoint, method in order:
            entry = matrix[(endpoint, method)]
            for verb in (method, "HEAD") if method == "GET" else (method,):
                path = target(world, endpoint, entry["rule"])
                response = browser.open(path, method=verb, **body(world, endpoint))
                _db.session.rollback()
                checked += 1
                problem = check(entry["answers"][role], response, verb, path)
                if problem:
                    failures.append(f"{role:7} {verb:5} {path} ({endpoint}): {problem}")
    assert not failures, "\n".join(failures)
    assert checked >= len(ROLES) * len(matrix)


def test_options_runs_no_view(url_map_app):
    app, client = url_map_app, url_map_app.test_client()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<([^>]+)>", "1", rule.rule)
        response = client.open(path, method="OPTIONS")
        assert response.status_code == 200 and response.data == b"", rule.rule
        assert set(response.headers["Allow"].split(", ")) >= rule.methods - {"OPTIONS"}


def test_leave_from_the_desk_returns_to_the_desk_and_from_the_roster_to_the_roster(client, db,
                                                                                  login):
    login("staff")
    session = make_session(delegates=2, state="checkin")
    db.session.commit()
    first, second = roster.list_delegates(session)
    base = f"/admin/sessions/{session.slug}/delegates"
    # The desk's action panel, with the delegate picked, offers leave and says where to go back.
    desk = client.get(f"/admin/sessions/{session.slug}/checkin",
                      query_string={"selected": first.id}).get_data(as_text=True)
    assert f'formaction="{base}/{first.id}/leave"' in desk and 'name="back" value="checkin"' in desk
    from_desk = client.post(f"{base}/{first.id}/leave",
                            data={"leave": "1", "back": "checkin", "reason": "出差"})
    assert from_desk.headers["Location"].endswith(
        f"/admin/sessions/{session.slug}/checkin?selected={first.id}#desk-panel")
    from_roster = client.post(f"{base}/{second.id}/leave", data={"leave": "1"})
    assert from_roster.headers["Location"].endswith(f"/admin/sessions/{session.slug}#roster")
    db.session.expire_all()
    assert [d.attendance for d in roster.list_delegates(session)] == ["leave", "leave"]


# The counter (计票人) reaches only these; docs/permissions.md, "Counting staff".
COUNTER_OK = {"counting.home", "counting.round_page", "counting.pass_page",
              "api_paper.paper_status", "api_paper.record_pass", "auth.change_password"}


def counter_answer(endpoint: str, rule: str, anon: str) -> str:
    """What a logged-in counter gets: the counting room; elsewhere an anonymous visitor's answer,
    a refusal (403) where the visitor would be asked to log in."""
    if endpoint in COUNTER_OK:
        return "ok"
    if anon == "login" or (anon == "401" and not rule.startswith("/kiosk/")):
        return "403"
    return anon


def test_a_counter_reaches_the_counting_room_and_nothing_else(app, db):
    matrix = read_matrix()
    world = seed(app)
    browser = world.clients["count"]
    failures = []
    for (endpoint, method), entry in sorted(matrix.items()):
        if endpoint in LAST:
            continue
        path = target(world, endpoint, entry["rule"])
        response = browser.open(path, method=method, **body(world, endpoint))
        _db.session.rollback()
        answer = counter_answer(endpoint, entry["rule"], entry["answers"]["anon"])
        problem = check(answer, response, method, path)
        if problem:
            failures.append(f"{method:5} {path} ({endpoint}): {problem}")
    assert not failures, "\n".join(failures)

"""Browser fixtures: a live server in a thread and Debian's Chromium driven by Playwright.

Never `playwright install` (it downloads a browser, which fails here): `make test` installs the
`chromium` package with apt-get (tests/setup_env.py) and Playwright drives /usr/bin/chromium.
Where Chromium or Playwright is missing these tests skip with the reason, except in CI.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ballot.app import create_app
from ballot.extensions import db as _db
from ballot.models import Candidate, Delegate, VoteSession
from ballot.services import credentials, kiosks, rounds
from tests.conftest import PG_URL, seal_box, skip_or_fail
from tests.factories import ready_session

CHROMIUM = os.environ.get("BALLOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_SCRATCH = Path(tempfile.gettempdir()) / "ballot-e2e-screenshots"

# Sizes the screens are built for.
KIOSK_PORTRAIT = {"width": 1080, "height": 1920}
KIOSK_LANDSCAPE = {"width": 1280, "height": 800}
PROJECTOR = {"width": 1920, "height": 1080}
DESKTOP = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def playwright_browser():
    """One headless Chromium per test module.

    Not per run: Playwright's sync API keeps an asyncio loop running until it stops, and a later
    test outside tests/e2e that calls asyncio.run() (tests/test_bench_smoke.py) would fail.
    """
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"Chromium not found at {CHROMIUM} (make test installs Debian's chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class LiveServer:
    """A running app: ``url`` to browse, ``app`` for app contexts in the test."""

    app: object
    url: str

    def context(self):
        """An app context for seeding or inspecting the database from the test."""
        return self.app.app_context()


@pytest.fixture
def live_server(tmp_path):
    """The app served over HTTP on a free port, CSRF on as in production, on a fresh database."""
    config = {
        "CONFIG_NAME": "test",
        "SQLALCHEMY_DATABASE_URI": PG_URL or f"sqlite:///{tmp_path / 'e2e.sqlite'}",
        "WTF_CSRF_ENABLED": True,
    }
    application = create_app(config)
    with application.app_context():
        if PG_URL:
            _db.drop_all()
        _db.create_all()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app=application, url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)
    with application.app_context():
        _db.session.remove()
        if PG_URL:
            _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def new_page(playwright_browser):
    """Open a page in its own browser context (its own cookies), e.g. one per kiosk."""
    contexts = []

    def _new_page(viewport: dict | None = None, locale: str = "zh-CN"):
        context = playwright_browser.new_context(viewport=viewport or DESKTOP, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


def save_picture(image, name: str) -> Path:
    """Save a PIL image (a rendered PDF page, say) where screenshot() puts page screenshots."""
    folder = SCREENSHOTS if os.environ.get("BALLOT_SCREENSHOTS") == "1" else _SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    image.save(path)
    return path


def screenshot(page, name: str) -> Path:
    """Take a screenshot of the page: into docs/screenshots/<name>.png when BALLOT_SCREENSHOTS=1
    (`make screenshots`), otherwise into a temporary folder, so a test run leaves the tree clean."""
    folder = SCREENSHOTS if os.environ.get("BALLOT_SCREENSHOTS") == "1" else _SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 0
    return path


# --- the hall: a session in check-in with a check-in and a voting kiosk ---------------------------


@dataclass
class Hall:
    """A session in check-in (57 of 60 present) with a check-in and a voting kiosk enrolled."""

    url: str
    slug: str
    checkin_kiosk: str
    voting_kiosk: str
    cards: list[str]  # QR texts: three present delegates, then three absent ones

    def open_voting(self, live_server) -> None:
        with live_server.context():
            session = session_by_slug(self.slug)
            if not session.box_public_key:
                seal_box(session)
            rounds.open_voting(session, "chair")
            _db.session.commit()


def session_by_slug(slug: str) -> VoteSession:
    """The session called ``slug`` (in the live server's context)."""
    return _db.session.query(VoteSession).filter_by(slug=slug).one()


@pytest.fixture
def hall(live_server) -> Hall:
    """The hall before voting opens; project 1 has a summary (so its 简介 button shows)."""
    with live_server.context():
        session = ready_session(present=57)
        first = _db.session.query(Candidate).filter_by(session_id=session.id, position=1).one()
        first.summary = "新建一所九年一贯制学校，设 36 个教学班。"
        credential = {}
        for mode in ("checkin", "voting"):
            _, code = kiosks.create_pairing(session, f"{mode}-1", mode, "staff")
            _, credential[mode] = kiosks.enrol(code)
        delegates = _db.session.query(Delegate).filter_by(session_id=session.id) \
            .order_by(Delegate.roster_order).all()
        # The last present delegates vote at the kiosk; the absent ones can still check in.
        cards = [credentials.issue_card(d, "staff") for d in delegates[54:60]]
        _db.session.commit()
        return Hall(url=live_server.url, slug=session.slug, checkin_kiosk=credential["checkin"],
                    voting_kiosk=credential["voting"], cards=cards)

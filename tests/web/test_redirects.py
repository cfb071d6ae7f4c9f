"""Login and the language switch send a browser back only to a path of this site (issue 17 #3)."""

from __future__ import annotations

import urllib.parse

import pytest

from ballot.web.redirects import same_origin_path
from tests.conftest import make_user

# Each leads off the site in some browser: tabs, newlines and spaces are dropped from URLs,
# a backslash reads as a slash, and "//host" or "scheme:" name another origin.
OFF_SITE = [
    "/\t/evil.example/fake-login", "/\n/evil.example", "/\r/x", "/ /evil.example",
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "javascript:alert(1)", "http:/evil.example", "evil.example",
    "/\u3000/evil.example", "/\u2028/evil.example", "/\x7f/evil.example", "/\u200b/evil.example",
    " /admin/", "", "/" + "a" * 3000,
]
SAME_SITE = ["/", "/admin/", "/admin/sessions/demo?tab=roster", "/s/示范/board/", "/admin/audit/?page=2#top"]


def _browser_target(location: str) -> str:
    """Where a browser goes: it drops tabs and newlines and reads backslashes as slashes."""
    return location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")


@pytest.mark.parametrize("target", [*OFF_SITE, "/admin/\x00", None, 7])
def test_off_site_targets_are_refused(target):
    assert same_origin_path(target) is None


@pytest.mark.parametrize("target", SAME_SITE)
def test_paths_of_this_site_are_kept(target):
    assert same_origin_path(target) == target


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, db, target):
    make_user()
    db.session.commit()
    answer = client.post("/login?next=" + urllib.parse.quote(target, safe=""),
                         data={"username": "staff", "password": "correct-horse"})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/admin/"
    # Already logged in, the login page forwards at once: the same rule applies.
    again = client.get("/login?next=" + urllib.parse.quote(target, safe=""))
    assert again.status_code == 302 and again.headers["Location"] == "/admin/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_never_redirects_off_site(client, target):
    answer = client.get("/lang/en?next=" + urllib.parse.quote(target, safe=""))
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert not _browser_target(answer.headers["Location"]).startswith("//")


def test_the_reported_payloads(client, db):
    """The audit's own requests: /%09/evil.example through login, /%0d/x through /lang (was a 500)."""
    make_user()
    db.session.commit()
    answer = client.post("/login?next=/%09/evil.example/fake-login",
                         data={"username": "staff", "password": "correct-horse"})
    assert answer.headers["Location"] == "/admin/"
    answer = client.get("/lang/en?next=/%0d/x")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"


@pytest.mark.parametrize("target", SAME_SITE)
def test_same_site_targets_are_followed(client, db, target):
    make_user()
    db.session.commit()
    answer = client.post("/login?next=" + urllib.parse.quote(target, safe=""),
                         data={"username": "staff", "password": "correct-horse"})
    assert urllib.parse.unquote(answer.headers["Location"]) == target
    answer = client.get("/lang/zh?next=" + urllib.parse.quote(target, safe=""))
    assert urllib.parse.unquote(answer.headers["Location"]) == target

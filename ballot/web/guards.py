"""Access guards for views: who is logged in, which roles may do what, session scope."""

from __future__ import annotations

from functools import wraps

from flask import redirect, request, url_for
from flask import session as cookie  # the signed cookie; "session" is a 会议 here

from ballot.domain.errors import N_, PasswordChangeRequired, PermissionDenied
from ballot.models import User, VoteSession
from ballot.services import accounts
from ballot.services import sessions as session_service


class LoginRequired(Exception):
    """No staff user is logged in."""


# The only staff views open to a user who must first replace an admin-chosen password.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password"})


def current_user() -> User | None:
    """The logged-in staff user for this request, if any."""
    # Cached per request (not in ``g``: an app context can outlive one request, as in tests).
    if not hasattr(request, "_ballot_user"):
        user = accounts.logged_in_user(cookie.get("login"))
        if user is not None and cookie.get("auth_version") != user.password_hash[-16:]:
            user = None  # the password changed since this login
        request._ballot_user = user
    return request._ballot_user


def login_user(user: User) -> None:
    """Start a fresh login session (the old cookie's contents are discarded)."""
    lang = cookie.get("lang")
    cookie.clear()
    cookie["login"] = accounts.start_login(user)
    cookie["auth_version"] = user.password_hash[-16:]
    if lang:
        cookie["lang"] = lang
    cookie.permanent = False


def logout_user() -> None:
    """End the login session, on the server too: a copied cookie stops working."""
    accounts.end_login(cookie.get("login"))
    lang = cookie.get("lang")
    cookie.clear()
    if lang:
        cookie["lang"] = lang


def role_required(*roles: str):
    """Allow only logged-in users whose role is in ``roles`` (admin is always allowed) and who
    need not first change a password an admin chose (PasswordChangeRequired)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                raise LoginRequired()
            if user.role != "admin" and user.role not in roles:
                raise PermissionDenied()
            if user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
                raise PasswordChangeRequired()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def load_session(ref: str) -> VoteSession:
    """The session named in the URL, if the current user's congress may see it."""
    return session_service.get_session(ref, current_user())


def login_redirect():
    """Send a browser to the login page, coming back here afterwards."""
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def require(condition: bool, message: str = N_("您没有执行此操作的权限。")) -> None:
    """Raise PermissionDenied unless ``condition`` holds."""
    if not condition:
        raise PermissionDenied(message)

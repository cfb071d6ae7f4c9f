"""Staff login and logout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ballot.domain.errors import AccountDisabled
from ballot.i18n import gettext
from ballot.services import accounts, audit, sessions
from ballot.unit_of_work import transactional, transactional_post
from ballot.web.guards import current_user, login_user, logout_user, role_required
from ballot.web.redirects import same_origin_path

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    return same_origin_path(target) or url_for("admin.home")


def _flash_wait(seconds: int) -> None:
    if seconds >= 60:
        flash(gettext("这台电脑登录失败次数过多，请 %(minutes)s 分钟后再试（其他电脑不受影响），"
                      "或联系管理员。", minutes=-(-seconds // 60)), "error")
    else:
        flash(gettext("这台电脑登录失败次数过多，请 %(seconds)s 秒后再试（其他电脑不受影响），"
                      "或联系管理员。", seconds=seconds), "error")


@bp.route("/login", methods=["GET", "POST"])
@transactional_post
def login():
    """Show the login form; on POST check the credentials and start a session."""
    if request.method == "POST":
        username = accounts.normalise_username(request.form.get("username", "")[:200])[:80]
        address = request.remote_addr or "?"
        wait = accounts.login_wait(username, address)
        if wait:
            _flash_wait(wait)
            return render_template("auth/login.html", username=username), 429, {
                "Retry-After": str(wait)}
        try:
            user = accounts.authenticate(username, request.form.get("password", ""))
        except AccountDisabled as error:
            audit.record(accounts.failure_actor(username), "user.login_disabled", address=address)
            flash(error.render(gettext), "error")
            return render_template("auth/login.html", username=username), 403
        if user is None:
            audit.record(accounts.failure_actor(username), "user.login_failed", address=address)
            flash(gettext("用户名或密码不正确，请重新输入。"), "error")
            return render_template("auth/login.html", username=username), 401
        login_user(user)
        audit.record(user.username, "user.login")
        if user.must_change_password:
            flash(gettext("这个账号的密码由管理员设定，请先改为您自己的密码。"), "info")
            return redirect(url_for("auth.change_password"))
        if user.role == "counter" and not request.args.get("next"):
            return redirect(url_for("counting.home"))  # the counting room is all a counter sees
        if user.role == "chair" and not request.args.get("next"):
            # Straight to the console of the session under way; the sessions list otherwise.
            session = sessions.session_day(user)
            if session is not None:
                return redirect(url_for("chair.screen", ref=session.slug))
            return redirect(url_for("admin.home"))
        return redirect(_safe_next(request.args.get("next")))
    user = current_user()
    if user is not None:
        if user.role == "counter" and not request.args.get("next"):
            return redirect(url_for("counting.home"))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", username="")


@bp.route("/logout", methods=["POST"])
@transactional
def logout():
    """End the staff session."""
    logout_user()
    flash(gettext("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@role_required("staff", "chair", "scrutineer", "counter")
@transactional_post
def change_password():
    """Any staff user changes their own password; their other logins end."""
    user = current_user()
    if request.method == "POST":
        accounts.change_password(user, request.form.get("current", ""),
                                 request.form.get("new", ""), request.form.get("repeat", ""))
        login_user(user)  # this browser stays logged in; every other login of the account ends
        flash(gettext("密码已修改。其他电脑上的登录已全部退出。"), "info")
        return redirect(url_for("counting.home" if user.role == "counter" else "admin.home"))
    return render_template("auth/password.html")

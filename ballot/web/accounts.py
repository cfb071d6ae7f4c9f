"""账号管理: the admin creates, scopes, disables, enables and resets staff accounts.

Admins only. A password an admin sets (typed or generated) is shown once, on the page that
answers the POST, and never stored or logged in plain; the user must change it at first login.
Disabling and resetting go through the confirmation page, like every destructive step.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ballot.domain.errors import N_, InvalidInput
from ballot.i18n import gettext
from ballot.models.accounts import ROLE_LABELS, ROLES
from ballot.services import accounts
from ballot.unit_of_work import transactional
from ballot.web import confirm
from ballot.web.guards import current_user, role_required

bp = Blueprint("accounts", __name__, url_prefix="/admin/accounts")
ADMIN = ("admin",)


def _list():
    return redirect(url_for("accounts.index"))


def _warn_unknown_congress(congress: str | None) -> None:
    if congress and not accounts.congress_has_sessions(congress):
        flash(gettext("提示：目前还没有“%(congress)s”的会议。请核对名称与会议设置中的“人大（所属）”"
                      "一字不差，否则该账号看不到任何会议。", congress=congress), "info")


@bp.get("/")
@role_required(*ADMIN)
def index():
    """Every account: role, scope, active or disabled, last login; the new-account form."""
    return render_template("accounts/index.html", users=accounts.list_users(), roles=ROLES,
                           congresses=accounts.known_congresses(), me=current_user(), form={})


@bp.post("/")
@role_required(*ADMIN)
@transactional
def create():
    """Create an account with a typed or generated initial password, shown once on the answer."""
    form = request.form
    role = form.get("role", "")
    typed = form.get("password", "")
    if form.get("password_mode", "generate") == "typed":
        if not typed:
            raise InvalidInput(N_("请输入初始密码，或选择“自动生成”。"))
        password = typed
    else:
        password = accounts.generate_password()
    user = accounts.create_user(form.get("username", "")[:200], password, role,
                                current_user().username, congress=form.get("congress"),
                                display_name=form.get("display_name", ""),
                                must_change_password=True)
    _warn_unknown_congress(user.congress)
    return render_template("accounts/password_shown.html", user=user, password=password,
                           created=True)


@bp.post("/<int:uid>/scope")
@role_required(*ADMIN)
@transactional
def scope(uid: int):
    """Limit an account to one congress, or to none (every congress)."""
    user = accounts.get_user(uid)
    accounts.set_scope(user, request.form.get("congress"), current_user())
    flash(gettext("已更新“%(name)s”的可见范围：%(scope)s。", name=user.username,
                  scope=user.congress or gettext("全部人大")), "info")
    _warn_unknown_congress(user.congress)
    return _list()


@bp.post("/<int:uid>/disable")
@role_required(*ADMIN)
@transactional
def disable(uid: int):
    """Disable an account (asks first): no login works, its open logins end at once."""
    user = accounts.get_user(uid)
    if not confirm.confirmed():
        return confirm.ask(gettext("停用账号“%(name)s”", name=user.username),
                           gettext("%(name)s（%(role)s）将不能再登录；正在使用的登录立即退出。"
                                   "以后可以重新启用。", name=user.label,
                                   role=gettext(ROLE_LABELS[user.role])),
                           gettext("确认停用"), url_for("accounts.index"))
    accounts.disable_user(user, current_user())
    flash(gettext("账号“%(name)s”已停用。", name=user.username), "info")
    return _list()


@bp.post("/<int:uid>/enable")
@role_required(*ADMIN)
@transactional
def enable(uid: int):
    """Let a disabled account log in again."""
    user = accounts.get_user(uid)
    accounts.enable_user(user, current_user())
    flash(gettext("账号“%(name)s”已重新启用。", name=user.username), "info")
    return _list()


@bp.post("/<int:uid>/reset-password")
@role_required(*ADMIN)
@transactional
def reset_password(uid: int):
    """Give an account a new temporary password (asks first), shown once."""
    user = accounts.get_user(uid)
    if not confirm.confirmed():
        return confirm.ask(gettext("重置“%(name)s”的密码", name=user.username),
                           gettext("将为 %(name)s 生成新的临时密码，原密码立即失效，"
                                   "其正在使用的登录全部退出；下次登录时须改为自己的密码。",
                                   name=user.label),
                           gettext("确认重置"), url_for("accounts.index"))
    password = accounts.reset_password(user, current_user())
    return render_template("accounts/password_shown.html", user=user, password=password,
                           created=False)


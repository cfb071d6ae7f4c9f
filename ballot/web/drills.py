"""Rehearsal pages: clone a session as a drill (演练), reset a drill, delete a drill."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for

from ballot.domain.errors import NotADrill
from ballot.i18n import gettext
from ballot.services import rehearsals
from ballot.unit_of_work import transactional
from ballot.web import confirm
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("drills", __name__, url_prefix="/admin/sessions/<ref>/drill")


def _session_url(slug: str, anchor: str = "drill") -> str:
    return url_for("admin.session_page", ref=slug) + f"#{anchor}"


@bp.post("/clone")
@role_required("staff")
@transactional
def clone(ref: str):
    """Copy this session's settings, candidates and roster into a new drill with its own key."""
    source = load_session(ref)
    drill = rehearsals.clone_as_drill(source, current_user().username,
                                      current_app.config["KEY_ENCRYPTION_SECRET"])
    flash(gettext("已创建演练场次“%(slug)s”：名册和候选项目与原会议相同，使用自己的会议密钥和代表证。"
                  "下一步：打印演练代表证、配对签到机和投票机、开始签到。", slug=drill.slug), "info")
    return redirect(_session_url(drill.slug, "actions"))


@bp.post("/reset")
@role_required("staff")
@transactional
def reset(ref: str):
    """Put a drill back to before check-in (asks first)."""
    session = load_session(ref)
    if not session.is_drill:
        raise NotADrill(title=session.title)
    if not confirm.confirmed():
        return confirm.ask(
            gettext("重置演练场次“%(slug)s”", slug=session.slug),
            gettext("将清除本场演练的全部签到记录、选票、计票和结果，会议回到签到开始之前，并生成新的会议密钥。"
                    "名册、候选项目、已打印的演练代表证和已配对的签到机、投票机保留，可以直接再演练一次。"),
            gettext("确认重置"), _session_url(session.slug))
    rehearsals.reset_drill(session, current_user().username,
                           current_app.config["KEY_ENCRYPTION_SECRET"])
    flash(gettext("演练已重置：签到、选票和结果已清除，可以重新开始签到。"), "info")
    return redirect(_session_url(session.slug, "actions"))


@bp.post("/delete")
@role_required("staff")
@transactional
def delete(ref: str):
    """Delete a drill with its roster, ballots and kiosks (asks first)."""
    session = load_session(ref)
    if not session.is_drill:
        raise NotADrill(title=session.title)
    if not confirm.confirmed():
        return confirm.ask(
            gettext("删除演练场次“%(slug)s”", slug=session.slug),
            gettext("将永久删除本场演练及其名册、候选项目、选票和结果；为它配对的签到机、投票机随之停用，"
                    "需要重新配对才能用于其他会议。操作记录保留在审计日志中。此操作不能撤销。"),
            gettext("确认删除"), _session_url(session.slug))
    slug = session.slug
    rehearsals.delete_drill(session, current_user().username)
    flash(gettext("演练场次“%(slug)s”已删除，它的签到机和投票机已停用。", slug=slug), "info")
    return redirect(url_for("admin.home"))

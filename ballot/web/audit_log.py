"""The audit log page: staff actions, newest first, filtered by session, actor and action.

Admins read every entry (logins included); staff read the entries of their own congress's
sessions. The log holds no token, ballot id, tracking code or choice (see ballot/models/audit.py).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ballot.domain.errors import N_
from ballot.services import audit, sessions
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("audit_log", __name__, url_prefix="/admin/audit")
PER_PAGE = 50

ACTION_LABELS = {
    "user.create": N_("创建账号"), "user.login": N_("登录"), "user.login_failed": N_("登录失败"),
    "user.login_disabled": N_("已停用账号尝试登录"), "user.scope": N_("修改账号可见范围"),
    "user.disable": N_("停用账号"), "user.enable": N_("启用账号"),
    "user.password_reset": N_("重置账号密码"), "user.password_changed": N_("修改密码"),
    "session.create": N_("创建会议"), "session.update": N_("修改会议设置"),
    "session.scrutiny": N_("设置监票计票人员"), "session.state": N_("会议状态变更"),
    "session.key_created": N_("生成会议密钥"),
    "candidate.add": N_("添加候选项目"), "candidate.update": N_("修改候选项目"),
    "candidate.delete": N_("删除候选项目"), "candidate.move": N_("调整候选项目顺序"),
    "candidate.import": N_("导入候选项目"),
    "delegate.add": N_("添加代表"), "delegate.update": N_("修改代表信息"),
    "delegate.remove": N_("删除代表"), "delegate.import": N_("导入代表名册"),
    "delegate.leave": N_("代表请假"), "delegate.leave_cleared": N_("取消请假"),
    "card.issue": N_("制发代表证"), "card.reissue": N_("补发代表证"),
    "card.issue_all": N_("批量制发代表证"),
    "kiosk.create": N_("创建设备配对码"), "kiosk.enrol": N_("设备完成配对"),
    "kiosk.revoke": N_("停用设备"), "kiosk.language": N_("设定设备语言"),
    "checkin.kiosk": N_("签到机签到"), "checkin.staff": N_("人工签到"),
    "checkin.undo": N_("撤销签到"), "ballot.release": N_("释放选票"),
    "ballot.return": N_("投票机收回未投选票"), "ballot.reissue": N_("投票机重新发放选票"),
    "box.seal": N_("封箱"), "box.reseal": N_("重新封箱"), "box.unseal": N_("封箱作废"),
    "box.partial": N_("监票人出示密钥卡开箱"),
    "ballot.issue_paper": N_("发放纸质选票"),
    "round.open": N_("开始投票"), "round.close": N_("结束投票"), "round.count": N_("计票"),
    "round.tie_break": N_("再次投票"), "round.leave_empty": N_("名额空缺"),
    "result.scrutineer_confirmed": N_("总监票人确认"), "result.chair_confirmed": N_("主持人确认"),
    "result.published": N_("公布结果"),
    "tracking.opened": N_("建立项目跟踪"), "tracking.plan_updated": N_("修改项目实施计划"),
    "tracking.report_posted": N_("发布项目进展"), "tracking.rated": N_("录入满意度测评结果"),
}


def _page_number() -> int:
    text = request.args.get("page", "1")
    return int(text) if text.isascii() and text.isdigit() else 1


@bp.get("/")
@role_required("staff")
def log():
    """The audit log, newest first; ``session``, ``actor``, ``action`` and ``page`` filter it."""
    user = current_user()
    visible = sessions.visible_session_ids(user)
    ref = request.args.get("session", "").strip()
    chosen = load_session(ref) if ref else None
    actor = request.args.get("actor", "").strip()[:80]
    action = request.args.get("action", "").strip()[:60]
    found = audit.query(visible, session_id=chosen.id if chosen else None, actor=actor,
                        action=action, page=_page_number(), per_page=PER_PAGE)
    listed = sessions.list_sessions(user)
    return render_template(
        "audit/log.html", found=found, sessions=listed, by_id={s.id: s for s in listed},
        chosen=chosen, actor=actor, action=action, actions=audit.actions(visible),
        action_labels=ACTION_LABELS,
    )

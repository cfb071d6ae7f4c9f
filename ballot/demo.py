"""A realistic demo session: 示范镇, 60 delegates in five delegations, 12 projects for 10 slots."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from ballot.domain.errors import NotFound
from ballot.extensions import db
from ballot.models import Candidate, Delegate, User
from ballot.services import accounts, rehearsals, sessions

SLUG = "demo"
TITLE = "示范镇第十八届人民代表大会第五次会议"
CONGRESS = "示范镇人大"

PROJECTS = [
    ("镇中心小学教学楼改扩建", "新建四层教学综合楼一栋，新增学位 540 个，配套运动场改造。", "教育", "镇教育办", "1850", "代表建议"),
    ("农村生活污水治理提升", "完成 6 个行政村生活污水管网铺设和终端设施建设，惠及 2300 户。", "生态环境", "镇生态环境办", "1260", "群众征集"),
    ("镇卫生院发热门诊和急诊改造", "改造发热门诊、急诊区域，添置救护车一辆、DR 一台。", "医疗卫生", "镇卫生院", "780", "部门提出"),
    ("居家养老服务中心建设", "建设镇级居家养老服务中心一处、村级助餐点 8 个。", "养老服务", "镇民政办", "620", "代表建议"),
    ("农村道路提档升级", "改造提升农村公路 18 公里，增设安保设施和路灯 420 盏。", "交通", "镇交通办", "2100", "群众征集"),
    ("集镇农贸市场改造", "改造农贸市场 3200 平方米，完善排水、消防和智慧计量设施。", "民生服务", "镇市场监管所", "560", "群众征集"),
    ("饮用水安全巩固提升", "更换老旧供水管网 26 公里，新建加压泵站 2 座。", "水利", "镇水务站", "980", "部门提出"),
    ("公共停车场建设", "在集镇新建公共停车场两处，新增停车位 360 个、充电桩 40 个。", "交通", "镇规划建设办", "450", "网络征集"),
    ("幼儿园扩容提质", "新增公办幼儿园学位 270 个，改造户外活动场地。", "教育", "镇教育办", "730", "代表建议"),
    ("全民健身场地建设", "建设 10 个村级健身广场和 1 个笼式足球场。", "文化体育", "镇文化站", "310", "群众征集"),
    ("背街小巷改造", "改造背街小巷 32 条，同步改造雨污分流和通信管线。", "城乡建设", "镇规划建设办", "890", "网络征集"),
    ("困难群众就业帮扶", "开发公益性岗位 120 个，开展技能培训 1500 人次。", "就业", "镇社会事务办", "260", "部门提出"),
]

DELEGATIONS = ["第一代表组（城区）", "第二代表组（东片）", "第三代表组（西片）", "第四代表组（南片）", "第五代表组（企业界）"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
GIVEN = ["建国", "秀英", "志强", "桂兰", "海燕", "国华", "丽娟", "永红", "俊杰", "春梅", "德明", "晓东",
         "玉珍", "伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超",
         "霞", "平", "刚"]

DEMO_USERS = [
    ("admin", "admin", "系统管理员"),
    ("staff", "staff", "会务组 李文"),
    ("chair", "chair", "大会主持人 王建华"),
    ("scrutineer", "scrutineer", "陈立"),  # the demo session's 总监票人: only they may confirm
]


def delegate_rows(count: int = 60) -> list[dict]:
    """Deterministic, plausible delegate rows: name, delegation, seat."""
    rows = []
    for index in range(count):
        name = SURNAMES[(index * 7) % len(SURNAMES)] + GIVEN[(index * 11) % len(GIVEN)]
        rows.append({
            "name": name,
            "delegation": DELEGATIONS[index % len(DELEGATIONS)],
            "seat": f"{index // 10 + 1}排{index % 10 + 1:02d}座",
        })
    return rows


def seed(actor: str = "demo") -> tuple[bool, dict[str, str]]:
    """Create the demo session if missing and (re)set demo passwords; return (created, logins)."""
    logins: dict[str, str] = {}
    for username, role, display in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        user = accounts.find_user(username)
        if user is None:
            accounts.create_user(username, password, role, actor,
                                 congress=None if role == "admin" else CONGRESS, display_name=display)
        else:
            user.set_password(password)
        logins[username] = password
    created = False
    existing = db.session.execute(db.select(User).where(User.username == "staff")).scalar_one()
    try:
        sessions.get_session(SLUG)
    except NotFound:
        created = True
        session = sessions.create_session(
            {
                "title": TITLE, "congress": CONGRESS, "level": "乡镇",
                "date": dt.date(2027, 1, 15), "year": 2027, "quota": 10, "contested": True,
                "min_excess_ratio": Decimal("0.20"), "pass_basis": "roster",
                "chief_scrutineer": "陈立", "scrutineers": "赵敏、孙伟", "counters": "周静、吴磊",
                "is_drill": True,
            },
            SLUG,
            existing.username,
        )
        for position, (title, summary, category, department, budget, source) in enumerate(
            PROJECTS, start=1
        ):
            db.session.add(Candidate(session_id=session.id, position=position, title=title,
                                     summary=summary, category=category, department=department,
                                     budget=Decimal(budget), source=source))
        for order, row in enumerate(delegate_rows(), start=1):
            db.session.add(Delegate(session_id=session.id, roster_order=order, **row))
        db.session.flush()
    return created, logins


def remove(actor: str = "demo") -> str | None:
    """Delete the demo session (a drill) with its kiosks, ballots and result; its short name or
    None when there was none. A real session that took the demo's short name is left alone."""
    try:
        session = sessions.get_session(SLUG)
    except NotFound:
        return None
    rehearsals.delete_drill(session, actor)
    return SLUG

"""A realistic demo: 示范镇, 60 delegates in five delegations, 12 projects for 10 slots.

Two drills (演练): this year's session, ready to run, and last year's, voted, published and
tracked through the year (plans, progress reports with photos, year-end 测评 results, one
project rated 不满意 and under rectification), so a newcomer sees the whole chain.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from flask import current_app

from ballot.domain import tally
from ballot.domain.errors import NotFound
from ballot.domain.fields import (
    RatingCounts,
    RatingPlan,
    ReportFields,
    SessionSettings,
    TrackingPlan,
)
from ballot.domain.states import State
from ballot.extensions import db
from ballot.models import Candidate, Delegate, Kiosk, User, utcnow
from ballot.services import (
    accounts,
    box,
    candidates,
    checkin,
    credentials,
    opening,
    rating_sessions,
    rehearsals,
    results,
    rounds,
    sessions,
    tracking,
    voting,
)

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
    # Names only: pages put the role before them ("总监票人：陈立").
    ("chair", "chair", "王建华"),
    ("scrutineer", "scrutineer", "陈立"),  # the demo session's 总监票人: only they may confirm
    # The session's two 计票人: paper ballots are entered twice, by two accounts (/count/).
    ("counter1", "counter", "周静"),
    ("counter2", "counter", "吴磊"),
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
            SessionSettings(
                title=TITLE, congress=CONGRESS, level="乡镇", date=dt.date(2027, 1, 15),
                year=2027, quota=10, contested=True, min_excess_ratio=Decimal("0.20"),
                pass_basis="roster", chief_scrutineer="陈立", scrutineers="赵敏、孙伟",
                counters="周静、吴磊", is_drill=True),
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
    if _missing(PAST_SLUG):
        seed_past_year(existing.username)
    if _missing(RATING_SLUG):
        seed_rating(existing.username)
    return created, logins


RATING_SLUG = "demo-2026-rating"
RATING_TITLE = "示范镇2026年度民生实事项目满意度测评"


def seed_rating(actor: str) -> None:
    """This year's 满意度测评 (a drill) on last year's chosen projects: roster imported, list
    locked, box sealed (drill shares kept) and check-in open, so a newcomer can check delegates
    in, open voting and rate the projects at a kiosk; publishing it re-rates the projects."""
    session = rating_sessions.create_from(
        sessions.get_session(PAST_SLUG),
        RatingPlan(title=RATING_TITLE, date=dt.date(2027, 1, 15), slug=RATING_SLUG, is_drill=True),
        actor)
    for order, row in enumerate(delegate_rows(), start=1):
        db.session.add(Delegate(session_id=session.id, roster_order=order, **row))
    db.session.flush()
    candidates.lock_list(session, actor, current_app.config["KEY_ENCRYPTION_SECRET"])
    sessions.transition(session, State.CHECKIN, actor)
    box.seal(session, actor, reprint=False)


def _missing(slug: str) -> bool:
    try:
        sessions.get_session(slug)
    except NotFound:
        return True
    return False


PAST_SLUG = "demo-2026"
PAST_TITLE = "示范镇第十八届人民代表大会第四次会议"
PAST_PROJECTS = [
    ("镇区雨污分流改造", "改造镇区雨污管网 14 公里。", "城乡建设", "镇规划建设办", "1380"),
    ("中小学校园安全提升", "校园监控、护学岗和校门口减速设施全覆盖。", "教育", "镇教育办", "420"),
    ("村级卫生室标准化建设", "新建、改造村卫生室 9 个，配齐基本设备。", "医疗卫生", "镇卫生院", "510"),
    ("长者食堂建设", "建设长者食堂 6 个，为 70 岁以上老人提供助餐。", "养老服务", "镇民政办", "360"),
    ("农村公路安全生命防护工程", "完善急弯陡坡护栏和警示标志 40 公里。", "交通", "镇交通办", "880"),
    ("集镇公厕新建改造", "新建、改造公厕 12 座。", "城乡建设", "镇环卫所", "300"),
    ("农田水利设施修复", "修复灌溉渠道 22 公里、泵站 5 座。", "水利", "镇农业农村办", "760"),
    ("社区文化活动中心", "建设社区文化活动中心 2 个。", "文化体育", "镇文化站", "450"),
    ("菜市场周边交通整治", "增设停车泊位 150 个，规范摊点。", "交通", "镇综合执法队", "180"),
    ("残疾人康复服务", "为 300 名残疾人提供上门康复服务。", "民生服务", "镇残联", "150"),
    ("河道清淤整治", "清淤整治河道 8 公里。", "生态环境", "镇水务站", "620"),
    ("智慧安防小区", "为 10 个老旧小区安装门禁和监控。", "民生服务", "镇派出所", "390"),
]
# 赞成 per project in the demo's 55 ballots: distinct, no tie at the cutoff, the top ten pass.
PAST_FORS = [52, 50, 48, 46, 44, 42, 40, 38, 36, 34, 29, 27]
PAST_PRESENT = 55
# Completion at year end (percent) where the project is not finished; the rest are at 100.
PAST_FINAL = {5: 90, 7: 85, 10: 65}
# Year-end 测评 (counts as recorded from the paper 测评): the 8th is rated 不满意.
PAST_RATINGS = {1: (41, 11, 3), 2: (38, 14, 3), 3: (35, 15, 5), 4: (44, 9, 2), 5: (26, 21, 8),
                6: (33, 16, 6), 7: (30, 18, 7), 8: (10, 16, 29), 9: (36, 13, 6), 10: (40, 10, 5)}


def past_ballots(count: int = PAST_PRESENT) -> list[dict[str, str]]:
    """Deterministic valid ballots giving PAST_FORS: each 赞成 goes to the least-loaded voter,
    so no ballot holds more 赞成 than the ten slots; the other marks alternate 反对/弃权."""
    ballots: list[dict[str, str]] = [{} for _ in range(count)]
    for position, fors in enumerate(PAST_FORS, start=1):
        code = f"{position:02d}"
        order = sorted(range(count), key=lambda i: (sum(v == tally.FOR for v in ballots[i].values()),
                                                    (i * 7 + position) % count))
        for rank, index in enumerate(order):
            ballots[index][code] = tally.FOR if rank < fors else (
                tally.AGAINST if (index + position) % 3 else tally.ABSTAIN)
    return ballots


def seed_past_year(actor: str) -> None:
    """Last year's session, voted at a simulated kiosk, published, and tracked all year."""
    secret = current_app.config["KEY_ENCRYPTION_SECRET"]
    session = sessions.create_session(
        SessionSettings(
            title=PAST_TITLE, congress=CONGRESS, level="乡镇", date=dt.date(2026, 1, 16),
            year=2026, quota=10, contested=True, min_excess_ratio=Decimal("0.20"),
            pass_basis="roster", chief_scrutineer="陈立", scrutineers="赵敏、孙伟",
            counters="周静、吴磊", is_drill=True),
        PAST_SLUG, actor)
    for position, (title, summary, category, department, budget) in enumerate(PAST_PROJECTS, 1):
        db.session.add(Candidate(session_id=session.id, position=position, title=title,
                                 summary=summary, category=category, department=department,
                                 budget=Decimal(budget), source="代表建议"))
    for order, row in enumerate(delegate_rows(), start=1):
        db.session.add(Delegate(session_id=session.id, roster_order=order, **row))
    db.session.flush()
    db.session.refresh(session)
    candidates.lock_list(session, actor, secret)
    sessions.transition(session, State.CHECKIN, actor)
    # Sealed in front of the scrutineers on the day; the demo's key cards are not kept.
    box.seal(session, actor, reprint=False)
    present = sorted(session_delegates(session), key=lambda d: d.roster_order)[:PAST_PRESENT]
    for delegate in present:
        checkin.staff_check_in(session, delegate, actor, "演示数据")
    chair = accounts.find_user("chair")
    scrutineer = accounts.find_user("scrutineer")
    rounds.open_voting(session, chair.username)
    kiosk = Kiosk(session_id=session.id, name="演示投票机", mode="voting", enrolled_at=utcnow())
    db.session.add(kiosk)
    db.session.flush()
    cards = credentials.issue_cards(session, present, actor)
    for card, choices in zip(cards, past_ballots(), strict=True):
        token, _ = voting.issue_ballot(session, kiosk, card)
        voting.cast_ballot(session, kiosk, token, choices)
    rounds.close_round(session, chair.username)
    opening.open_with_drill_shares(session, scrutineer.username)
    results.confirm_as_scrutineer(session, scrutineer)
    results.publish_as_chair(session, chair)
    _track_past_year(session, actor)


def session_delegates(session) -> list[Delegate]:
    """The session's roster rows."""
    return list(db.session.execute(
        db.select(Delegate).where(Delegate.session_id == session.id)).scalars())


def _track_past_year(session, actor: str) -> None:
    """A year of tracking: plans, quarterly reports with a photo, the 测评 and one 整改."""
    names = [row["name"] for row in delegate_rows()]
    for rank, project in enumerate(tracking.projects(session), start=1):
        tracking.update_plan(session, project, TrackingPlan(
            responsible_unit=project.responsible_unit, budget=project.budget,
            milestones="2026-03 完成立项和招标\n2026-06 开工建设\n2026-11 完工验收",
            supervisors="、".join(names[(rank * 5 + i) % len(names)] for i in range(3)),
        ), actor)
        budget = project.budget or Decimal(0)
        final = PAST_FINAL.get(rank, 100)
        steps = [(25, "已完成立项、设计和招标，施工单位进场。"),
                 (min(70, final), "主体工程基本完成，监督小组现场查看。"),
                 (final, "已完工并通过验收，投入使用。" if final == 100
                  else "受征地协调影响进度滞后，监督小组已督促承办单位调整计划。")]
        for number, (percent, text) in enumerate(steps):
            tracking.post_report(session, project, ReportFields(
                text=text, percent_done=percent,
                budget_spent=(budget * percent / 100).quantize(Decimal("0.01")),
            ), [(demo_photo(rank, percent), "现场.jpg")] if number > 0 else [], actor)
        satisfied, basically, dissatisfied = PAST_RATINGS[rank]
        tracking.record_rating(session, project, RatingCounts(
            satisfied=satisfied, basically=basically, dissatisfied=dissatisfied,
            cast=PAST_PRESENT, source="2026 年 12 月人代会满意度测评（纸质）"), actor)
        if project.rectification:
            tracking.post_report(session, project, ReportFields(
                text="针对代表提出的开放时间短、活动少的问题，延长开放时间至晚九点，"
                     "每月组织两场文化活动。", percent_done=100,
                kind="rectification"), [], actor)


def demo_photo(rank: int, percent: int) -> bytes:
    """A small generated picture standing in for a site photo (no real photos in the repo)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), (120 + rank * 9 % 100, 150, 110 + rank * 13 % 120))
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 160, 420, 320), fill=(200, 200, 190))
    draw.polygon([(40, 170), (240, 60), (440, 170)], fill=(170, 60, 50))
    draw.rectangle((60, 330, 60 + int(360 * percent / 100), 345), fill=(30, 120, 60))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def remove(actor: str = "demo") -> str | None:
    """Delete the demo sessions (drills) with their kiosks, ballots, results and tracking; the
    demo's short name or None when there was none. A real session that took a demo short name
    is left alone (delete_drill refuses it)."""
    removed = None
    for slug in (RATING_SLUG, PAST_SLUG, SLUG):
        try:
            session = sessions.get_session(slug)
        except NotFound:
            continue
        rehearsals.delete_drill(session, actor)
        removed = removed or (SLUG if slug == SLUG else None)
    return removed

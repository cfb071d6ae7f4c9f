"""What comes next for a session, from plain facts: the session page's "下一步" list.

Pure: no Flask, no database. Each step has a key (the page links it to the screen where it is
done), a label and whether it is already done, so the office always sees the whole way ahead
of the current state and what is still open in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ballot.domain.errors import N_
from ballot.domain.states import State


@dataclass(frozen=True)
class Progress:
    """The facts the steps depend on."""

    state: str
    roster_size: int = 0
    candidates_short: int = 0  # candidates still missing for the excess ratio
    carded: int = 0  # delegates holding a card
    checkin_kiosks: int = 0
    voting_kiosks: int = 0
    quorum_met: bool = False
    pending_tie: bool = False
    scrutineer_confirmed: bool = False
    box_sealed: bool = False
    awaiting_opening: bool = False  # the last round closed, its box not yet opened
    rating: bool = False  # a 满意度测评: it lists projects to rate, with no excess ratio
    projects: int = 0  # the projects listed
    awaiting_paper: bool = False  # the last round closed with paper ballots not yet entered


@dataclass(frozen=True)
class Step:
    """One thing to do: ``key`` names the screen, ``done`` whether it is already done."""

    key: str
    label: str
    done: bool = False


def next_steps(p: Progress) -> list[Step]:
    """The steps of the current state, in the order an office does them."""
    if p.state == State.DRAFT and p.rating:
        return [Step("roster", N_("导入或录入代表名册"), p.roster_size > 0),
                Step("candidates", N_("核对测评项目（可删去不测评的项目）"), p.projects > 0),
                Step("lock", N_("锁定测评项目名单（生成会议密钥）"))]
    if p.state == State.DRAFT:
        return [Step("roster", N_("导入或录入代表名册"), p.roster_size > 0),
                Step("candidates", N_("导入候选项目（满足差额比例）"), p.candidates_short == 0),
                Step("lock", N_("锁定候选名单（生成会议密钥）"))]
    if p.state == State.LOCKED:
        return [Step("cards", N_("打印代表证并发给代表"), p.roster_size > 0 and p.carded >= p.roster_size),
                Step("checkin_kiosks", N_("配对签到机"), p.checkin_kiosks > 0),
                Step("voting_kiosks", N_("配对投票机"), p.voting_kiosks > 0),
                Step("rehearse", N_("会前演练（可选）：复制为演练场次，试一遍签到和投票")),
                Step("open_checkin", N_("开始签到"))]
    if p.state == State.CHECKIN:
        return [Step("desk", N_("签到台：人工签到、请假、补发代表证")),
                Step("quorum", N_("实到人数超过应到半数"), p.quorum_met),
                Step("voting_kiosks", N_("配对投票机"), p.voting_kiosks > 0),
                Step("seal", N_("监票人名单确定后封箱，打印监票人密钥卡"), p.box_sealed),
                Step("open_voting", N_("主持人在主持屏宣布开始投票"))]
    if p.state == State.VOTING:
        return [Step("chair", N_("主持屏：关注发出与收回的选票")),
                Step("desk", N_("签到台：处理投票机故障（释放选票）")),
                Step("close_voting", N_("全部代表投票后，主持人结束投票"))]
    if p.state == State.CLOSED:
        steps = []
        if p.awaiting_paper:
            steps.append(Step("paper", N_("计票人在计票室两遍录入纸质选票，监票人核定不一致的选票并完成录入")))
        if p.awaiting_opening:
            steps.append(Step("open_box", N_("监票人在监票核对页依次出示密钥卡，开箱计票")))
        if p.pending_tie:
            steps.append(Step("tie", N_("有项目同票跨越入选线：主持人决定再次投票或名额空缺")))
        steps += [Step("scrutiny", N_("总监票人核对计票并确认"), p.scrutineer_confirmed),
                  Step("publish", N_("主持人宣布并公布结果")),
                  Step("records", N_("导出结果记录（PDF）供签字盖章"))]
        return steps
    if p.state == State.PUBLISHED:
        return [Step("records", N_("打印结果记录（PDF），由主持人、监票人、计票人签字并盖章")),
                Step("announcement", N_("下载 Word 公告，编辑、盖章后发布")),
                Step("public", N_("公开结果页和审计包已可供查阅")),
                Step("verify", N_("请监票人用会上宣读的指纹核验审计包"))]
    return []

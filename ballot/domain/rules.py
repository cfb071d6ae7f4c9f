"""Session rules: the excess (差额) ratio, the quorum, and lifecycle readiness checks."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ballot.domain.errors import N_, render_message
from ballot.domain.states import State
from ballot.domain.tally import (  # noqa: F401  (PASS_BASES, pass_threshold: rules of a session)
    PASS_BASES,
    PASS_BASIS_PRESENT,
    PASS_BASIS_ROSTER,
    pass_threshold,
)

# Lifecycle, in order. Tie-break rounds go from CLOSED back to VOTING.
STATES = tuple(State)
STATE_LABELS = {
    State.DRAFT: N_("草稿"),
    State.LOCKED: N_("候选名单已锁定"),
    State.CHECKIN: N_("签到中"),
    State.VOTING: N_("投票中"),
    State.CLOSED: N_("投票结束"),
    State.PUBLISHED: N_("已公布"),
}
TRANSITIONS = {
    (State.DRAFT, State.LOCKED),
    (State.LOCKED, State.DRAFT),
    (State.LOCKED, State.CHECKIN),
    (State.CHECKIN, State.VOTING),
    (State.VOTING, State.CLOSED),
    (State.CLOSED, State.VOTING),  # a tie-break round (再次投票)
    (State.CLOSED, State.PUBLISHED),
}
LEVELS = (N_("乡镇"), N_("县"), N_("市"))
# The bases and the threshold are the count's (tally, which the offline verifier runs too).
PASS_BASIS_LABELS = {PASS_BASIS_ROSTER: N_("全体代表过半数"), PASS_BASIS_PRESENT: N_("实到代表过半数")}
DEFAULT_EXCESS_RATIO = Decimal("0.20")


@dataclass(frozen=True)
class Problem:
    """One thing standing in the way, with what to do about it."""

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, translate=None) -> str:
        """The message with its parameters, translated when given a gettext."""
        return render_message(self.message, self.params, translate)


def same_person_name(a: str, b: str) -> bool:
    """Whether two typed names are the same: Unicode-normalised (NFKC), whitespace ignored, so
    "陈 立" and full-width letters match; empty names match nothing."""
    def key(name: str) -> str:
        return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()

    return bool(key(a)) and key(a) == key(b)


def required_candidates(quota: int, min_ratio: Decimal | Fraction | str, contested: bool) -> int:
    """The fewest candidates a locked list may hold: ceil(N × (1 + r)), or N when 等额.

    Exact arithmetic: with floats, 10 × 1.2 is 12.000000000000002 and would demand 13.
    """
    if not contested:
        return quota
    return math.ceil(quota * (1 + Fraction(str(min_ratio))))


def excess_ratio(candidates: int, quota: int) -> Fraction:
    """The excess ratio as shown to users: (candidates − N) / N."""
    if quota <= 0:
        raise ValueError("quota must be positive")
    return Fraction(candidates - quota, quota)


def format_ratio(ratio: Fraction | Decimal | str) -> str:
    """A ratio as a percentage with at most two decimals: 0.2 → "20%", 67/294 → "22.79%"."""
    percent = Fraction(str(ratio)) * 100 if not isinstance(ratio, Fraction) else ratio * 100
    rounded = Decimal(percent.numerator) / Decimal(percent.denominator)
    text = f"{rounded.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return f"{text}%"


def quorum_needed(expected: int) -> int:
    """How many must be present for a quorum: more than half of 应到."""
    return expected // 2 + 1


def quorum_met(expected: int, present: int) -> bool:
    """True when more than half of the delegates on the roster are present."""
    return expected > 0 and present * 2 > expected


def checkin_open(state: str, late_checkin: bool) -> bool:
    """Whether delegates may check in: during 签到中, and while voting is open when the session
    takes late arrivals (they are recorded as late and vote before the close)."""
    return state == State.CHECKIN or (state == State.VOTING and late_checkin)


@dataclass(frozen=True)
class SessionCounts:
    """A session's attendance and list: 实到, 请假, 未到, candidates; 应到 and the quorum
    follow from them."""

    present: int
    leave: int
    absent: int
    candidates: int

    @property
    def expected(self) -> int:
        """应到: everyone on the roster."""
        return self.present + self.leave + self.absent

    @property
    def quorum_needed(self) -> int:
        """How many must be present for a quorum."""
        return quorum_needed(self.expected)

    @property
    def quorum_met(self) -> bool:
        """More than half of 应到 present."""
        return quorum_met(self.expected, self.present)

    def to_dict(self) -> dict[str, int | bool]:
        """Every count by name, as the API and the pages show them."""
        return {"expected": self.expected, "present": self.present, "leave": self.leave,
                "absent": self.absent, "candidates": self.candidates,
                "quorum_needed": self.quorum_needed, "quorum_met": self.quorum_met}


@dataclass(frozen=True)
class SessionFacts:
    """What readiness checks need to know about a session, as plain values."""

    state: str
    quota: int
    contested: bool
    min_excess_ratio: Decimal
    candidate_count: int
    untitled_candidates: int = 0
    delegate_count: int = 0
    present_count: int = 0
    voting_kiosks: int = 0
    has_key: bool = False
    box_sealed: bool = False
    pending_tie: bool = False
    result_ready: bool = False
    chief_scrutineer_confirmed: bool = False
    chair_confirmed: bool = False


def candidate_list_problems(facts: SessionFacts) -> list[Problem]:
    """Problems with the candidate list under the session's 差额/等额 rule."""
    problems: list[Problem] = []
    if facts.quota < 1:
        problems.append(Problem("quota_missing", N_("应选项目数须至少为 1，请在会议设置中填写。")))
        return problems
    required = required_candidates(facts.quota, facts.min_excess_ratio, facts.contested)
    if facts.contested and facts.candidate_count < required:
        problems.append(
            Problem(
                "candidate_list_too_short",
                N_("候选项目不足：应选 %(quota)s 个，差额比例不低于 %(ratio)s，至少需要 %(required)s 个候选项目，现有 %(count)s 个，还需至少 %(missing)s 个。"),
                {
                    "quota": facts.quota,
                    "ratio": format_ratio(facts.min_excess_ratio),
                    "required": required,
                    "count": facts.candidate_count,
                    "missing": required - facts.candidate_count,
                },
            )
        )
    if not facts.contested and facts.candidate_count != facts.quota:
        problems.append(
            Problem(
                "uncontested_count_mismatch",
                N_("等额票决要求候选项目数等于应选数 %(quota)s，现有 %(count)s 个，请增删候选项目或修改应选数。"),
                {"quota": facts.quota, "count": facts.candidate_count},
            )
        )
    if facts.untitled_candidates:
        problems.append(
            Problem(
                "candidate_without_title",
                N_("有 %(count)s 个候选项目没有名称，请补全。"),
                {"count": facts.untitled_candidates},
            )
        )
    return problems


def problems_before(target: str, facts: SessionFacts) -> list[Problem]:
    """Every problem that stops ``facts.state`` → ``target``; empty when the move is allowed."""
    if (facts.state, target) not in TRANSITIONS:
        return [
            Problem(
                "illegal_transition",
                N_("会议当前处于“%(current)s”阶段，不能直接进入“%(target)s”阶段。"),
                {"current": STATE_LABELS[facts.state], "target": STATE_LABELS.get(target, target)},
            )
        ]
    problems: list[Problem] = []
    if target == State.LOCKED:
        problems += candidate_list_problems(facts)
    elif target == State.CHECKIN:
        if facts.delegate_count == 0:
            problems.append(
                Problem("roster_empty", N_("代表名册为空，请先导入或添加代表。"))
            )
        if not facts.has_key:
            problems.append(
                Problem("no_session_key", N_("会议密钥尚未生成，请重新锁定候选名单。"))
            )
    elif target == State.VOTING:
        if facts.state == State.CHECKIN and not quorum_met(facts.delegate_count, facts.present_count):
            problems.append(
                Problem(
                    "quorum_not_met",
                    N_("未达到法定人数：应到 %(expected)s 人，实到 %(present)s 人，须超过半数（至少 %(needed)s 人）。请继续签到。"),
                    {
                        "expected": facts.delegate_count,
                        "present": facts.present_count,
                        "needed": quorum_needed(facts.delegate_count),
                    },
                )
            )
        if facts.state == State.CHECKIN and not facts.box_sealed:
            problems.append(
                Problem("box_not_sealed", N_("投票箱尚未封箱：请在监票人到场后封箱，并将密钥卡交给各监票人。"))
            )
        if facts.state == State.CLOSED and not facts.pending_tie:
            problems.append(
                Problem("no_tie", N_("本轮没有跨越入选线的同票项目，无需再次投票。"))
            )
    elif target == State.PUBLISHED:
        if facts.pending_tie:
            problems.append(
                Problem(
                    "tie_pending",
                    N_("有同票项目跨越入选线：请组织再次投票，或由主持人决定该名额空缺。"),
                )
            )
        if not facts.result_ready:
            problems.append(Problem("no_result", N_("尚未计票：请先结束投票，再由监票人出示密钥卡开箱计票。")))
        if not facts.chief_scrutineer_confirmed:
            problems.append(
                Problem("scrutineer_not_confirmed", N_("总监票人尚未确认计票结果，请总监票人登录确认。"))
            )
        if not facts.chair_confirmed:
            problems.append(
                Problem("chair_not_confirmed", N_("主持人尚未确认公布，请主持人在主持屏确认。"))
            )
    return problems

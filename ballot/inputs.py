"""What users type, parsed into the typed values services take (ballot/domain/fields.py).

Settings forms, JSON bodies, command-line options and imported rows are parsed here; every bad
field is named in one clear message (InvalidInput), so services never read form text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from ballot.domain import rating, rules
from ballot.domain.errors import MESSAGE_SEPARATOR, N_, InvalidInput, Listing
from ballot.domain.fields import (
    REPORT_KINDS,
    CandidateFields,
    DelegateFields,
    RatingCounts,
    RatingPlan,
    ReportFields,
    Scrutiny,
    SessionSettings,
    TrackingPlan,
)

# A field's problem: (field, message, params), so an import can say which row and column.
Problem = tuple[str, str, dict]

CANDIDATE_LIMITS = {"title": 200, "summary": 2000, "category": 40, "department": 120, "source": 120}
DELEGATE_LIMITS = {"name": 80, "delegation": 120, "seat": 20, "phone": 40}
FORMULA_REFUSED = N_("内容不能以“=”开头（疑似公式），请改为纯文本。")
TOO_LONG = N_("内容过长（%(length)s 字），最多 %(max)s 字。")


def _refuse(problems: list[str], prefix: str = N_("会议设置有误：%(errors)s")) -> None:
    if problems:
        raise InvalidInput(prefix, errors=Listing(problems, MESSAGE_SEPARATOR))


def _text(values: Mapping, key: str, limit: int) -> str:
    return str(values.get(key) or "").strip()[:limit]


def session_settings(form: Mapping) -> SessionSettings:
    """A session's settings from its form or API body; InvalidInput lists every bad field."""
    errors: list[str] = []
    title = _text(form, "title", 200)
    if not title:
        errors.append(N_("请填写会议名称。"))
    level = str(form.get("level") or "乡镇").strip()
    if level not in rules.LEVELS:
        errors.append(N_("会议级别只能是 乡镇、县 或 市。"))
    date = None
    try:
        date = dt.date.fromisoformat(str(form.get("date") or "").strip())
    except ValueError:
        errors.append(N_("请按 2027-01-15 的格式填写会议日期。"))
    year = None
    try:
        year = int(form.get("year") or (date or dt.date.today()).year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(N_("项目年度须为整数，例如 2027。"))
    quota = None
    try:
        quota = int(str(form.get("quota") or "").strip())
        if not 1 <= quota <= 500:
            raise ValueError
    except ValueError:
        errors.append(N_("应选项目数须为 1 到 500 之间的整数。"))
    mode = str(form.get("mode") or "contested")
    if mode not in ("contested", "uncontested"):
        errors.append(N_("票决方式只能是差额或等额。"))
    contested = mode != "uncontested"
    ratio = Decimal("0.00")
    try:
        typed = Decimal(str(form.get("min_excess_ratio") or "0.20").strip().rstrip("%"))
        if typed > 1:  # typed as a percentage, e.g. "20"
            typed = typed / 100
        if not Decimal(0) <= typed <= Decimal(1):
            raise InvalidOperation
        if contested:
            ratio = typed.quantize(Decimal("0.01"))
    except InvalidOperation:
        errors.append(N_("最低差额比例须为 0 到 100% 之间的数，例如 20%。"))
    pass_basis = str(form.get("pass_basis") or rules.PASS_BASIS_ROSTER)
    if pass_basis not in rules.PASS_BASES:
        errors.append(N_("通过规则只能是全体代表过半数或实到代表过半数。"))
    late = str(form.get("late_checkin") or "allowed")
    if late not in ("allowed", "refused"):
        errors.append(N_("投票开始后报到只能是允许或不允许。"))
    _refuse(errors)
    return SessionSettings(
        title=title, congress=_text(form, "congress", 120) or title[:120], level=level,
        date=date, year=year, quota=quota, contested=contested, min_excess_ratio=ratio,
        pass_basis=pass_basis, late_checkin=late != "refused",
        chief_scrutineer=_text(form, "chief_scrutineer", 400),
        scrutineers=_text(form, "scrutineers", 400), counters=_text(form, "counters", 400),
        # An unticked checkbox sends nothing; JSON bodies send true/false.
        is_drill=form.get("drill") in (True, "1", "on", "true"))


def rating_settings(form: Mapping, quota: int) -> SessionSettings:
    """A 测评 session's settings from its form: the session's own fields and the basis of the
    majority (收回测评票数 / 全体代表数); a 测评 has no quota, 差额 or pass rule to set (its ballot
    may rate every project 满意), so those stay as created (``quota``: its project count)."""
    fixed = {"quota": quota, "mode": "uncontested", "pass_basis": rules.PASS_BASIS_ROSTER}
    settings = session_settings({**{k: form.get(k) for k in form}, **fixed})
    basis = str(form.get("rating_basis") or rating.BASIS_CAST)
    if basis not in rating.BASES:
        raise InvalidInput(N_("会议设置有误：测评的过半数基数只能是收回测评票数或全体代表数。"))
    return settings.replace(kind=rating.KIND_RATING, rating_basis=basis)


def scrutiny(form: Mapping) -> Scrutiny:
    """The scrutiny form: the people, and the box's t of n where given (whole numbers)."""
    numbers = {}
    for key in ("box_threshold", "box_shares"):
        text = str(form.get(key) or "").strip()
        if text and not (text.isascii() and text.isdigit() and len(text) <= 3):
            raise InvalidInput(N_("开箱人数和密钥份数须为整数，例如 3 份中 2 份开箱。"))
        numbers[key] = int(text) if text else None
    return Scrutiny(**{key: _text(form, key, 400)
                       for key in ("chief_scrutineer", "scrutineers", "counters")}, **numbers)


def rating_plan(values: Mapping) -> RatingPlan:
    """A 测评's plan from a form, an API body or command-line options: ``codes`` as a list or
    "01,03" (default all), ``basis`` cast/roster, title, date (ISO), slug, drill, scrutineers."""
    wanted = values.get("codes")
    if isinstance(wanted, str):
        wanted = wanted.replace("，", ",").replace("、", ",").split(",")
    if wanted is not None and not isinstance(wanted, list | tuple):
        raise InvalidInput(N_("codes 须为票序的列表，例如 [\"01\", \"03\"]。"))
    codes = tuple(str(c).strip() for c in wanted or () if str(c).strip()) or None
    basis = str(values.get("basis") or rating.BASIS_CAST)
    if basis not in rating.BASES:
        raise InvalidInput(N_("测评的过半数基数只能是收回测评票数（cast）或全体代表数（roster）。"))
    date = None
    if values.get("date"):
        try:
            date = dt.date.fromisoformat(str(values["date"]).strip())
        except ValueError:
            raise InvalidInput(N_("会议设置有误：%(errors)s"),
                               errors=N_("请按 2027-01-15 的格式填写会议日期。")) from None
    drill = values.get("drill")
    people = {key: _text(values, key, 400) if values.get(key) else None
              for key in ("chief_scrutineer", "scrutineers", "counters")}
    return RatingPlan(codes=codes, basis=basis, title=_text(values, "title", 200) or None,
                      date=date, slug=str(values.get("slug") or "").strip() or None,
                      is_drill=None if drill is None else drill in (True, "1", "on", "true"),
                      **people)


def parse_budget(text: str) -> Decimal | None:
    """Parse a budget in 万元 ("1,200.5", "80万元"); None when blank; ValueError when not a sum."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "").removesuffix("万元").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise ValueError(text)
    return value.quantize(Decimal("0.01"))


def _clean_texts(values: Mapping, limits: dict[str, int], problems: list[Problem]) -> dict:
    clean = {}
    for field, limit in limits.items():
        text = str(values.get(field) or "").strip()
        if text.startswith("="):
            problems.append((field, FORMULA_REFUSED, {}))
        if len(text) > limit:
            problems.append((field, TOO_LONG, {"length": len(text), "max": limit}))
        clean[field] = text[:limit]
    return clean


def candidate_fields(values: Mapping) -> tuple[CandidateFields, list[Problem]]:
    """One candidate's fields from a form or an imported row, with every problem found."""
    problems: list[Problem] = []
    clean = _clean_texts(values, CANDIDATE_LIMITS, problems)
    if not clean["title"]:
        problems.append(("title", N_("缺少项目名称。"), {}))
    budget = None
    try:
        budget = parse_budget(str(values.get("budget") or ""))
    except ValueError:
        problems.append(("budget", N_("预算“%(value)s”不是有效的金额（单位：万元），例如 850 或 1200.5。"),
                         {"value": values.get("budget")}))
    return CandidateFields(budget=budget, **clean), problems


def delegate_fields(values: Mapping) -> tuple[DelegateFields, list[Problem]]:
    """One delegate's roster entry from a form or an imported row, with every problem found."""
    problems: list[Problem] = []
    clean = _clean_texts(values, DELEGATE_LIMITS, problems)
    if not clean["name"]:
        problems.append(("name", N_("缺少代表姓名。"), {}))
    if not clean["seat"]:
        problems.append(("seat", N_("缺少座位号。"), {}))
    return DelegateFields(**clean), problems


def _checked(parsed):
    fields, problems = parsed
    if problems:
        raise InvalidInput(Listing(((m, p) for _, m, p in problems), MESSAGE_SEPARATOR))
    return fields


def candidate(values: Mapping) -> CandidateFields:
    """A candidate's fields from the candidate form or API body; InvalidInput lists problems."""
    return _checked(candidate_fields(values))


def delegate(values: Mapping) -> DelegateFields:
    """A delegate's fields from the roster form or API body; InvalidInput lists problems."""
    return _checked(delegate_fields(values))


# --- tracking: a project's plan, its reports, a paper 测评's counts --------------------------

TRACKING_LIMITS = {"responsible_unit": 120, "milestones": 2000, "supervisors": 400,
                   "text": 4000, "source": 200}


def _long_text(values: Mapping, field: str, problems: list) -> str:
    value = values.get(field)
    text = "" if value is None else str(value).replace("\r\n", "\n").strip()
    if "\x00" in text:
        problems.append((N_("“%(field)s”含有不可见的空字符，请删除后重试。"), {"field": field}))
    limit = TRACKING_LIMITS[field]
    if len(text) > limit:
        problems.append((TOO_LONG, {"length": len(text), "max": limit}))
    return text[:limit]


def _money(values: Mapping, field: str, problems: list) -> Decimal | None:
    value = values.get(field)
    try:
        return parse_budget("" if value is None else str(value))
    except ValueError:
        problems.append((N_("金额“%(value)s”无效（单位：万元），例如 850 或 1200.5。"),
                         {"value": str(value)[:40]}))
        return None


def _whole(values: Mapping, field: str, top: int, problems: list, problem: tuple) -> int:
    value = values.get(field)
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(str(value).strip().rstrip("%"))
        if not 0 <= number <= top:
            raise ValueError
        return number
    except (TypeError, ValueError):
        problems.append(problem)
        return 0


def _listed(problems: list) -> None:
    if problems:
        raise InvalidInput(Listing(problems, MESSAGE_SEPARATOR))


def tracking_plan(values: Mapping) -> TrackingPlan:
    """A project's plan from its form, an API body or the command line."""
    problems: list = []
    plan = TrackingPlan(
        **{field: _long_text(values, field, problems)
           for field in ("responsible_unit", "milestones", "supervisors")},
        budget=_money(values, "budget", problems))
    _listed(problems)
    return plan


def report(values: Mapping) -> ReportFields:
    """A progress report (``kind`` progress, the default, or rectification) from its form."""
    problems: list = []
    text = _long_text(values, "text", problems)
    if not text:
        problems.append((N_("请填写报告内容。"), {}))
    percent = _whole(values, "percent_done", 100, problems,
                     (N_("完成进度须为 0 到 100 之间的整数（百分比）。"), {}))
    spent = _money(values, "budget_spent", problems)
    kind = str(values.get("kind") or REPORT_KINDS[0])
    if kind not in REPORT_KINDS:
        problems.append((N_("报告类型只能是进展报告或整改情况。"), {}))
    _listed(problems)
    return ReportFields(text=text, percent_done=percent, budget_spent=spent, kind=kind)


def rating_counts(values: Mapping) -> RatingCounts:
    """A paper 测评's counts for one project (satisfied, basically, dissatisfied, cast), its
    basis (cast/roster) and where the counts come from."""
    problems: list = []
    counts = {field: _whole(values, field, 100_000, problems,
                            (N_("“%(field)s”须为不小于 0 的整数。"), {"field": field}))
              for field in ("satisfied", "basically", "dissatisfied", "cast")}
    basis = str(values.get("basis") or rating.BASIS_CAST)
    if basis not in rating.BASES:
        problems.append((N_("测评的过半数基数只能是收回测评票数（cast）或全体代表数（roster）。"), {}))
    source = _long_text(values, "source", problems)
    _listed(problems)
    return RatingCounts(**counts, basis=basis, source=source)


def json_fields(body: Mapping, *, texts: tuple[str, ...] = (), numbers: tuple[str, ...] = (),
                flags: tuple[str, ...] = (), lists: tuple[str, ...] = ()) -> dict:
    """The fields of a JSON body, each checked against its JSON type: ``texts`` strings,
    ``numbers`` numbers or their text, ``flags`` true/false, ``lists`` arrays of strings;
    absent or null fields are left out, fields of no kind named here are ignored."""
    kinds = {**{k: "text" for k in texts}, **{k: "number" for k in numbers},
             **{k: "flag" for k in flags}, **{k: "list" for k in lists}}
    fields = {}
    for key, kind in kinds.items():
        value = body.get(key)
        if value is None:
            continue
        if kind == "flag":
            if not isinstance(value, bool):
                raise InvalidInput(N_("字段“%(field)s”须为 true 或 false。"), field=key)
        elif kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value) \
                    or any(isinstance(v, bool) for v in value):
                raise InvalidInput(N_("字段“%(field)s”须为文字的列表。"), field=key)
            value = [str(v) for v in value]
        elif kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        elif not isinstance(value, str):
            raise InvalidInput(N_("字段“%(field)s”须为文字。") if kind == "text"
                               else N_("字段“%(field)s”须为数字。"), field=key)
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput(N_("字段“%(field)s”含有不可见的空字符，请删除后重试。"), field=key)
        fields[key] = value
    return fields


SESSION_JSON = {"texts": ("title", "slug", "congress", "level", "date", "mode", "pass_basis",
                          "late_checkin", "chief_scrutineer", "scrutineers", "counters"),
                "numbers": ("year", "quota", "min_excess_ratio"), "flags": ("drill",)}
CANDIDATE_JSON = {"texts": ("title", "summary", "category", "department", "source"),
                  "numbers": ("budget",)}
DELEGATE_JSON = {"texts": ("name", "delegation"), "numbers": ("seat", "phone")}
PLAN_JSON = {"texts": ("responsible_unit", "milestones", "supervisors"), "numbers": ("budget",)}
REPORT_JSON = {"texts": ("text", "kind"), "numbers": ("percent_done", "budget_spent")}
COUNTS_JSON = {"texts": ("basis", "source"),
               "numbers": ("satisfied", "basically", "dissatisfied", "cast")}
RATING_JSON = {"texts": ("title", "date", "slug", "basis", "chief_scrutineer", "scrutineers",
                         "counters"), "flags": ("drill",), "lists": ("codes",)}

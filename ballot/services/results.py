"""The result of a session: the scrutineers' and the chair's confirmations, the signed result
document, publication and the announcement. Rounds and their counts are services/rounds.py's."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import current_app

from ballot import bundle, crypto
from ballot.domain import rating, rules
from ballot.domain.errors import (
    MESSAGE_SEPARATOR,
    N_,
    InvalidInput,
    Listing,
    NotReady,
    PermissionDenied,
    render_message,
)
from ballot.domain.states import State
from ballot.models import User, VoteSession
from ballot.services import audit, checkin, figures, keys, rating_sessions, rounds, sessions


def _count_problems(session: VoteSession, *, scrutineer_done: bool) -> list[rules.Problem]:
    """Why the count cannot be confirmed yet: the problems publishing would report, less the
    confirmations still to come."""
    results = rounds.session_results(session)
    facts = sessions.facts(session, pending_tie=_has_pending(results),
                           result_ready=results.ready, chief_scrutineer_confirmed=scrutineer_done,
                           chair_confirmed=True)
    return rules.problems_before(State.PUBLISHED, facts)


def _has_pending(results: rounds.SessionResults) -> bool:
    return results.final is not None and results.final.pending_tie is not None


def is_chief_scrutineer(session: VoteSession, user: User | None) -> bool:
    """Whether ``user`` is the session's registered chief scrutineer: a scrutineer account of
    its congress whose name is the one registered (总监票人)."""
    return (user is not None and user.role == "scrutineer"
            and sessions.can_access(user, session.congress)
            and rules.same_person_name(user.label, session.chief_scrutineer))


def confirm_as_scrutineer(session: VoteSession, user: User) -> None:
    """The chief scrutineer's sign-off on the count: only the scrutineer account of the session's
    congress whose name is the session's registered chief scrutineer (总监票人)."""
    if user.role != "scrutineer" or not sessions.can_access(user, session.congress):
        raise PermissionDenied(N_("只有监票人账号才能确认计票结果。"))
    if not session.chief_scrutineer.strip():
        raise InvalidInput(N_("本次会议尚未登记总监票人，不能确认计票结果。请工作人员在会议设置中"
                              "登记总监票人姓名（与其账号显示的姓名一致）后再确认。"))
    if not is_chief_scrutineer(session, user):
        raise PermissionDenied(N_("只有本次会议登记的总监票人%(chief)s本人才能确认计票结果；"
                                  "您登录的账号是%(name)s。"),
                               chief=session.chief_scrutineer, name=user.label)
    problems = _count_problems(session, scrutineer_done=True)
    if problems:
        raise NotReady(problems, action=N_("确认本次计票结果"))
    # The registered name, so the signed result names the chief exactly as the manifest does.
    session.scrutineer_confirmed_by = session.chief_scrutineer
    audit.record(user.username, "result.scrutineer_confirmed", session,
                 name=session.chief_scrutineer)


def confirm_as_chair(session: VoteSession, user: User) -> None:
    """The chair's confirmation that the result may be announced (role chair or admin)."""
    if user.role not in ("chair", "admin"):
        raise PermissionDenied(N_("只有主持人才能确认公布结果。"))
    problems = _count_problems(session, scrutineer_done=bool(session.scrutineer_confirmed_by))
    if problems:
        raise NotReady(problems, action=N_("确认并公布结果"))
    session.chair_confirmed_by = user.label
    audit.record(user.username, "result.chair_confirmed", session, name=user.label)


def decimal_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def session_header(session: VoteSession) -> dict:
    """The "session" object of the result document and the bundle manifest."""
    header = {"id": session.slug, "title": session.title, "date": session.date.isoformat(),
              "level": session.level, "drill": session.is_drill}
    if session.kind == rating.KIND_RATING:  # absent: a 票决 (bundles made before 测评 existed)
        header["kind"] = rating.KIND_RATING
    return header


def rules_header(session: VoteSession) -> dict:
    """The "rules" object of the result document and the bundle manifest."""
    return {"quota": session.quota, "contested": session.contested,
            "min_excess_ratio": f"{Decimal(session.min_excess_ratio).quantize(Decimal('0.01'))}",
            "pass_basis": session.pass_basis, "quorum": "majority_of_roster"}


def candidate_list(session: VoteSession) -> list[dict]:
    """The locked candidates in ballot order: code, title, department, budget (decimal string)."""
    return [
        {"code": c.code, "title": c.title, "department": c.department,
         "budget": decimal_text(c.budget)}
        for c in sorted(session.candidates, key=lambda c: c.position) if c.code
    ]


def _names(text: str) -> list[str]:
    return [n for n in (part.strip() for part in
                        text.replace("，", "、").replace(",", "、").split("、")) if n]


def scrutineer_header(session: VoteSession) -> dict:
    """The "scrutineers" object of the result document and the bundle manifest."""
    return {"chief": session.chief_scrutineer, "scrutineers": _names(session.scrutineers),
            "counters": _names(session.counters)}


def result_document(session: VoteSession, results: rounds.SessionResults) -> dict:
    """The signed result document (docs/audit-bundle.md §8), from a ready rounds.SessionResults."""
    final = results.final
    round_dicts = [
        {**o.result.to_dict(), "merkle_root": o.round.merkle_root, "entry_count": o.returned,
         "decision": o.round.decision}
        for o in results.counted
    ]
    document = {
        "format": bundle.RESULT_FORMAT,
        "session": session_header(session),
        "rules": rules_header(session),
        "key_fingerprint": session.key_fingerprint,
        "box_fingerprint": session.box_fingerprint,
        # Who holds key card i (share i): the opening's partials are named from this list.
        "box_holders": list(session.box_holders or []),
        "roster_size": sessions.counts(session).expected,
        "present": results.counted[0].round.present,
        "rounds": round_dicts,
        "chosen": list(final.chosen),
        "open_slots": final.open_slots,
        "shortfall": final.shortfall,
        "confirmed_by": {"chief_scrutineer": session.scrutineer_confirmed_by or "",
                         "chair": session.chair_confirmed_by or ""},
        "candidates": candidate_list(session),
        "scrutineers": scrutineer_header(session),
        # The names themselves are in the bundle's issued.json; signing their digest means
        # none can be added, dropped or changed after publication.
        "issued_sha256": bundle.issued_digest(bundle.issued_object(
            {o.round.number: rounds.issued_names(session, o.round.number)
             for o in results.rounds})),
    }
    if session.kind == rating.KIND_RATING:
        # A 测评 grades each project of its (single) round; the 票决 fields above stay as the
        # same count gives them (赞成 = 满意, 反对 = 不满意, 弃权 = 基本满意).
        document["kind"] = rating.KIND_RATING
        document["rating_basis"] = session.rating_basis
        document["ratings"] = rating_sessions.round_ratings(
            session, round_dicts[0], document["roster_size"])
    return document


def publish(session: VoteSession, actor: str) -> bytes:
    """Closed → published: refuse listing every problem, else sign and store the result."""
    results = rounds.session_results(session)
    sessions.transition(
        session, State.PUBLISHED, actor,
        pending_tie=_has_pending(results),
        result_ready=results.ready,
        chief_scrutineer_confirmed=bool(session.scrutineer_confirmed_by),
        chair_confirmed=bool(session.chair_confirmed_by),
    )
    document = crypto.canonical_json(result_document(session, results))
    key = keys.private_key(session, current_app.config["KEY_ENCRYPTION_SECRET"])
    session.result_document = document
    session.result_signature = crypto.sign(key, document)
    audit.record(actor, "result.published", session, chosen=list(results.final.chosen),
                 open_slots=results.final.open_slots, shortfall=results.final.shortfall)
    if session.kind == rating.KIND_RATING:
        # A 测评's grades go onto the rated projects' tracking records, same unit.
        rating_sessions.apply_ratings(session, json.loads(document), actor)
        return document
    # The year's tracking starts with the result: one record per chosen project, same unit.
    from ballot.services import tracking  # tracking reads results (its exports, amounts)

    tracking.open_records(session, actor)
    return document


def publish_as_chair(session: VoteSession, user: User) -> bytes:
    """The chair's 公布 (screen, command and API alike): confirm as chair, then publish."""
    confirm_as_chair(session, user)
    return publish(session, user.username)


def published_document(session: VoteSession) -> dict | None:
    """The signed result document as a dict, or None before publication."""
    if session.result_document is None:
        return None
    return json.loads(session.result_document)


def announcement(session: VoteSession, document: dict, translate=None) -> str:
    """The chair's announcement from a result document (published or draft).

    Chinese (the official record) unless given a gettext: the web pages pass theirs, so a chair
    or visitor who chose English reads it in English; the printed record stays Chinese.
    """
    titles = {c["code"]: c["title"] for c in document["candidates"]}
    first = document["rounds"][0]
    if document.get("kind") == rating.KIND_RATING:
        return _rating_announcement(session, document, titles, translate)
    late = checkin.late_arrivals(session)  # 实到 is counted at the close, late arrivals included
    if late:
        opening = N_("本次会议应到代表%(roster)s名，实到%(present)s名（其中%(late)s名在投票开始后报到），"
                     "%(ballots)s。")
    else:
        opening = N_("本次会议应到代表%(roster)s名，实到%(present)s名，%(ballots)s。")
    parts = [render_message(opening, {"roster": document["roster_size"], "present": first["present"],
                                      "late": late, "ballots": _ballots(first, translate)},
                            translate)]
    for rnd in document["rounds"][1:]:
        parts.append(render_message(N_(
            "因第%(previous)s轮有项目得票相同跨越入选线，进行再次投票（第%(number)s轮），"
            "对%(tied)s个同票项目票决%(quota)s个名额：%(ballots)s。"),
            {"previous": rnd["number"] - 1, "number": rnd["number"], "quota": rnd["quota"],
             "tied": len(rnd["candidates"]), "ballots": _ballots(rnd, translate)}, translate))
    chosen = document["chosen"]
    listing = Listing((f"{i}. {titles.get(code, code)}" for i, code in enumerate(chosen, 1)),
                      MESSAGE_SEPARATOR)
    if chosen:
        parts.append(render_message(N_(
            "经过票决，下列%(count)s个项目确定为%(year)s年度民生实事项目：%(listing)s。"),
            {"count": len(chosen), "year": session.year, "listing": listing}, translate))
    else:
        parts.append(render_message(N_("经过票决，没有项目获得通过，%(year)s年度民生实事项目暂缺。"),
                                    {"year": session.year}, translate))
    if document["open_slots"]:
        parts.append(render_message(N_("因得票相同，经主持人决定，%(count)s个名额空缺。"),
                                    {"count": document["open_slots"]}, translate))
    if document["shortfall"]:
        parts.append(render_message(N_(
            "因赞成票未超过半数的项目较多，应选%(quota)s个项目，尚缺%(shortfall)s个。"),
            {"quota": document["rules"]["quota"], "shortfall": document["shortfall"]}, translate))
    # Chinese sentences follow each other directly; translated ones end in "." and need a space.
    text = parts[0]
    for part in parts[1:]:
        text += (" " if text.endswith((".", "!", "?")) else "") + part
    return text


def _ballots(round_dict: dict, translate, *, rating_ballot: bool = False) -> str:
    return figures.ballots_text(figures.ballot_figures(round_dict), translate,
                                rating_ballot=rating_ballot)


def _rating_announcement(session: VoteSession, document: dict, titles: dict, translate) -> str:
    """The 测评 announcement in lines a chair reads out to the hall: the turnout and the rule;
    the projects by grade (满意, 基本满意, 不满意; a grade no project got is not named); then
    each project's counts and 满意率 on a line of its own, so no figure is lost."""
    first = document["rounds"][0]
    basis = document.get("rating_basis", rating.BASIS_CAST)
    lines = [render_message(N_(
        "本次满意度测评应到代表%(roster)s名，实到%(present)s名，%(ballots)s。"
        "测评以%(basis)s为基数：满意票超过半数的为满意，满意与基本满意票合计超过半数的为基本满意，"
        "其余为不满意。"),
        {"roster": document["roster_size"], "present": first["present"],
         "ballots": _ballots(first, translate, rating_ballot=True),
         "basis": rating.BASIS_LABELS[basis]}, translate)]
    ratings = document["ratings"]
    for grade in rating.GRADES:
        codes = [code for code, values in ratings.items() if values["grade"] == grade]
        if codes:
            lines.append(render_message(N_("测评结果为%(grade)s的项目%(count)s个：%(projects)s。"), {
                "grade": rating.GRADE_LABELS[grade], "count": len(codes),
                "projects": Listing(titles.get(code, code) for code in codes)}, translate))
    lines.append(render_message(N_("各项目得票情况："), None, translate))
    lines += [render_message(N_("%(title)s：满意%(satisfied)s票，基本满意%(basically)s票，"
                                "不满意%(dissatisfied)s票，满意率%(rate)s%%。"),
                             dict(values, title=titles.get(code, code)), translate)
              for code, values in ratings.items()]
    return "\n".join(lines)

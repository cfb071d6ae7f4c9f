"""The count under the session's rules, the chair's decisions on ties, confirmation, publication.

A round is counted from the per-project totals the scrutineers decrypt when they open the box
(services/opening.py) with ``ballot.domain.tally.tally_totals``, the same code the offline
verifier runs on the published totals, so what the chair announces is what any auditor recounts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app

from ballot import bundle, crypto
from ballot.domain import rating, rules
from ballot.domain.errors import (
    MESSAGE_SEPARATOR,
    N_,
    InvalidInput,
    Listing,
    NoPendingTie,
    NotReady,
    PermissionDenied,
    WrongState,
    render_message,
)
from ballot.domain.tally import (
    DECISION_LEAVE_EMPTY,
    FinalResult,
    RoundResult,
    RoundSpec,
    Tie,
    combine_rounds,
    tally_totals,
)
from ballot.models import Round, User, VoteSession
from ballot.services import audit, checkin, figures, keys, rating_sessions, rounds, sessions


@dataclass(frozen=True)
class RoundOutcome:
    """A round with its count (None while it is open or its box not yet opened)."""

    round: Round
    result: RoundResult | None
    issued: int
    returned: int

    @property
    def awaiting_opening(self) -> bool:
        """Closed, its totals sealed until t scrutineers present their key cards (开箱)."""
        return self.round.state == "closed" and self.result is None


@dataclass(frozen=True)
class SessionResults:
    """Every round so far and, once round 1 is counted, the final result over them."""

    rounds: list[RoundOutcome]
    final: FinalResult | None
    void_round: int | None = None  # a round with returned > issued: it decides nothing

    @property
    def counted(self) -> list[RoundOutcome]:
        """The rounds that have closed and been counted, in order."""
        return [o for o in self.rounds if o.result is not None]

    @property
    def ready(self) -> bool:
        """True when every round is closed and counted and the final result follows from them."""
        return self.final is not None and all(o.result is not None for o in self.rounds)


def round_spec(session: VoteSession, round_: Round) -> RoundSpec:
    """What ``round_`` votes on, with the roster, those present when it opened, and issued."""
    return RoundSpec(
        number=round_.number,
        candidates=tuple(round_.candidates),
        quota=round_.quota,
        contested=session.contested,
        roster_size=sessions.counts(session)["expected"],
        present=round_.present,
        issued=rounds.issued_count(session, round_.number),
        pass_basis=session.pass_basis,
        issued_paper=rounds.issued_by_kind(session, round_.number)["paper"],
    )


def close_voting(session: VoteSession, actor: str) -> Round:
    """Close the open round: void unused ballots, commit the entries (Merkle root) and multiply
    their ciphertexts per project. The round is counted when the scrutineers open the box."""
    return rounds.close_round(session, actor)


def count_totals(session: VoteSession, round_: Round, totals: dict[str, tuple[int, int]],
                 actor: str) -> RoundResult:
    """Count an opened round from its decrypted (赞成, 反对) totals; stored and audited."""
    if round_.state != "closed" or round_.result is not None:
        raise WrongState(N_("第 %(number)s 轮不在等待开箱计票的状态。"), number=round_.number)
    figures = rounds.board_figures(session, round_.number)
    result = tally_totals(round_spec(session, round_), totals, figures.returned, figures.invalid,
                          returned_by_kind=figures.returned_by_kind,
                          invalid_by_reason=figures.invalid_by_reason)
    round_.result = result.to_dict()
    audit.record(actor, "round.count", session, number=round_.number, returned=result.returned,
                 valid=result.valid, invalid=result.invalid, chosen=list(result.chosen),
                 tie=None if result.tie is None else result.tie.to_dict())
    return result


def session_results(session: VoteSession) -> SessionResults:
    """All rounds with their counts, and the final result combined over the counted ones."""
    outcomes: list[RoundOutcome] = []
    for round_ in rounds.list_rounds(session):
        # A closed round is counted once the scrutineers have opened the box (result set).
        result = None if round_.result is None else RoundResult.from_dict(round_.result)
        outcomes.append(RoundOutcome(
            round=round_, result=result,
            issued=rounds.issued_count(session, round_.number),
            returned=rounds.returned_count(session, round_.number),
        ))
    counted = [o for o in outcomes if o.result is not None]
    void = next((o.round.number for o in counted if not o.result.returned_within_issued), None)
    if not counted or void is not None:
        return SessionResults(rounds=outcomes, final=None, void_round=void)
    decisions = {o.round.number: o.round.decision for o in counted
                 if o.round.decision is not None and o.result.tie is not None}
    final = combine_rounds(session.quota, [o.result for o in counted], decisions)
    return SessionResults(rounds=outcomes, final=final)


def pending_tie(session: VoteSession) -> Tie | None:
    """The tie across the cutoff still unresolved (no decision yet, or its round not counted)."""
    final = session_results(session).final
    return None if final is None else final.pending_tie


def _undecided_tie(session: VoteSession) -> tuple[Round, Tie]:
    """The last round, closed, with a tie the chair has not decided on; else NoPendingTie."""
    sessions.require_state(session, "closed")
    last = rounds.current_round(session)
    tie = pending_tie(session)
    if last is None or last.state != "closed" or last.decision is not None or tie is None:
        raise NoPendingTie()
    return last, tie


def start_tie_break(session: VoteSession, actor: str) -> Round:
    """The chair's decision 再次投票: a further round on the tied projects for the open slots."""
    last, tie = _undecided_tie(session)
    number = last.number
    # create_tie_break_round records the decision on the tied round itself.
    new_round = rounds.create_tie_break_round(session, list(tie.candidates), tie.slots, actor)
    audit.record(actor, "round.tie_break", session, number=number,
                 candidates=list(tie.candidates), slots=tie.slots)
    return new_round


def leave_empty(session: VoteSession, actor: str, reason: str) -> Round:
    """The chair's decision to leave the tied slots empty (audited with the stated reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(N_("请填写名额空缺的理由（将记入审计日志）。"))
    last, tie = _undecided_tie(session)
    last.decision = DECISION_LEAVE_EMPTY
    audit.record(actor, "round.leave_empty", session, number=last.number,
                 candidates=list(tie.candidates), slots=tie.slots, reason=reason[:400])
    return last


def _count_problems(session: VoteSession, *, scrutineer_done: bool) -> list[rules.Problem]:
    """Why the count cannot be confirmed yet: the problems publishing would report, less the
    confirmations still to come."""
    results = session_results(session)
    facts = sessions.facts(session, pending_tie=_has_pending(results),
                           result_ready=results.ready, chief_scrutineer_confirmed=scrutineer_done,
                           chair_confirmed=True)
    return rules.problems_before("published", facts)


def _has_pending(results: SessionResults) -> bool:
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


def result_document(session: VoteSession, results: SessionResults) -> dict:
    """The signed result document (docs/audit-bundle.md §8), from a ready SessionResults."""
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
        "roster_size": sessions.counts(session)["expected"],
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
    results = session_results(session)
    sessions.transition(
        session, "published", actor,
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
    """The 测评 announcement: turnout, then each project's counts, 满意率 and grade."""
    first = document["rounds"][0]
    basis = document.get("rating_basis", rating.BASIS_CAST)
    parts = [render_message(N_(
        "本次满意度测评应到代表%(roster)s名，实到%(present)s名，%(ballots)s。"
        "测评以%(basis)s为基数：满意票超过半数的为满意，满意与基本满意票合计超过半数的为基本满意，"
        "其余为不满意。"),
        {"roster": document["roster_size"], "present": first["present"],
         "ballots": _ballots(first, translate, rating_ballot=True),
         "basis": rating.BASIS_LABELS[basis]}, translate)]
    for code, values in document["ratings"].items():
        parts.append(render_message(N_(
            "%(title)s：满意%(satisfied)s票，基本满意%(basically)s票，不满意%(dissatisfied)s票，"
            "满意率%(rate)s%%，测评结果为%(grade)s。"),
            dict(values, title=titles.get(code, code), grade=rating.GRADE_LABELS[values["grade"]]),
            translate))
    text = parts[0]
    for part in parts[1:]:
        text += (" " if text.endswith((".", "!", "?")) else "") + part
    return text

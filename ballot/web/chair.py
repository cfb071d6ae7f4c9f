"""The chair's console (主持屏) and the projection screen (大屏) for the hall: attendance, quorum,
voting, count, publication.

The chair (or an admin) opens and closes voting, decides ties and publishes from the console, on
a laptop or tablet; the projector shows the projection screen, which has no controls. Scrutineers
and staff may watch both. The chief scrutineer confirms the count from their own login on the scrutiny
page. Live figures come from the database on every poll, so any app process serves them; where
the server holds connections cheaply they are pushed instead (``live.stream``, ballot.web.streams).
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for

from ballot.database import polled
from ballot.domain import rating, rules
from ballot.domain.states import RoundState, State
from ballot.i18n import gettext
from ballot.models.base import utcnow
from ballot.services import (
    board,
    box,
    checkin,
    figures,
    keys,
    opening,
    paper_count,
    result_rows,
    results,
    rounds,
    sessions,
)
from ballot.services import live as live_service
from ballot.services import projection as projection_service
from ballot.unit_of_work import transactional
from ballot.web import streams
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("chair", __name__, url_prefix="/chair")
VIEWERS = ("chair", "scrutineer", "staff")
PROJECTION_ROWS = 12  # rows of a count that fit one projected page; more are paged automatically


def _back(session_ref: str):
    return redirect(url_for("chair.screen", ref=session_ref))


def _bars(session, found: rounds.SessionResults) -> list[dict]:
    """Per counted round, the rows of the bar chart with SVG widths (‰ of roster): a 票决's in
    rank order with the pass line, a 测评's in ballot order with its grades and the half line.
    Each chart carries the round's ballots (per kind and reason) as the console says them."""
    charts = []
    rated = result_rows.is_rating(session)
    for outcome in found.counted:
        result = outcome.result
        figures = result_rows.ballot_figures(outcome.result)
        common = {"outcome": outcome, "result": result, "figures": figures,
                  "ballots": result_rows.ballots_text(figures, gettext, rating_ballot=rated),
                  "void": None if figures.within_issued
                  else result_rows.void_text(figures, gettext, rating_ballot=rated)}
        if rated:
            charts.append({**common, **_rating_bars(session, outcome)})
            continue
        scale = max(result.roster_size, result.valid, 1)
        ranks = {e.code: e.rank for e in result.ranking}
        tied = set(result.tie.candidates) if result.tie else set()
        order = sorted(result.candidates,
                       key=lambda c: (-result.counts[c].for_, result.candidates.index(c)))
        rows = []
        for code in order:
            count = result.counts[code]
            widths = [round(1000 * n / scale) for n in (count.for_, count.against, count.abstain)]
            rows.append({"code": code, "count": count, "rank": ranks.get(code),
                         "passed": code in result.passed, "chosen": code in result.chosen,
                         "tied": code in tied, "w_for": widths[0], "w_against": widths[1],
                         "w_abstain": widths[2]})
        charts.append({**common, "rows": rows,
                       "pass_x": round(1000 * result.pass_threshold / scale),
                       "cutoff_after": _cutoff_after(rows)})
    return charts


def _rating_bars(session, outcome: rounds.RoundOutcome) -> dict:
    """A 测评 round's rows: 满意 / 基本满意 / 不满意 per project in ballot order, its 满意率 and
    grade, and where half of the basis lies (满意 beyond it is 满意)."""
    ratings = result_rows.round_ratings(session, outcome)
    basis = next(iter(ratings.values()))["basis_size"] if ratings else 0
    scale = max(basis, outcome.result.valid, 1)
    rows = []
    for code, values in ratings.items():
        widths = [round(1000 * values[k] / scale)
                  for k in ("satisfied", "basically", "dissatisfied")]
        rows.append({"code": code, "rating": values, "grade": values["grade"],
                     "w_satisfied": widths[0], "w_basically": widths[1],
                     "w_dissatisfied": widths[2]})
    return {"rows": rows, "rating": True, "basis": session.rating_basis, "basis_size": basis,
            "half_x": round(500 * basis / scale), "cutoff_after": None}


def _cutoff_after(rows: list[dict]) -> int | None:
    """Where the 入选线 goes: after the chosen rows, and only when a passed project follows that
    was not chosen (tied or beyond the quota); a line above failed projects separates nothing."""
    chosen = sum(1 for row in rows if row["chosen"])
    if chosen < len(rows) and rows[chosen]["passed"]:
        return chosen
    return None


def _context(session) -> dict:
    found = rounds.session_results(session)
    current = rounds.current_round(session)
    counts = sessions.counts(session)
    problems = rules.problems_before(State.VOTING, sessions.facts(session)) \
        if session.state == State.CHECKIN else []
    tie = found.final.pending_tie if found.final is not None else None
    undecided = tie is not None and current is not None and current.state == RoundState.CLOSED \
        and current.decision is None
    return {
        "session": session, "counts": counts, "labels": rules.STATE_LABELS,
        "fingerprint": keys.spoken_fingerprint(session), "current": current,
        "box_fingerprint": box.spoken_fingerprint(session),
        "late": checkin.late_arrivals(session) if session.state == State.VOTING else 0,
        "issued": rounds.issued_count(session, current.number) if current else 0,
        "issued_paper": rounds.issued_by_kind(session, current.number)["paper"] if current else 0,
        "returned": rounds.returned_count(session, current.number) if current else 0,
        "ballot_labels": figures.ballot_labels(result_rows.is_rating(session)),
        "open_problems": problems, "found": found, "charts": _bars(session, found),
        "grade_labels": rating.GRADE_LABELS, "basis_labels": rating.BASIS_LABELS,
        "tie": tie if undecided else None,
        "titles": board.candidate_titles(session), "user": current_user(),
        "is_chief": results.is_chief_scrutineer(session, current_user()),
        "announcement": _announcement(session, found),
        "stream_url": url_for("chair.live_stream", ref=session.slug) if streams.enabled() else "",
        "opening": opening.opening(session, current) if current is not None
        and current.state == RoundState.CLOSED else None,
        "awaiting_paper": current is not None and paper_count.awaiting_paper(session, current),
    }


def _announcement(session, found: rounds.SessionResults) -> str:
    if session.result_document is not None:
        return results.announcement(session, results.published_document(session), gettext)
    if found.ready and found.final.pending_tie is None:
        return results.announcement(session, results.result_document(session, found), gettext)
    return ""


@bp.get("/<ref>")
@role_required(*VIEWERS)
def screen(ref: str):
    """The projected screen: live attendance and ballots, then the count and its decisions."""
    session = load_session(ref)
    return render_template("chair/screen.html", **_context(session))


@bp.get("/<ref>/projection")
@role_required(*VIEWERS)
def projection(ref: str):
    """The projection screen (大屏) for the hall: figures and results, no controls."""
    session = load_session(ref)
    context = _context(session)
    current = context["current"]
    opened = projection_service.round_opened_at(session, current.number) \
        if current is not None and current.state == RoundState.OPEN else None
    elapsed = int((utcnow() - opened).total_seconds()) if opened is not None else None
    return render_template(
        "chair/projection.html", **context, elapsed=elapsed,
        delegations=projection_service.delegation_arrivals(session),
        rows_per_page=PROJECTION_ROWS)


@bp.get("/<ref>/projection/delegations.json")
@polled
@role_required(*VIEWERS)
def delegations(ref: str):
    """Arrival per 代表团, fetched by the projection screen when 实到 changes during check-in."""
    session = load_session(ref)
    return jsonify(projection_service.delegation_arrivals(session))


@bp.get("/<ref>/live.json")
@polled
@role_required(*VIEWERS)
def live(ref: str):
    """Live figures polled by the screen: state, attendance, quorum, issued and returned."""
    _session_id, figures = live_service.live_figures(ref, current_user())
    return jsonify(figures)


@bp.get("/<ref>/live.stream")
@polled
@role_required(*VIEWERS)
def live_stream(ref: str):
    """The same figures pushed (server-sent events) each time they change, at most each second."""
    session_id, figures = live_service.live_figures(ref, current_user())  # may the user see it?
    return streams.response(session_id, lambda: figures)


@bp.post("/<ref>/open")
@role_required("chair")
@transactional
def open_voting(ref: str):
    """Open voting (round 1); refused with the reason when there is no quorum."""
    session = load_session(ref)
    rounds.open_voting(session, current_user().username)
    flash(gettext("投票已开始。"), "info")
    return _back(ref)


@bp.post("/<ref>/close")
@role_required("chair")
@transactional
def close_voting(ref: str):
    """Close the open round; the scrutineers then open the box with their key cards."""
    session = load_session(ref)
    rounds.close_round(session, current_user().username)
    flash(gettext("投票已结束，票箱已封存。请监票人在“监票核对”页出示密钥卡开箱计票（需 %(t)s 位）。",
                  t=session.box_threshold), "info")
    return _back(ref)


@bp.post("/<ref>/tie-break")
@role_required("chair")
@transactional
def tie_break(ref: str):
    """Start a further round (再次投票) on the projects tied at the cutoff."""
    session = load_session(ref)
    new_round = rounds.start_tie_break(session, current_user().username)
    flash(gettext("第 %(n)s 轮（再次投票）已开始。", n=new_round.number), "info")
    return _back(ref)


@bp.post("/<ref>/leave-empty")
@role_required("chair")
@transactional
def leave_empty(ref: str):
    """Leave the tied slots empty, with the reason recorded in the audit log."""
    session = load_session(ref)
    rounds.leave_empty(session, current_user().username, request.form.get("reason", ""))
    flash(gettext("已决定该名额空缺。"), "info")
    return _back(ref)


@bp.post("/<ref>/publish")
@role_required("chair")
@transactional
def publish(ref: str):
    """The chair confirms and publishes the signed result (after the chief scrutineer)."""
    session = load_session(ref)
    results.publish_as_chair(session, current_user())
    flash(gettext("结果已公布并签名。"), "info")
    return _back(ref)


@bp.get("/<ref>/scrutiny")
@role_required(*VIEWERS)
def scrutiny(ref: str):
    """The scrutineers' view of the count, with the chief scrutineer's confirmation."""
    session = load_session(ref)
    return render_template("chair/scrutiny.html", **_context(session))


@bp.post("/<ref>/scrutiny/confirm")
@role_required("scrutineer")
@transactional
def confirm(ref: str):
    """The chief scrutineer confirms the count from their own login."""
    session = load_session(ref)
    results.confirm_as_scrutineer(session, current_user())
    flash(gettext("已确认计票结果。"), "info")
    return redirect(url_for("chair.scrutiny", ref=ref))


@bp.post("/<ref>/scrutiny/open-box")
@role_required("scrutineer")
@transactional
def open_box(ref: str):
    """A scrutineer presents a key card (scanned or typed) to open the closed round's box."""
    session = load_session(ref)
    state = opening.present_card(session, request.form.get("card", ""), current_user().username)
    if state.opened:
        flash(gettext("票箱已开启，计票完成。"), "info")
    else:
        flash(gettext("已出示 %(k)s 张密钥卡（%(names)s），还需 %(more)s 位监票人出示。",
                      k=state.count, names="、".join(state.presented),
                      more=state.threshold - state.count), "info")
    return redirect(url_for("chair.scrutiny", ref=ref))


@bp.post("/<ref>/scrutiny/open-box/drill")
@role_required(*VIEWERS)
@transactional
def open_box_drill(ref: str):
    """A drill (演练) opens its box with its drill shares, without key cards."""
    session = load_session(ref)
    opening.open_with_drill_shares(session, current_user().username)
    flash(gettext("演练：已用演练密钥开箱，计票完成。"), "info")
    return redirect(url_for("chair.scrutiny", ref=ref))

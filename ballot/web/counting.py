"""The counting room (计票室, issue 22.7): counting staff enter the paper ballots of a closed
round in two passes; a scrutineer resolves what the passes read differently and finishes the
entry. Thin views over services/paper_count; the same checks as ``ballot paper-*`` and the API.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ballot.domain import tally
from ballot.domain.errors import N_, InvalidInput
from ballot.i18n import gettext
from ballot.services import board, paper_count, rounds
from ballot.services.paper_count import Reading
from ballot.unit_of_work import transactional, transactional_post
from ballot.web.guards import current_user, load_session, role_required

bp = Blueprint("counting", __name__, url_prefix="/count")
ROOM = ("counter", "scrutineer")
MARKS = (tally.FOR, tally.AGAINST, tally.ABSTAIN)


def _titles(session) -> dict[str, str]:
    return board.candidate_titles(session)


@bp.get("/")
@role_required(*ROOM)
def home():
    """The rounds whose paper ballots wait to be entered, in the user's congress."""
    return render_template("counting/home.html",
                           waiting=paper_count.sessions_awaiting(current_user()))


@bp.get("/<ref>/rounds/<int:number>")
@role_required(*ROOM)
def round_page(ref: str, number: int):
    """A round's paper count: the passes (a counter picks one), and for a scrutineer the
    mismatches side by side with a form for the checked reading, then 完成录入."""
    session = load_session(ref)
    state = paper_count.status(session, number)
    return render_template("counting/round.html", session=session, state=state,
                           titles=_titles(session), user=current_user(),
                           marks=MARKS)


def _reading_from_form(candidates: tuple[str, ...]) -> Reading:
    if request.form.get("unreadable"):
        return paper_count.UNREADABLE
    return Reading({code: request.form.get(f"mark-{code}") or tally.ABSTAIN
                    for code in candidates})


def _checked_reading_from_form(candidates: tuple[str, ...], sheet_no: int) -> Reading:
    """A scrutineer's checked reading: a mark for every project, chosen against the paper (the
    form preselects only the projects both passes read alike)."""
    if request.form.get("unreadable"):
        return paper_count.UNREADABLE
    missing = [code for code in candidates if not request.form.get(f"mark-{code}")]
    if missing:
        raise InvalidInput(N_("第 %(sheet)s 张：请对照纸质选票，为项目 %(codes)s 选定核定的标记"
                              "（两遍录入不一致的项目不预先选定）。"),
                           sheet=sheet_no, codes="、".join(missing))
    return _reading_from_form(candidates)


@bp.route("/<ref>/rounds/<int:number>/passes/<int:pass_no>", methods=["GET", "POST"])
@role_required("counter")
@transactional_post
def pass_page(ref: str, number: int, pass_no: int):
    """Enter sheet after sheet of one pass (or correct one: ?sheet=k); a POST records the sheet
    shown (new, or a correction), then on to the next sheet. (One rule for both methods: an id
    past the id columns then matches no route for either, 404.)"""
    session = load_session(ref)
    if request.method == "POST":
        round_ = rounds.get_round(session, number)
        sheet_no = request.form.get("sheet", type=int) or 0
        reading = _reading_from_form(tuple(round_.candidates))
        paper_count.record_sheet(session, number, pass_no, sheet_no, reading, current_user())
        flash(gettext("第 %(sheet)s 张已录入。", sheet=sheet_no), "info")
        return redirect(url_for("counting.pass_page", ref=ref, number=number, pass_no=pass_no))
    state = paper_count.status(session, number)
    held = state.passes.get(pass_no)
    entered = held.sheets if held else 0
    sheet_no = request.args.get("sheet", type=int) or entered + 1
    current = None
    if sheet_no <= entered:
        current = paper_count.own_sheet(session, number, pass_no, sheet_no, current_user())
    # Red only where both passes hold the sheet: the other pass may still be under way.
    mismatched = [m.sheet_no for m in state.mismatches if m.first and m.second]
    return render_template("counting/pass.html", session=session, state=state, pass_no=pass_no,
                           held=held, entered=entered, sheet_no=sheet_no, current=current,
                           titles=_titles(session), marks=MARKS, mismatched=mismatched,
                           user=current_user())


@bp.post("/<ref>/rounds/<int:number>/resolve")
@role_required("scrutineer")
@transactional
def resolve(ref: str, number: int):
    """A scrutineer's reading of a mismatched sheet, checked against the paper."""
    session = load_session(ref)
    round_ = rounds.get_round(session, number)
    sheet_no = request.form.get("sheet", type=int) or 0
    paper_count.resolve(session, number, sheet_no,
                        _checked_reading_from_form(tuple(round_.candidates), sheet_no),
                        current_user())
    flash(gettext("第 %(sheet)s 张已按纸质选票核定。", sheet=sheet_no), "info")
    return redirect(url_for("counting.round_page", ref=ref, number=number))


@bp.post("/<ref>/rounds/<int:number>/finish")
@role_required("scrutineer")
@transactional
def finish(ref: str, number: int):
    """完成录入: the paper ballots go on the board; then the box may be opened."""
    session = load_session(ref)
    done = paper_count.finish(session, number, current_user(),
                              empty=bool(request.form.get("empty")))
    flash(gettext("纸质选票录入完成：共 %(sheets)s 张，有效 %(valid)s 张，无效 %(invalid)s 张"
                  "（超过应选数 %(over)s 张，无法辨认 %(unreadable)s 张）。现在可以开箱计票。",
                  sheets=done.sheets, valid=done.valid, invalid=done.sheets - done.valid,
                  over=done.invalid_by_reason["over_quota"],
                  unreadable=done.invalid_by_reason["unreadable"]), "info")
    return redirect(url_for("chair.scrutiny", ref=ref))

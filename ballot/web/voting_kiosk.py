"""Voting kiosk pages (/kiosk/vote/) and their JSON calls (/kiosk/api/vote/...).

The ballot token travels only in JSON bodies and lives only in the page's memory: never in a URL,
cookie or browser storage, and every response here is ``Cache-Control: no-store``. The routes
spell out their full paths because the JSON calls sit under /kiosk/api/, where the kiosk guard
and the error handlers answer in JSON.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for

from ballot import unit_of_work
from ballot.database import polled
from ballot.domain import rating
from ballot.domain.errors import N_, BallotTokenInvalid, InvalidInput
from ballot.i18n import gettext
from ballot.models import VoteSession
from ballot.services import live, receipts, rounds, speech, voting
from ballot.web import streams
from ballot.web.kiosk_auth import counting_failed_scans, kiosk_required

bp = Blueprint("voting", __name__)

RECEIPT_SECONDS = 120  # shown until 完成, or this long; 再看一会儿 starts it again
WALKAWAY_SECONDS = 180
WARNING_SECONDS = 30


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _session() -> VoteSession:
    return g.kiosk_session


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(N_("请求体须为 JSON 对象。"))
    return data


def _card(body: dict) -> str:
    card = body.get("card")
    if not isinstance(card, str) or not card.strip():
        raise InvalidInput(N_("没有读到代表证，请重新刷卡。"))
    return card


def _token(body: dict) -> bytes:
    text = body.get("token")
    try:
        return base64.urlsafe_b64decode(text.encode("ascii"))
    except (AttributeError, UnicodeEncodeError, binascii.Error, ValueError):
        raise BallotTokenInvalid() from None


def _strings(session) -> dict[str, str]:
    """Texts the page script shows, translated here so the script holds no language.

    A 满意度测评 ballot marks the same three choices as 满意 (for), 不满意 (against) and 基本满意
    (abstain) (domain/rating.py), keyed 1 满意 2 基本满意 3 不满意, with no quota."""
    texts = _vote_strings(session)
    if session.kind == rating.KIND_RATING:
        texts.update({
            "for": gettext("满意"), "against": gettext("不满意"), "abstain": gettext("基本满意"),
            "unmarked": gettext("未测评（计为基本满意）"),
            "forCount": gettext("满意 %(count)s 个 / 共 %(quota)s 个项目"),
            "unmarkedNote": gettext("还有 %(count)s 个项目未测评，未测评的项目计为基本满意。"),
            "keys": {"1": "for", "2": "abstain", "3": "against"},
        })
    return texts


def _vote_strings(session) -> dict[str, str]:
    return {
        "for": gettext("赞成"), "against": gettext("反对"), "abstain": gettext("弃权"),
        "unmarked": gettext("未表态（计为弃权）"),
        "forCount": gettext("赞成 %(count)s / 应选 %(quota)s"),
        "tooMany": gettext("应选 %(quota)s 个项目，您已选满 %(quota)s 个赞成。如要赞成这个项目，请先把另一个项目的赞成改为反对或弃权。"),
        "unmarkedNote": gettext("还有 %(count)s 个项目未表态，未表态的项目计为弃权。"),
        "budget": gettext("预算 %(budget)s 万元"),
        "summary": gettext("简介"), "hideSummary": gettext("收起"),
        "round": gettext("第 %(number)s 轮"),
        "network": gettext("网络连接失败，请重新刷卡；如仍失败请联系工作人员。"),
        "returned": gettext("选票已收回，本次未投票。"),
        "returnFailed": gettext("选票未能收回，请联系工作人员。"),
        "countdown": gettext("%(seconds)s 秒后返回"),
        "walkaway": gettext("%(seconds)s 秒后将收回选票"),
        "speech": speech.phrases(session),
        "speechNone": gettext("本投票机无法朗读：浏览器没有中文语音，服务器也未安装 espeak-ng。请联系工作人员；仍可用屏幕投票。"),
    }


def _board_address(session) -> str | None:
    return receipts.board_address(current_app.config.get("PUBLIC_URL"), session.slug)


@bp.get("/kiosk/vote/")
@polled  # read-only, and loaded again after every ballot
@kiosk_required(mode="voting")
def idle():
    """The voting kiosk: idle screen, ballot, review, receipt (one page, driven by its script)."""
    session = _session()
    board_url = _board_address(session)
    return render_template(
        "voting/kiosk.html", session=session, kiosk=g.kiosk,
        board_url=board_url, board_qr=receipts.qr_data_uri(board_url) if board_url else "",
        round=rounds.open_round(session), strings=_strings(session),
        rating_ballot=session.kind == rating.KIND_RATING,
        receipt_seconds=RECEIPT_SECONDS, walkaway_seconds=WALKAWAY_SECONDS,
        warning_seconds=WARNING_SECONDS,
        status_stream_url=url_for("voting.status_stream") if streams.enabled() else "",
        speech_url=url_for("voting.speech_clip", clip="CLIP") if speech.available() else "",
    )


@bp.get("/kiosk/api/vote/status")
@polled
@kiosk_required(mode="voting")
def status():
    """Which round is open now (none: voting is not open), polled by the idle kiosk page."""
    round_ = rounds.open_round(_session())
    return jsonify({"round": round_.number if round_ else None})


@bp.get("/kiosk/api/vote/status.stream")
@polled
@kiosk_required(mode="voting")
def status_stream():
    """The same answer pushed (server-sent events) each time it changes, at most each second."""
    session_id = _session().id
    return streams.response(session_id, lambda: live.figures_of_sessions([session_id])[session_id],
                            shown=_open_round)


def _open_round(figures: dict) -> dict:
    return {"round": figures["round"] if figures["round_state"] == "open" else None}


@bp.post("/kiosk/api/vote/issue")
@kiosk_required(mode="voting")
def issue():
    """Scan a card: issue the delegate a ballot; returns the token and the ballot to show."""
    card = _card(_body())
    token, view = counting_failed_scans(
        g.kiosk, lambda: voting.issue_ballot(_session(), g.kiosk, card))
    return jsonify({"token": base64.urlsafe_b64encode(token).decode("ascii"), "ballot": view})


@bp.post("/kiosk/api/vote/cast")
@unit_of_work.reads_first
@kiosk_required(mode="voting")
def cast():
    """Submit the ballot; answered only after the commit is durable. Safe to retry.

    Encrypting and signing happen before the write transaction (the hall's kiosks share
    SQLite's one write lock); the short write re-checks the token and the round."""
    body = _body()
    session = _session()
    board_url = _board_address(session)  # before the commit expires it
    sealed = voting.seal_ballot(session, g.kiosk, _token(body), body.get("choices"))
    receipt = unit_of_work.run(lambda: voting.record_ballot(session, g.kiosk, sealed))
    return jsonify({"tracking_code": receipt.tracking_code, "round": receipt.round_number,
                    "board_url": board_url})


@bp.post("/kiosk/api/vote/return")
@kiosk_required(mode="voting")
def return_ballot():
    """Walk-away: give the unused token back with the card that was scanned."""
    body = _body()
    token, card = _token(body), _card(body)
    counting_failed_scans(g.kiosk, lambda: voting.return_token(_session(), g.kiosk, token, card))
    return jsonify({"returned": True})


@bp.get("/kiosk/api/vote/speech/<clip>.wav")
@polled
@kiosk_required(mode="voting")
def speech_clip(clip: str):
    """One clip of the spoken ballot (WAV, made with espeak-ng): a fixed kiosk phrase, a number,
    a tracking-code character or a project title of the open round; any other text is refused.
    The kiosk asks for all of its ballot's clips before the delegate marks anything."""
    audio = speech.clip_audio(_session(), g.kiosk.id, g.kiosk.language, clip)
    return Response(audio, mimetype="audio/wav")

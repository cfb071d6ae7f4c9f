"""开箱计票: t scrutineers' key cards open a closed round's totals, and only its totals.

At the close each project's 赞成 and 反对 ciphertexts were multiplied over the round's entries
(``Round.box_products``). A scrutineer presents a key card: its share is checked against the
box's commitments, used in memory for one partial decryption of those products with a
Chaum–Pedersen proof per value (stored, public: ``BoxPartial``), and forgotten. When t shares
have been presented the totals are combined (Lagrange in the exponent, a discrete log bounded
by the roster) and the round is counted. No single ballot's ciphertexts are ever decrypted, and
a share never reaches the database, a log or a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ballot.ballotbox import proofs
from ballot.ballotbox import shares as box_shares
from ballot.ballotbox.elgamal import Ciphertext
from ballot.ballotbox.errors import BallotBoxError
from ballot.domain.errors import N_, InvalidInput, WrongState
from ballot.domain.states import RoundState
from ballot.extensions import db
from ballot.models import BoxPartial, Round, VoteSession
from ballot.services import audit, box, paper_count, rounds


@dataclass(frozen=True)
class Opening:
    """Where a round's box opening stands: who has presented a card, out of how many needed."""

    number: int
    presented: tuple[str, ...]  # holders, in the order their cards were presented
    threshold: int
    opened: bool

    @property
    def count(self) -> int:
        return len(self.presented)


def products(round_: Round) -> list[Ciphertext]:
    """The closed round's products as the partials decrypt them: (赞成, 反对) per project."""
    if round_.box_products is None:
        raise WrongState(N_("第 %(number)s 轮尚未结束，票箱不能开启。"), number=round_.number)
    return [Ciphertext.from_json(round_.box_products[code][kind], allow_identity=True)
            for code in round_.candidates for kind in ("for", "against")]


def _partials(session: VoteSession, number: int) -> list[BoxPartial]:
    return list(db.session.execute(
        select(BoxPartial).where(BoxPartial.session_id == session.id,
                                 BoxPartial.round_number == number)
        .order_by(BoxPartial.share_index)).scalars())


def opening(session: VoteSession, round_: Round) -> Opening:
    """The opening state of ``round_`` (nothing presented while it is open)."""
    partials = _partials(session, round_.number)
    return Opening(number=round_.number, presented=tuple(p.holder for p in partials),
                   threshold=session.box_threshold, opened=round_.result is not None)


def _round_to_open(session: VoteSession, number: int | None) -> Round:
    round_ = (rounds.current_round(session) if number is None
              else rounds.get_round(session, number))
    if round_ is None or round_.state != RoundState.CLOSED:
        raise WrongState(N_("只有在本轮投票结束后才能开箱计票。"))
    if round_.result is not None:
        raise WrongState(N_("第 %(number)s 轮的票箱已经开启并计票，无需再出示密钥卡。"),
                         number=round_.number)
    if paper_count.awaiting_paper(session, round_):
        raise WrongState(N_("第 %(number)s 轮有纸质选票尚未录入：须由计票人两遍录入、监票人核定并完成录入后，"
                            "才能开箱计票。"), number=round_.number)
    return round_


def present_card(session: VoteSession, card_text: str, actor: str,
                 number: int | None = None) -> Opening:
    """A scrutineer presents a key card to open round ``number`` (default: the last round).

    The share is checked and used for one proved partial decryption of the round's products,
    then dropped; the t-th card counts the round. Audited (who presented which share number).
    """
    round_ = _round_to_open(session, number)
    if not isinstance(card_text, str) or not card_text.strip():
        raise InvalidInput(N_("请扫描密钥卡上的二维码，或照卡上的文字完整输入。"))
    share = box_shares.parse_share(card_text, session.key_fingerprint, box.box_key(session))
    return _apply_share(session, round_, share, actor, drill=False)


def open_with_drill_shares(session: VoteSession, actor: str, number: int | None = None) -> Opening:
    """A drill (演练) opens its box with the drill shares it kept, without scanning cards."""
    if not session.is_drill or not session.box_drill_shares:
        raise WrongState(N_("只有演练会议可以用演练密钥开箱；正式会议须由监票人出示密钥卡。"))
    round_ = _round_to_open(session, number)
    key = box.box_key(session)
    state = opening(session, round_)
    for text in session.box_drill_shares:
        if state.opened:
            break
        share = box_shares.parse_share(text, session.key_fingerprint, key)
        if box.holder_of(session, share.index) in state.presented:
            continue
        state = _apply_share(session, round_, share, actor, drill=True)
    return state


def _apply_share(session: VoteSession, round_: Round, share: box_shares.Share, actor: str,
                 *, drill: bool) -> Opening:
    if db.session.get(BoxPartial, (session.id, round_.number, share.index)) is not None:
        raise BallotBoxError(BallotBoxError.DUPLICATE_SHARE, index=share.index)
    context = proofs.decryption_context(session.key_fingerprint, round_.number)
    partial = proofs.partial_decrypt(share, products(round_), context)
    del share
    holder = box.holder_of(session, partial["index"])
    db.session.add(BoxPartial(session_id=session.id, round_number=round_.number,
                              share_index=partial["index"], holder=holder, partial=partial))
    db.session.flush()
    state = opening(session, round_)
    audit.record(actor, "box.partial", session, round=round_.number, share=partial["index"],
                 holder=holder, presented=state.count, threshold=state.threshold, drill=drill)
    if state.count >= state.threshold:
        _count(session, round_, actor)
        state = opening(session, round_)
    return state


def _count(session: VoteSession, round_: Round, actor: str) -> None:
    """Combine the presented partials (each checked again) into the totals and count."""
    cts = products(round_)
    context = proofs.decryption_context(session.key_fingerprint, round_.number)
    key = box.box_key(session)
    partials = {}
    for row in _partials(session, round_.number)[:session.box_threshold]:
        proofs.verify_partial(key, cts, row.partial, context)
        partials[row.share_index] = row.partial
    spec = rounds.round_spec(session, round_)
    values = proofs.combine(partials, cts, spec.roster_size, threshold=session.box_threshold)
    totals = {code: (values[2 * k], values[2 * k + 1])
              for k, code in enumerate(round_.candidates)}
    rounds.count_totals(session, round_, totals, actor)


def partials_of(session: VoteSession, number: int) -> list[dict]:
    """The round's partial decryptions as published: index, holder and the proved values."""
    return [{"index": p.share_index, "holder": p.holder, "decryptions": p.partial["decryptions"]}
            for p in _partials(session, number)]

"""The sealed ballot box (DESIGN §3): sealing (封箱) with the scrutineers' key cards, and
encrypting each ballot to the sealed box as it is cast.

Sealing deals a fresh ballot-box key t-of-n among the session's named scrutineers (the chief
scrutineer first). Only public values are stored: the box public key, each share's commitment,
who holds share i and the box fingerprint. The secret is never formed outside ``shares.deal``
and the shares exist only in the returned key cards, which the caller renders in memory and
sends once (a drill session alone keeps drill shares, so a drill runs without scanning).

"""

from __future__ import annotations

import functools
import re

from ballot import crypto
from ballot.ballotbox import proofs
from ballot.ballotbox import shares as box_shares
from ballot.ballotbox.group import Point
from ballot.domain import rules
from ballot.domain.errors import N_, InvalidInput, NotReady, WrongState
from ballot.domain.fields import Scrutiny
from ballot.domain.states import State
from ballot.extensions import db
from ballot.models import Round, VoteSession
from ballot.services import audit, rounds
from ballot.services.key_cards import KeyCard

MAX_SHARES = 9
_NAME_SEPARATORS = re.compile(r"\s*[、,，;；/\n]\s*")
ROLE_CHIEF = N_("总监票人")
ROLE_SCRUTINEER = N_("监票人")


def holder_names(session: VoteSession) -> list[str]:
    """The scrutineers who hold the box's shares: the chief scrutineer, then the scrutineers."""
    names = [session.chief_scrutineer.strip()] if session.chief_scrutineer.strip() else []
    names += [n for n in _NAME_SEPARATORS.split((session.scrutineers or "").strip()) if n]
    return names


def check_box_settings(threshold: int, shares: int) -> None:
    """1 ≤ t ≤ n ≤ 9, else InvalidInput saying so."""
    if not 1 <= threshold <= shares <= MAX_SHARES:
        raise InvalidInput(N_("密钥份数须为 1 到 %(max)s，开箱人数须至少 1 且不多于份数（例如 3 份中 2 份开箱）。"),
                           max=MAX_SHARES)


def is_sealed(session: VoteSession) -> bool:
    """True once the box has a public key (sealed, not yet resealed from scratch)."""
    return session.box_public_key is not None


def spoken_fingerprint(session: VoteSession) -> str:
    """The box fingerprint as read out in the hall (groups of four), or "" before sealing."""
    return crypto.format_fingerprint(session.box_fingerprint) if session.box_fingerprint else ""


def seal_problems(session: VoteSession) -> list[rules.Problem]:
    """Everything that stops sealing now (empty when the box can be sealed)."""
    problems: list[rules.Problem] = []
    if session.state not in (State.LOCKED, State.CHECKIN) or _has_rounds(session):
        problems.append(rules.Problem("seal_state", N_(
            "只能在锁定候选名单之后、开始投票之前封箱（当前：%(state)s）。"),
            {"state": rules.STATE_LABELS[session.state]}))
    names = holder_names(session)
    if len(names) != session.box_shares:
        problems.append(rules.Problem("seal_holders", N_(
            "密钥份数为 %(n)s，已登记的总监票人和监票人共 %(count)s 人：请在“监票与计票”中登记 "
            "%(n)s 人（总监票人 1 人，其余为监票人），或修改密钥份数。"),
            {"n": session.box_shares, "count": len(names)}))
    if len(set(names)) != len(names):
        problems.append(rules.Problem("seal_duplicate_holder", N_(
            "监票人名单中有重名：每张密钥卡须对应不同的监票人，请在姓名后加以区分。")))
    if not 1 <= session.box_threshold <= session.box_shares <= MAX_SHARES:
        problems.append(rules.Problem("seal_threshold", N_(
            "开箱人数须至少 1 且不多于密钥份数（最多 %(max)s 份）。"), {"max": MAX_SHARES}))
    return problems


def _has_rounds(session: VoteSession) -> bool:
    return rounds.current_round(session) is not None


def seal(session: VoteSession, actor: str, *, reprint: bool = False) -> list[KeyCard]:
    """Seal the box (or reseal it: new shares for all, every earlier card void); audited.

    Returns the key cards, whose shares exist nowhere else: render and send them once.
    """
    if is_sealed(session) and not reprint:
        raise WrongState(N_("投票箱已经封箱。如密钥卡遗失或需更换监票人，请选择“重新封箱并重印全部密钥卡”。"))
    problems = seal_problems(session)
    if problems:
        raise NotReady(problems, target=N_("封箱"))
    names = holder_names(session)
    public_key, dealt, commitments = box_shares.deal(session.box_threshold, session.box_shares)
    key = box_shares.BoxKey(session.box_threshold, session.box_shares, tuple(commitments))
    session.box_public_key = public_key.hex()
    session.box_commitments = [c.hex() for c in commitments]
    session.box_holders = names
    session.box_fingerprint = key.fingerprint()
    texts = [box_shares.encode_share(share, session.key_fingerprint, key) for share in dealt]
    del dealt  # the shares live on only in the cards' texts, which the caller sends once
    # Only a drill keeps its shares, so `ballot simulate` can open it without scanning cards.
    session.box_drill_shares = texts if session.is_drill else None
    db.session.flush()
    audit.record(actor, "box.reseal" if reprint else "box.seal", session,
                 threshold=session.box_threshold, shares=session.box_shares, holders=names,
                 box_fingerprint=session.box_fingerprint, drill=session.is_drill)
    spoken = spoken_fingerprint(session)
    return [
        KeyCard(session_title=session.display_title, session_slug=session.slug, holder=name,
                role=ROLE_CHIEF if i == 0 and session.chief_scrutineer.strip() else ROLE_SCRUTINEER,
                index=i + 1, threshold=session.box_threshold, shares=session.box_shares,
                box_fingerprint=spoken, share_text=text, drill=session.is_drill)
        for i, (name, text) in enumerate(zip(names, texts, strict=True))
    ]


def void_seal(session: VoteSession, actor: str) -> None:
    """Forget the box (the scrutineers changed before voting opened): it must be sealed again."""
    if not is_sealed(session):
        return
    if _has_rounds(session):
        raise WrongState(N_("投票已经开始，不能再更换持有密钥卡的监票人或修改开箱人数。"))
    clear(session)
    audit.record(actor, "box.unseal", session)


def clear(session: VoteSession) -> None:
    """Forget the box's public values (its key cards name the session key, so a new session
    key, at unlocking or a drill's reset, voids them too)."""
    session.box_public_key = session.box_fingerprint = None
    session.box_commitments = session.box_holders = session.box_drill_shares = None


def box_key(session: VoteSession) -> box_shares.BoxKey:
    """The sealed box's public side (t, n, commitments), decoded once per box."""
    if not is_sealed(session):
        raise WrongState(N_("投票箱尚未封箱。"))
    return _box_key(session.box_threshold, session.box_shares, tuple(session.box_commitments))


@functools.lru_cache(maxsize=256)
def _box_key(threshold: int, shares: int, commitments: tuple[str, ...]) -> box_shares.BoxKey:
    return box_shares.BoxKey(threshold, shares, tuple(Point.from_hex(c) for c in commitments))


def update_scrutiny(session: VoteSession, scrutiny: Scrutiny, actor: str) -> None:
    """Record the chief scrutineer, scrutineers and counting staff (any time before publishing),
    and the box's t of n. Changing who holds the key cards, or t or n, voids a seal made before
    voting opened (it must be sealed again) and is refused once voting has opened."""
    if session.state == State.PUBLISHED:
        raise WrongState(state=rules.STATE_LABELS[session.state])
    threshold = session.box_threshold if scrutiny.box_threshold is None else scrutiny.box_threshold
    shares = session.box_shares if scrutiny.box_shares is None else scrutiny.box_shares
    check_box_settings(threshold, shares)
    people = {key: getattr(scrutiny, key) for key in ("chief_scrutineer", "scrutineers", "counters")}
    before = (holder_names(session), session.box_threshold, session.box_shares)
    for key, names in people.items():
        setattr(session, key, names)
    session.box_threshold, session.box_shares = threshold, shares
    if (holder_names(session), threshold, shares) != before:
        void_seal(session, actor)
    audit.record(actor, "session.scrutiny", session, **people, box_threshold=threshold,
                 box_shares=shares)


@functools.lru_cache(maxsize=256)
def _public_key(hex_key: str) -> Point:
    return Point.from_hex(hex_key)


def for_limit(session: VoteSession, round_: Round) -> int:
    """The most 赞成 a ballot of ``round_`` may hold: the slots (差额), or every project (等额)."""
    return round_.quota if session.contested else len(round_.candidates)


def encrypt_ballot(session: VoteSession, round_: Round, ballot_id: str,
                   choices: dict[str, str]) -> dict:
    """The ballot as it is stored and published: per project of ``round_`` (ballot order) the
    encrypted 赞成 and 反对 with their proofs, and the quota proof (docs/ballot-box.md §4.6).

    ``choices`` (code → for/against/abstain, a missing code is 弃权) exist only in memory here.
    """
    if not is_sealed(session):
        raise WrongState(N_("投票箱尚未封箱，不能投票。"))
    ordered = [choices.get(code, "abstain") for code in round_.candidates]
    context = proofs.ballot_context(session.key_fingerprint, round_.number, ballot_id)
    return proofs.encrypt_ballot(_public_key(session.box_public_key), ordered,
                                 for_limit(session, round_), context)


def holder_of(session: VoteSession, index: int) -> str:
    """The scrutineer who holds share ``index`` (1..n) of the sealed box."""
    holders = session.box_holders or []
    return holders[index - 1] if 1 <= index <= len(holders) else f"#{index}"

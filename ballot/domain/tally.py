"""The 票决 count: per-project votes, pass threshold, ranking, cutoff and ties.

Pure functions over plain data (DESIGN §2, "Pass and rank"). No Flask, no database, no crypto: the
server, the chair screen and the offline ``verify`` command all recount with this module, so it
must stay importable on its own and give the same answer for the same ballots in any order.

Candidates are keyed by their code ("01", "02", …, in ballot order). A ballot is a mapping
``code -> "for" | "against" | "abstain"``; a code missing from it counts as 弃权. Encrypted
ballots are counted from their decrypted per-project totals alone (``tally_totals``): a 弃权 is
"neither 赞成 nor 反对", so a project left unmarked and one marked 弃权 are the same vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FOR = "for"
AGAINST = "against"
ABSTAIN = "abstain"
CHOICES: frozenset[str] = frozenset({FOR, AGAINST, ABSTAIN})

PASS_BASIS_ROSTER = "roster"
PASS_BASIS_PRESENT = "present"
PASS_BASES: tuple[str, ...] = (PASS_BASIS_ROSTER, PASS_BASIS_PRESENT)  # in the order pages list them

# Reason codes returned by ballot_problem(); stable strings so pages can translate them.
PROBLEM_UNKNOWN_CANDIDATE = "unknown_candidate"
PROBLEM_UNKNOWN_CHOICE = "unknown_choice"
PROBLEM_TOO_MANY_FOR = "too_many_for"

# Ballot kinds (who filled the ballot in) and why a ballot is invalid (无效票), as the result
# document counts them. Kiosk ballots are refused before submission when invalid; a paper ballot
# typed in by counting staff is recorded as invalid with its reason.
KIND_KIOSK = "kiosk"
KIND_PAPER = "paper"
BALLOT_KINDS: tuple[str, ...] = (KIND_KIOSK, KIND_PAPER)
INVALID_OVER_QUOTA = "over_quota"  # 超过应选数
INVALID_UNREADABLE = "unreadable"  # 无法辨认
INVALID_REASONS: tuple[str, ...] = (INVALID_OVER_QUOTA, INVALID_UNREADABLE)

DECISION_TIE_BREAK = "tie_break"
DECISION_LEAVE_EMPTY = "leave_empty"
DECISIONS: frozenset[str] = frozenset({DECISION_TIE_BREAK, DECISION_LEAVE_EMPTY})

def _check_count(name: str, value: int) -> None:
    # bool is an int subclass; a True roster size is a caller bug, not a roster of one.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")


@dataclass(frozen=True)
class RoundSpec:
    """What a round votes on: candidates in ballot order, slots to fill, and the turnout figures."""

    number: int
    candidates: tuple[str, ...]
    quota: int
    contested: bool
    roster_size: int
    present: int
    issued: int
    pass_basis: str = PASS_BASIS_ROSTER
    issued_paper: int = 0  # of ``issued``, the paper ballots handed out; the rest were kiosk's

    def __post_init__(self) -> None:
        # Coerce lists to a tuple so a spec built from JSON is still hashable and immutable.
        object.__setattr__(self, "candidates", tuple(self.candidates))
        if self.number < 1:
            raise ValueError(f"round number must be >= 1, got {self.number}")
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError("candidate codes must be unique")
        if self.quota < 1:
            raise ValueError(f"quota must be >= 1, got {self.quota}")
        for name in ("roster_size", "present", "issued", "issued_paper"):
            _check_count(name, getattr(self, name))
        if self.issued_paper > self.issued:
            raise ValueError(f"issued_paper {self.issued_paper} > issued {self.issued}")
        if self.pass_basis not in PASS_BASES:
            raise ValueError(f"pass_basis must be one of {sorted(PASS_BASES)}")

    @property
    def issued_by_kind(self) -> dict[str, int]:
        """Ballots issued per kind: {"kiosk": n, "paper": m}."""
        return {KIND_KIOSK: self.issued - self.issued_paper, KIND_PAPER: self.issued_paper}

    @property
    def pass_threshold(self) -> int:
        """Fewest 赞成 votes that pass (``pass_threshold``)."""
        return pass_threshold(self.roster_size, self.present, self.pass_basis)


def pass_threshold(roster_size: int, present: int, pass_basis: str) -> int:
    """Fewest 赞成 votes that pass: more than half of the roster (or of those present)."""
    base = roster_size if pass_basis == PASS_BASIS_ROSTER else present
    return base // 2 + 1


@dataclass(frozen=True)
class Count:
    """One project's votes in one round (弃权: valid ballots with neither 赞成 nor 反对)."""

    for_: int = 0
    against: int = 0
    abstain: int = 0

    def to_dict(self) -> dict[str, int]:
        """The JSON shape: {"for", "against", "abstain"}."""
        return {"for": self.for_, "against": self.against, "abstain": self.abstain}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Count:
        """Inverse of to_dict()."""
        return cls(
            for_=int(data["for"]),
            against=int(data["against"]),
            abstain=int(data["abstain"]),
        )


@dataclass(frozen=True)
class RankEntry:
    """A passing project's place: standard competition rank (1, 2, 2, 4) by 赞成 votes."""

    code: str
    for_: int
    rank: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: {"code", "for", "rank"}."""
        return {"code": self.code, "for": self.for_, "rank": self.rank}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RankEntry:
        """Inverse of to_dict()."""
        return cls(code=str(data["code"]), for_=int(data["for"]), rank=int(data["rank"]))


@dataclass(frozen=True)
class Tie:
    """Projects tied across the cutoff (in ballot order) and the slots they compete for."""

    candidates: tuple[str, ...]
    slots: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "candidates", tuple(self.candidates))

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: {"candidates": [...], "slots": n}."""
        return {"candidates": list(self.candidates), "slots": self.slots}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tie:
        """Inverse of to_dict()."""
        return cls(candidates=tuple(str(c) for c in data["candidates"]), slots=int(data["slots"]))


@dataclass(frozen=True)
class RoundResult:
    """The outcome of one round, field for field the spec's "Round result" document.

    ``counts`` is a plain dict keyed by code in ballot order; treat it as read-only.
    """

    number: int
    candidates: tuple[str, ...]
    quota: int
    contested: bool
    pass_basis: str
    roster_size: int
    present: int
    pass_threshold: int
    issued: int
    returned: int
    valid: int
    invalid: int
    returned_within_issued: bool
    counts: dict[str, Count] = field(hash=False)
    passed: tuple[str, ...]
    ranking: tuple[RankEntry, ...]
    chosen: tuple[str, ...]
    tie: Tie | None
    shortfall: int
    # {"kiosk": n, "paper": m} and {"over_quota": n, "unreadable": m}; read-only like counts.
    issued_by_kind: dict[str, int] = field(hash=False)
    returned_by_kind: dict[str, int] = field(hash=False)
    invalid_by_reason: dict[str, int] = field(hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The spec's JSON-able round result (ints, strs, lists, dicts, bools, None; no floats)."""
        return {
            "number": self.number,
            "candidates": list(self.candidates),
            "quota": self.quota,
            "contested": self.contested,
            "pass_basis": self.pass_basis,
            "roster_size": self.roster_size,
            "present": self.present,
            "pass_threshold": self.pass_threshold,
            "issued": self.issued,
            "returned": self.returned,
            "valid": self.valid,
            "invalid": self.invalid,
            "returned_within_issued": self.returned_within_issued,
            "counts": {code: self.counts[code].to_dict() for code in self.candidates},
            "passed": list(self.passed),
            "ranking": [entry.to_dict() for entry in self.ranking],
            "chosen": list(self.chosen),
            "tie": None if self.tie is None else self.tie.to_dict(),
            "shortfall": self.shortfall,
            "issued_by_kind": {kind: self.issued_by_kind[kind] for kind in BALLOT_KINDS},
            "returned_by_kind": {kind: self.returned_by_kind[kind] for kind in BALLOT_KINDS},
            "invalid_by_reason": {r: self.invalid_by_reason[r] for r in INVALID_REASONS},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoundResult:
        """Rebuild a result from to_dict() output (e.g. a stored or published result document).

        Extra keys (such as "merkle_root" or "decision" in result.json) are ignored. A document
        from before paper ballots (no "issued_by_kind", "returned_by_kind", "invalid_by_reason")
        reads as all kiosk ballots and no invalid reason.
        """
        candidates = tuple(str(c) for c in data["candidates"])
        tie = data["tie"]
        issued, returned = int(data["issued"]), int(data["returned"])
        by_kind = data.get("issued_by_kind") or {KIND_KIOSK: issued}
        returned_kind = data.get("returned_by_kind") or {KIND_KIOSK: returned}
        reasons = data.get("invalid_by_reason") or {}
        return cls(
            number=int(data["number"]),
            candidates=candidates,
            quota=int(data["quota"]),
            contested=bool(data["contested"]),
            pass_basis=str(data["pass_basis"]),
            roster_size=int(data["roster_size"]),
            present=int(data["present"]),
            pass_threshold=int(data["pass_threshold"]),
            issued=issued,
            returned=returned,
            valid=int(data["valid"]),
            invalid=int(data["invalid"]),
            returned_within_issued=bool(data["returned_within_issued"]),
            counts={code: Count.from_dict(data["counts"][code]) for code in candidates},
            passed=tuple(str(c) for c in data["passed"]),
            ranking=tuple(RankEntry.from_dict(e) for e in data["ranking"]),
            chosen=tuple(str(c) for c in data["chosen"]),
            tie=None if tie is None else Tie.from_dict(tie),
            shortfall=int(data["shortfall"]),
            issued_by_kind={k: int(by_kind.get(k, 0)) for k in BALLOT_KINDS},
            returned_by_kind={k: int(returned_kind.get(k, 0)) for k in BALLOT_KINDS},
            invalid_by_reason={r: int(reasons.get(r, 0)) for r in INVALID_REASONS},
        )


def ballot_problem(choices: Mapping[str, str], spec: RoundSpec) -> str | None:
    """Why a ballot is invalid (a PROBLEM_* code), or None when it is valid.

    Kiosks refuse such a ballot before submission; a paper ballot typed in by counting staff is
    recorded and counted as invalid.
    """
    # Set operations, not a loop per choice: a recount runs this for every ballot.
    if not frozenset(spec.candidates).issuperset(choices):
        return PROBLEM_UNKNOWN_CANDIDATE
    values = list(choices.values())
    try:
        if not CHOICES.issuperset(values):
            return PROBLEM_UNKNOWN_CHOICE
    except TypeError:  # an unhashable value from a malformed submission
        return PROBLEM_UNKNOWN_CHOICE
    # 差额: approving more projects than there are slots voids the whole ballot (DESIGN §2).
    # 等额 mode has no such limit: each project is simply approved or not.
    if spec.contested and values.count(FOR) > spec.quota:
        return PROBLEM_TOO_MANY_FOR
    return None


def is_valid_ballot(choices: Mapping[str, str], spec: RoundSpec) -> bool:
    """True when the ballot counts towards the projects' votes."""
    return ballot_problem(choices, spec) is None


def _rank(passed: Sequence[str], counts: Mapping[str, Count]) -> tuple[RankEntry, ...]:
    # sorted() is stable and `passed` is in ballot order, so equal votes keep ballot order.
    ordered = sorted(passed, key=lambda code: -counts[code].for_)
    entries: list[RankEntry] = []
    for position, code in enumerate(ordered, start=1):
        votes = counts[code].for_
        # Equal votes share the rank of the first of them; the next distinct count skips ahead.
        rank = entries[-1].rank if entries and entries[-1].for_ == votes else position
        entries.append(RankEntry(code=code, for_=votes, rank=rank))
    return tuple(entries)


def _cut(
    ranking: Sequence[RankEntry], quota: int, ballot_order: Sequence[str]
) -> tuple[tuple[str, ...], Tie | None]:
    """Choose the top `quota` of the ranking, never splitting a group tied at the cutoff."""
    if len(ranking) <= quota:
        return tuple(e.code for e in ranking), None
    last_votes = ranking[quota - 1].for_
    if ranking[quota].for_ != last_votes:
        return tuple(e.code for e in ranking[:quota]), None
    # The group holding the last slot spills past it: the count alone cannot decide, so
    # nobody in the group is chosen and the remaining slots go to a further round (再次投票).
    above = tuple(e.code for e in ranking if e.for_ > last_votes)
    tied = {e.code for e in ranking if e.for_ == last_votes}
    group = tuple(code for code in ballot_order if code in tied)
    return above, Tie(candidates=group, slots=quota - len(above))


def invalid_reason(choices: Mapping[str, str] | None, spec: RoundSpec) -> str | None:
    """Why a paper ballot as read is invalid (INVALID_OVER_QUOTA / INVALID_UNREADABLE), or None.

    ``None`` is a ballot nobody could read (无法辨认); a mark that is no choice or a project not
    on the round's ballot cannot be read either.
    """
    if choices is None:
        return INVALID_UNREADABLE
    problem = ballot_problem(choices, spec)
    if problem is None:
        return None
    return INVALID_OVER_QUOTA if problem == PROBLEM_TOO_MANY_FOR else INVALID_UNREADABLE


def tally_round(spec: RoundSpec, ballots: Iterable[Mapping[str, str]],
                paper: Iterable[Mapping[str, str] | None] = ()) -> RoundResult:
    """Count plaintext ballots (a test's; paper ballots as the counting staff read them)
    through ``tally_totals``: ``ballots`` cast at kiosks, ``paper`` from the paper box (None:
    unreadable).

    Invalid ballots (see invalid_reason) count in ``returned`` and ``invalid`` only.
    """
    totals = {code: [0, 0] for code in spec.candidates}
    returned = dict.fromkeys(BALLOT_KINDS, 0)
    reasons = dict.fromkeys(INVALID_REASONS, 0)
    for kind, pile in ((KIND_KIOSK, ballots), (KIND_PAPER, paper)):
        for choices in pile:
            returned[kind] += 1
            reason = invalid_reason(choices, spec)
            if reason is not None:
                reasons[reason] += 1
                continue
            for code, choice in choices.items():
                if choice == FOR:
                    totals[code][0] += 1
                elif choice == AGAINST:
                    totals[code][1] += 1
    return tally_totals(spec, {code: (f, a) for code, (f, a) in totals.items()},
                        sum(returned.values()), sum(reasons.values()),
                        returned_by_kind=returned, invalid_by_reason=reasons)


def _per_key(name: str, values: Mapping[str, int], keys: tuple[str, ...], total: int
             ) -> dict[str, int]:
    if set(values) != set(keys):
        raise ValueError(f"{name} must name exactly {list(keys)}, got {sorted(values)}")
    for key in keys:
        _check_count(f"{name}[{key}]", values[key])
    if sum(values.values()) != total:
        raise ValueError(f"{name} adds up to {sum(values.values())}, not {total}")
    return {key: values[key] for key in keys}


def tally_totals(spec: RoundSpec, totals: Mapping[str, tuple[int, int]], returned: int,
                 invalid: int = 0, *, returned_by_kind: Mapping[str, int] | None = None,
                 invalid_by_reason: Mapping[str, int] | None = None) -> RoundResult:
    """Decide a round from its per-project (赞成, 反对) totals over the valid ballots.

    This is how the sealed box is counted: only these totals are ever decrypted. 弃权 is what
    is left of the valid ballots. A project passes with 赞成 >= ``spec.pass_threshold``;
    passing projects are ranked by 赞成 (equal votes share a rank and keep ballot order) and the
    top ``spec.quota`` are chosen, except that a group tied across the cutoff is never split:
    none of it is chosen and ``tie`` names the group and the slots left. ``shortfall`` is how
    many slots lack a passing project.

    ``returned_by_kind`` splits ``returned`` into kiosk and paper ballots (default: all kiosk);
    ``invalid_by_reason`` splits ``invalid`` by reason (over_quota, unreadable; needed when any
    ballot is invalid). Both must add up to their totals.

    A round whose ballots returned exceed those issued, for either kind, is void (DESIGN §2;
    a paper ballot more than were handed out is stuffed even when kiosk ballots went unused):
    counts, ``passed``
    and ``ranking`` are still reported for the record, but ``chosen`` is empty, ``tie`` is None
    and ``shortfall`` is 0, because a void round decides nothing; the caller reports it
    (``returned_within_issued`` is False) and the round must be held again. ValueError when the
    totals cannot come from ``returned - invalid`` valid ballots.
    """
    _check_count("returned", returned)
    _check_count("invalid", invalid)
    by_kind = _per_key("returned_by_kind", returned_by_kind if returned_by_kind is not None
                       else {KIND_KIOSK: returned, KIND_PAPER: 0}, BALLOT_KINDS, returned)
    if invalid_by_reason is None and invalid:
        raise ValueError("invalid ballots need their reasons (invalid_by_reason)")
    reasons = _per_key("invalid_by_reason", invalid_by_reason if invalid_by_reason is not None
                       else dict.fromkeys(INVALID_REASONS, 0), INVALID_REASONS, invalid)
    valid = returned - invalid
    if valid < 0 or set(totals) != set(spec.candidates):
        raise ValueError("totals must name every candidate of the round, invalid <= returned")
    counts = {}
    for code in spec.candidates:
        for_, against = totals[code]
        _check_count("for", for_)
        _check_count("against", against)
        if for_ + against > valid:
            raise ValueError(f"project {code}: {for_} for + {against} against > {valid} ballots")
        counts[code] = Count(for_=for_, against=against, abstain=valid - for_ - against)

    threshold = spec.pass_threshold
    passed = tuple(code for code in spec.candidates if counts[code].for_ >= threshold)
    ranking = _rank(passed, counts)
    issued_by_kind = spec.issued_by_kind
    within_issued = all(by_kind[kind] <= issued_by_kind[kind] for kind in BALLOT_KINDS)
    if within_issued:
        chosen, tie = _cut(ranking, spec.quota, spec.candidates)
        shortfall = max(0, spec.quota - len(passed))
    else:
        chosen, tie, shortfall = (), None, 0

    return RoundResult(
        number=spec.number,
        candidates=spec.candidates,
        quota=spec.quota,
        contested=spec.contested,
        pass_basis=spec.pass_basis,
        roster_size=spec.roster_size,
        present=spec.present,
        pass_threshold=threshold,
        issued=spec.issued,
        returned=returned,
        valid=valid,
        invalid=invalid,
        returned_within_issued=within_issued,
        counts=counts,
        passed=passed,
        ranking=ranking,
        chosen=chosen,
        tie=tie,
        shortfall=shortfall,
        issued_by_kind=issued_by_kind,
        returned_by_kind=by_kind,
        invalid_by_reason=reasons,
    )


def next_round_spec(
    previous: RoundSpec, result: RoundResult, present: int, issued: int, issued_paper: int = 0
) -> RoundSpec:
    """The tie-break round (再次投票) after `result`: the tied projects, for the open slots."""
    if result.number != previous.number:
        raise ValueError(f"result is for round {result.number}, spec for {previous.number}")
    if result.tie is None:
        raise ValueError(f"round {result.number} has no tie to break")
    return RoundSpec(
        number=previous.number + 1,
        candidates=result.tie.candidates,
        quota=result.tie.slots,
        contested=previous.contested,
        roster_size=previous.roster_size,
        present=present,
        issued=issued,
        pass_basis=previous.pass_basis,
        issued_paper=issued_paper,
    )


@dataclass(frozen=True)
class FinalResult:
    """The session's outcome over all rounds so far.

    ``len(chosen) + open_slots + shortfall`` always equals the quota. ``open_slots`` counts slots
    left empty by a leave_empty decision and slots still held by an unresolved tie; the latter
    tie is ``pending_tie`` (no decision yet, or tie_break decided but its round not counted yet).
    """

    chosen: tuple[str, ...]
    open_slots: int
    shortfall: int
    pending_tie: Tie | None

    @property
    def complete(self) -> bool:
        """True when no tie is waiting for a decision or a further round."""
        return self.pending_tie is None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape: {"chosen": [...], "open_slots", "shortfall", "pending_tie": tie | None}."""
        return {
            "chosen": list(self.chosen),
            "open_slots": self.open_slots,
            "shortfall": self.shortfall,
            "pending_tie": None if self.pending_tie is None else self.pending_tie.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FinalResult:
        """Inverse of to_dict()."""
        tie = data["pending_tie"]
        return cls(
            chosen=tuple(str(c) for c in data["chosen"]),
            open_slots=int(data["open_slots"]),
            shortfall=int(data["shortfall"]),
            pending_tie=None if tie is None else Tie.from_dict(tie),
        )


def combine_rounds(
    quota: int, rounds: Sequence[RoundResult], decisions: Mapping[int, str]
) -> FinalResult:
    """Fold round 1 and its tie-break rounds into the final result.

    Round 1 votes on all candidates for `quota` slots; each later round breaks the previous
    round's tie, on exactly the tied projects (in ballot order), for its open slots.
    ``decisions[n]`` says what follows a tie in round n: "tie_break" (round n+1) or
    "leave_empty" (those slots stay empty).
    Chosen projects come in final rank order: earlier rounds' chosen first, then tie-break winners.

    Raises ValueError when the rounds do not form such a chain, a round is void (returned >
    issued), or a decision is unknown or names a round without a tie.
    """
    if not rounds:
        raise ValueError("at least one round is needed")
    if rounds[0].number != 1 or rounds[0].quota != quota:
        raise ValueError("the first round must be round 1 for the full quota")
    for number, decision in decisions.items():
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r} for round {number}")
    tied_rounds = {r.number for r in rounds if r.tie is not None}
    stray = sorted(set(decisions) - tied_rounds)
    if stray:
        raise ValueError(f"decisions given for rounds without a tie: {stray}")

    chosen: list[str] = []
    open_slots = 0
    shortfall = 0
    pending: Tie | None = None
    expected: Tie | None = None  # the tie the next round must break, once decided
    for index, result in enumerate(rounds):
        if index > 0:
            if expected is None:
                raise ValueError(f"round {result.number} follows no tie_break decision")
            if (
                result.number != rounds[index - 1].number + 1
                or tuple(result.candidates) != tuple(expected.candidates)  # ballot order too
                or result.quota != expected.slots
            ):
                raise ValueError(f"round {result.number} does not break round {index}'s tie")
        if not result.returned_within_issued:
            raise ValueError(f"round {result.number} is void: returned > issued")
        chosen.extend(result.chosen)
        shortfall += result.shortfall
        expected = None
        pending = None
        tie = result.tie
        if tie is None:
            continue
        decision = decisions.get(result.number)
        if decision == DECISION_LEAVE_EMPTY:
            open_slots += tie.slots
        elif decision == DECISION_TIE_BREAK:
            expected = tie
            pending = tie  # until its round is counted, i.e. the loop comes round again
        else:
            pending = tie

    if pending is not None:
        # Slots of an unresolved tie are open until a decision or a further round fills them.
        open_slots += pending.slots
    return FinalResult(
        chosen=tuple(chosen), open_slots=open_slots, shortfall=shortfall, pending_tie=pending
    )

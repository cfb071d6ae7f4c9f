"""Zero-knowledge proofs of the ballot box, and the API the service and the verifier call.

Every proof is a Σ-protocol made non-interactive by *strong* Fiat–Shamir: the challenge hashes
the group, the public key, the whole statement (every ciphertext of the ballot or of the count),
all commitments and a context naming the session, round and purpose (docs/ballot-box.md §4).

- **Choice proof** (per project): the pair (赞成, 反对) is (0,0), (1,0) or (0,1). Both ciphertexts
  are folded into one, E_f + w·E_a with a weight w hashed from the ballot, which encrypts 0, 1 or w
  exactly when the pair is allowed (otherwise for at most 3 of the L possible weights); a 3-way
  disjunctive Chaum–Pedersen proof shows that. This costs 11 variable-base multiplications to
  check instead of 18 for a 3-way proof over the pair or for two bit proofs and an at-most-one.
- **Quota proof** (per ballot): the sum of the 赞成 ciphertexts encrypts 0..min(quota, n)
  (disjunctive, like ElectionGuard 2.0's ranged proofs).
- **Decryption proof** (per share and ciphertext): Chaum–Pedersen, log_G(Y_i) = log_alpha(D).

Proofs are sent in commitment form (A, B, c, z), so the verifier checks a ballot's equations
together, as one random linear combination of every equation in it (batch verification, false
acceptance ≤ 2^-128); when that fails it checks each proof alone to say which one.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

from ballot.ballotbox.elgamal import ZERO, Ciphertext, encrypt, product
from ballot.ballotbox.errors import BallotBoxError
from ballot.ballotbox.group import (
    GROUP_ID,
    IDENTITY,
    POINT_BYTES,
    G,
    L,
    Point,
    base_mul,
    frame,
    hash_to_scalar,
    random_scalar,
    scalar_from_hex,
    scalar_hex,
)
from ballot.ballotbox.shares import BoxKey, Share, lagrange_at_zero

#: The three answers per project, in the order of the choice proof's branches.
CHOICES = ("abstain", "for", "against")
_BITS = {"abstain": (0, 0), "for": (1, 0), "against": (0, 1)}

TAG_CONTEXT = b"piaojue/ballot-box/context/v1"
TAG_BALLOT = b"piaojue/ballot-box/ballot-statement/v1"
TAG_WEIGHT = b"piaojue/ballot-box/choice-weight/v1"
TAG_CHOICE = b"piaojue/ballot-box/choice-proof/v1"
TAG_QUOTA = b"piaojue/ballot-box/quota-proof/v1"
TAG_DECRYPTION = b"piaojue/ballot-box/decryption-statement/v1"
TAG_DECRYPTION_PROOF = b"piaojue/ballot-box/decryption-proof/v1"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_IDENTITY_HEX = "00" * POINT_BYTES

Branch = tuple[Point, Point, int, int]  # (A, B, c, z)
Rng = Callable[[], int]


def _dec(n: int) -> bytes:
    return str(n).encode("ascii")


# --- contexts ---------------------------------------------------------------------------------


def make_context(session_fingerprint: str, round_number: int, purpose: str,
                 ballot_id: str = "") -> bytes:
    """The context hashed into a proof: session fingerprint, round, purpose, ballot id."""
    if not _HEX64.fullmatch(session_fingerprint) or type(round_number) is not int:
        raise ValueError("context needs the session's 64-hex fingerprint and an int round")
    return frame(TAG_CONTEXT, session_fingerprint.encode("ascii"), _dec(round_number),
                 purpose.encode("utf-8"), ballot_id.encode("utf-8"))


def ballot_context(session_fingerprint: str, round_number: int, ballot_id: str) -> bytes:
    """Context of one ballot's proofs: a proof made for one ballot id fits no other."""
    return make_context(session_fingerprint, round_number, "ballot", ballot_id)


def decryption_context(session_fingerprint: str, round_number: int) -> bytes:
    """Context of the partial decryptions of a round's totals."""
    return make_context(session_fingerprint, round_number, "decryption")


# --- wire parsing -----------------------------------------------------------------------------


def _lazy_point(text: object, where: str) -> Point:
    # Form, identity and sign bit are checked here; that it is a ristretto point is checked by
    # libsodium when the point is first used (every operation decodes its inputs), which saves
    # a separate decoding per point on the verifier's hot path. Points never used are checked
    # explicitly (_Batch.check).
    if type(text) is not str or not _HEX64.fullmatch(text):
        raise BallotBoxError(BallotBoxError.BAD_POINT, where=where)
    if text == _IDENTITY_HEX:
        raise BallotBoxError(BallotBoxError.IDENTITY_POINT, where=where)
    data = bytes.fromhex(text)
    if data[31] & 0x80:
        raise BallotBoxError(BallotBoxError.BAD_POINT, where=where)
    return Point(data)


def _scalar(text: object, where: str) -> int:
    try:
        return scalar_from_hex(text)
    except BallotBoxError:
        raise BallotBoxError(BallotBoxError.BAD_SCALAR, where=where) from None


def _ciphertext(obj: object, where: str) -> Ciphertext:
    if type(obj) is not dict or obj.keys() != {"a", "b"}:
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where=where)
    return Ciphertext(_lazy_point(obj["a"], where), _lazy_point(obj["b"], where))


def _branches(obj: object, count: int, where: str) -> list[Branch]:
    if type(obj) is not list or len(obj) != count:
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where=where)
    out = []
    for item in obj:
        if type(item) is not list or len(item) != 4:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where=where)
        out.append((_lazy_point(item[0], where), _lazy_point(item[1], where),
                    _scalar(item[2], where), _scalar(item[3], where)))
    return out


def _branches_json(branches: Sequence[Branch]) -> list[list[str]]:
    return [[a.hex(), b.hex(), scalar_hex(c), scalar_hex(z)] for a, b, c, z in branches]


# --- the disjunctive proof --------------------------------------------------------------------


def _prove_or(pk: Point, x: int, m: int, values: Sequence[int], real: int,
              challenge: Callable[[list[tuple[Point, Point]]], int], rng: Rng) -> list[Branch]:
    """Prove (X, Y − v·G) = x·(G, H) for some v in ``values``, where X = x·G, Y = m·G + x·H.

    ``real`` is the branch with values[real] == m; the others are simulated. The prover knows
    x, so a simulated branch's commitments cost a base multiplication and one by H, like the
    real one's: the work does not depend on which branch is real.
    """
    commitments: list[tuple[Point, Point]] = []
    simulated: dict[int, tuple[int, int]] = {}
    k = rng()
    for j, v in enumerate(values):
        if j == real:
            commitments.append((base_mul(k), pk * k))
        else:
            c_j, t = rng(), rng()
            # A = z·G − c·X and B = z·H − c·(Y − v·G) with z = t + c·x, computed from x.
            commitments.append((base_mul(t), pk * t - base_mul(c_j * (m - v))))
            simulated[j] = (c_j, t)
    c = challenge(commitments)
    c_real = (c - sum(c_j for c_j, _ in simulated.values())) % L
    branches = []
    for j, (a, b) in enumerate(commitments):
        if j == real:
            branches.append((a, b, c_real, (k + c_real * x) % L))
        else:
            c_j, t = simulated[j]
            branches.append((a, b, c_j, (t + c_j * x) % L))
    return branches


def _challenge_parts(branches: Iterable[tuple[Point, Point]] | Iterable[Branch]) -> list[bytes]:
    parts = []
    for branch in branches:
        parts += [branch[0].data, branch[1].data]
    return parts


def _check_or_alone(pk: Point, x_point: Point, y_point: Point, values: Sequence[int],
                    branches: Sequence[Branch]) -> bool:
    """Each branch's two equations, one at a time (the reference check of docs §4.2)."""
    for (a, b, c, z), v in zip(branches, values, strict=True):
        if base_mul(z) != a + x_point * c:
            return False
        if pk * z != b + (y_point - base_mul(v)) * c:
            return False
    return True


class _Batch:
    """Σ_e ρ_e·(lhs_e − rhs_e) over many equations z·G = A + c·X, z·H = B + c·(Y − v·G)."""

    def __init__(self) -> None:
        self.g = 0
        self.h = 0
        self.points: dict[bytes, int] = {}

    def _add(self, point: Point, coefficient: int) -> None:
        self.points[point.data] = (self.points.get(point.data, 0) + coefficient) % L

    def add_or(self, x_terms: Sequence[tuple[Point, int]], y_terms: Sequence[tuple[Point, int]],
               values: Sequence[int], branches: Sequence[Branch]) -> None:
        """Add a disjunctive proof about X = Σ w·P over x_terms and Y = Σ w·P over y_terms."""
        x_coefficient = y_coefficient = 0
        for (a, b, c, z), v in zip(branches, values, strict=True):
            rho, sigma = secrets.randbits(128) + 1, secrets.randbits(128) + 1
            # ρ(z·G − A − c·X) + σ(z·H − B − c·Y + c·v·G)
            self.g += rho * z + sigma * c * v
            self.h += sigma * z
            self._add(a, -rho)
            self._add(b, -sigma)
            x_coefficient += rho * c
            y_coefficient += sigma * c
        for point, weight in x_terms:
            self._add(point, -x_coefficient * weight)
        for point, weight in y_terms:
            self._add(point, -y_coefficient * weight)

    def holds(self, pk: Point) -> bool:
        """True when the combined equation is the identity (every point is decoded here)."""
        acc = base_mul(self.g) + pk * self.h
        for data, coefficient in self.points.items():
            point = Point(data)
            if coefficient == 0:  # not multiplied, so check the encoding explicitly
                Point.decode(data)
            else:
                acc = acc + point * coefficient
        return acc.is_identity()


# --- ballots ----------------------------------------------------------------------------------


def _statement(pk: Point, context: bytes, quota: int,
               pairs: Sequence[tuple[Ciphertext, Ciphertext]]) -> bytes:
    parts = [GROUP_ID, pk.data, context, _dec(len(pairs)), _dec(quota)]
    for f, a in pairs:
        parts += [f.alpha.data, f.beta.data, a.alpha.data, a.beta.data]
    return hashlib.sha512(frame(TAG_BALLOT, *parts)).digest()


def _weight(statement: bytes, k: int) -> int:
    return hash_to_scalar(TAG_WEIGHT, statement, _dec(k))


def _quota_values(quota: int, n: int) -> range:
    # The 赞成 total is at most n anyway (each project's proof shows a bit), so the range
    # 0..min(quota, n) states "at most quota" with the fewest branches.
    return range(min(quota, n) + 1)


def _check_quota_arg(quota: object) -> int:
    if type(quota) is not int or quota < 0:
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="quota")
    return quota


def encrypt_ballot(pk: Point, choices: Sequence[str], quota: int, context: bytes,
                   *, rng: Rng = random_scalar) -> dict:
    """Encrypt one ballot's choices ("for", "against" or "abstain" per project) with its proofs.

    Returns the canonical-JSON-ready dict
    ``{"projects": [{"for": ct, "against": ct, "proof": [[A, B, c, z] ×3]} …],
    "quota_proof": [[A, B, c, z] × (min(quota, n) + 1)]}``. ``rng`` is for test vectors only.
    """
    quota = _check_quota_arg(quota)
    if not isinstance(choices, Sequence) or any(c not in _BITS for c in choices):
        raise BallotBoxError(BallotBoxError.BAD_CHOICE)
    if sum(c == "for" for c in choices) > quota:
        raise BallotBoxError(BallotBoxError.OVER_QUOTA, quota=quota)
    return _encrypt_bits(pk, [_BITS[c] for c in choices], quota, context, rng)


def _encrypt_bits(pk: Point, bits: Sequence[tuple[int, int]], quota: int, context: bytes,
                  rng: Rng = random_scalar, *, choice_branches: Sequence[int] | None = None,
                  quota_branch: int | None = None) -> dict:
    """encrypt_ballot on (赞成, 反对) numbers. Tests force branches to show a lie fails."""
    encrypted = [(encrypt(pk, mf, rng()), encrypt(pk, ma, rng())) for mf, ma in bits]
    pairs = [(ef, ea) for (ef, _), (ea, _) in encrypted]
    statement = _statement(pk, context, quota, pairs)
    projects = []
    for k, ((mf, ma), ((ef, rf), (ea, ra))) in enumerate(zip(bits, encrypted, strict=True)):
        w = _weight(statement, k)
        values = (0, 1, w)
        m = (mf + w * ma) % L
        if choice_branches is not None:
            real = choice_branches[k]
        elif m in values:
            real = values.index(m)
        else:  # the honest prover cannot prove a pair outside the three answers
            raise BallotBoxError(BallotBoxError.BAD_CHOICE)

        def challenge(commitments, k=k):
            return hash_to_scalar(TAG_CHOICE, statement, _dec(k), *_challenge_parts(commitments))

        branches = _prove_or(pk, (rf + w * ra) % L, m, values, real, challenge, rng)
        projects.append({"for": ef.to_json(), "against": ea.to_json(),
                         "proof": _branches_json(branches)})
    values = _quota_values(quota, len(bits))
    total = sum(mf for mf, _ in bits)
    real = total if quota_branch is None else quota_branch
    if real not in values:
        raise BallotBoxError(BallotBoxError.OVER_QUOTA, quota=quota)

    def quota_challenge(commitments):
        return hash_to_scalar(TAG_QUOTA, statement, *_challenge_parts(commitments))

    x = sum(rf for (_, rf), _ in encrypted) % L
    branches = _prove_or(pk, x, total, values, real, quota_challenge, rng)
    return {"projects": projects, "quota_proof": _branches_json(branches)}


def _parse_ballot(encrypted: object, n: int, quota: int
                  ) -> tuple[list[tuple[Ciphertext, Ciphertext]], list[list[Branch]], list[Branch]]:
    if type(encrypted) is not dict or encrypted.keys() != {"projects", "quota_proof"}:
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="ballot")
    projects = encrypted["projects"]
    if type(projects) is not list or len(projects) != n:
        raise BallotBoxError(BallotBoxError.WRONG_COUNT, expected=n)
    pairs, proofs = [], []
    for k, project in enumerate(projects):
        where = f"project {k + 1}"
        if type(project) is not dict or project.keys() != {"for", "against", "proof"}:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where=where)
        pairs.append((_ciphertext(project["for"], where), _ciphertext(project["against"], where)))
        proofs.append(_branches(project["proof"], 3, where))
    quota_proof = _branches(encrypted["quota_proof"], len(_quota_values(quota, n)), "quota")
    return pairs, proofs, quota_proof


def _fail(pairs: Sequence[tuple[Ciphertext, Ciphertext]], proofs: Sequence[Sequence[Branch]],
          quota_proof: Sequence[Branch], where: str) -> BallotBoxError:
    """The error for a failed check: a bad encoding if there is one (it changed the hashes
    before libsodium saw it), else the failed proof. Only bad ballots pay for this decoding."""
    for k, ((ef, ea), branches) in enumerate(zip(pairs, proofs, strict=True)):
        points = [ef.alpha, ef.beta, ea.alpha, ea.beta]
        points += [p for a, b, _, _ in branches for p in (a, b)]
        for point in points:
            try:
                Point.decode(point.data)
            except BallotBoxError as exc:
                return BallotBoxError(exc.reason, where=f"project {k + 1}")
    for a, b, _, _ in quota_proof:
        for point in (a, b):
            try:
                Point.decode(point.data)
            except BallotBoxError as exc:
                return BallotBoxError(exc.reason, where="quota")
    return BallotBoxError(BallotBoxError.BAD_PROOF, where=where)


def verify_ballot(pk: Point, encrypted: object, n_candidates: int, quota: int,
                  context: bytes) -> None:
    """Check a ballot's form and every proof; BallotBoxError (with where) if anything fails."""
    quota = _check_quota_arg(quota)
    pairs, proofs, quota_proof = _parse_ballot(encrypted, n_candidates, quota)
    try:
        _verify_parsed(pk, pairs, proofs, quota_proof, n_candidates, quota, context)
    except BallotBoxError as exc:
        if exc.reason in (BallotBoxError.BAD_PROOF, BallotBoxError.BAD_POINT):
            raise _fail(pairs, proofs, quota_proof, exc.params.get("where", "")) from None
        raise


def _verify_parsed(pk: Point, pairs: Sequence[tuple[Ciphertext, Ciphertext]],
                   proofs: Sequence[Sequence[Branch]], quota_proof: Sequence[Branch],
                   n_candidates: int, quota: int, context: bytes) -> None:
    statement = _statement(pk, context, quota, pairs)
    batch = _Batch()
    weights = []
    for k, ((ef, ea), branches) in enumerate(zip(pairs, proofs, strict=True)):
        w = _weight(statement, k)
        weights.append(w)
        c = hash_to_scalar(TAG_CHOICE, statement, _dec(k), *_challenge_parts(branches))
        if sum(b[2] for b in branches) % L != c:
            raise BallotBoxError(BallotBoxError.BAD_PROOF, where=f"project {k + 1}")
        batch.add_or([(ef.alpha, 1), (ea.alpha, w)], [(ef.beta, 1), (ea.beta, w)],
                     (0, 1, w), branches)
    c = hash_to_scalar(TAG_QUOTA, statement, *_challenge_parts(quota_proof))
    if sum(b[2] for b in quota_proof) % L != c:
        raise BallotBoxError(BallotBoxError.BAD_PROOF, where="quota")
    values = _quota_values(quota, n_candidates)
    batch.add_or([(ef.alpha, 1) for ef, _ in pairs], [(ef.beta, 1) for ef, _ in pairs],
                 values, quota_proof)
    if batch.holds(pk):
        return
    # Say which proof failed: check each alone (slower; only for a bad ballot).
    for k, ((ef, ea), branches) in enumerate(zip(pairs, proofs, strict=True)):
        w = weights[k]
        if not _check_or_alone(pk, ef.alpha + ea.alpha * w, ef.beta + ea.beta * w, (0, 1, w),
                               branches):
            raise BallotBoxError(BallotBoxError.BAD_PROOF, where=f"project {k + 1}")
    raise BallotBoxError(BallotBoxError.BAD_PROOF, where="quota")


def tally_product(ballots: Iterable[object], n_candidates: int | None = None
                  ) -> list[tuple[Ciphertext, Ciphertext]]:
    """Per project, the products of the ballots' (赞成, 反对) ciphertexts (ballots verified).

    ``n_candidates`` defaults to the first ballot's; give it so that no ballots gives ZEROs.
    """
    totals: list[tuple[Ciphertext, Ciphertext]] | None = None
    if n_candidates is not None:
        totals = [(ZERO, ZERO)] * n_candidates
    for ballot in ballots:
        projects = ballot.get("projects") if type(ballot) is dict else None
        if totals is None and type(projects) is list:
            n_candidates = len(projects)
            totals = [(ZERO, ZERO)] * n_candidates
        if type(projects) is not list or len(projects) != n_candidates:
            raise BallotBoxError(BallotBoxError.WRONG_COUNT, expected=n_candidates)
        totals = [
            (f + _ciphertext(p.get("for") if type(p) is dict else None, "ballot"),
             a + _ciphertext(p.get("against") if type(p) is dict else None, "ballot"))
            for (f, a), p in zip(totals, projects, strict=True)
        ]
    return totals or []


def flatten(products: Sequence[tuple[Ciphertext, Ciphertext]]) -> list[Ciphertext]:
    """[project 1 赞成, project 1 反对, project 2 赞成, …]: the order partials are made in."""
    return [ct for pair in products for ct in pair]


# --- partial decryption -----------------------------------------------------------------------


def _decryption_statement(share_key: Point, index: int, ciphertexts: Sequence[Ciphertext],
                          context: bytes) -> bytes:
    parts = [GROUP_ID, share_key.data, _dec(index), context, _dec(len(ciphertexts))]
    for ct in ciphertexts:
        parts += [ct.alpha.data, ct.beta.data]
    return hashlib.sha512(frame(TAG_DECRYPTION, *parts)).digest()


def _decryption_challenge(statement: bytes, k: int, d: Point, a: Point, b: Point) -> int:
    return hash_to_scalar(TAG_DECRYPTION_PROOF, statement, _dec(k), d.data, a.data, b.data)


def partial_decrypt(share: Share, ciphertexts: Sequence[Ciphertext], context: bytes,
                    *, rng: Rng = random_scalar) -> dict:
    """Share i's partial decryptions D_k = s_i·alpha_k, each with a Chaum–Pedersen proof.

    Returns ``{"index": i, "decryptions": [[D, A, B, z], …]}`` (A = u·G, B = u·alpha,
    z = u + c·s_i). The share is used only here, in memory.
    """
    share_key = base_mul(share.secret)
    statement = _decryption_statement(share_key, share.index, ciphertexts, context)
    out = []
    for k, ct in enumerate(ciphertexts):
        d = ct.alpha * share.secret
        u = rng()
        a, b = base_mul(u), ct.alpha * u
        c = _decryption_challenge(statement, k, d, a, b)
        out.append([d.hex(), a.hex(), b.hex(), scalar_hex((u + c * share.secret) % L)])
    return {"index": share.index, "decryptions": out}


def _parse_partial(partial: object, ciphertexts: Sequence[Ciphertext]
                   ) -> tuple[int, list[tuple[Point, Point, Point, int]]]:
    if type(partial) is not dict or partial.keys() != {"index", "decryptions"}:
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="partial decryption")
    index, rows = partial["index"], partial["decryptions"]
    if type(index) is not int or type(rows) is not list or len(rows) != len(ciphertexts):
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="partial decryption")
    parsed = []
    for k, (row, ct) in enumerate(zip(rows, ciphertexts, strict=True)):
        where = f"partial decryption {index}, value {k + 1}"
        if type(row) is not list or len(row) != 4:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where=where)
        # Only a product of no ballots has alpha = identity; then D and B are the identity too.
        empty = ct.alpha.is_identity()
        d = Point.from_hex(row[0], allow_identity=empty)
        a = Point.from_hex(row[1])
        b = Point.from_hex(row[2], allow_identity=empty)
        parsed.append((d, a, b, _scalar(row[3], where)))
    return index, parsed


def verify_partial(share_public_key: Point | BoxKey, ciphertexts: Sequence[Ciphertext],
                   partial: object, context: bytes) -> None:
    """Check every Chaum–Pedersen proof of a partial decryption; BallotBoxError if one fails.

    ``share_public_key`` is Y_i, or the BoxKey (then Y_i is derived from the partial's index).
    """
    index, rows = _parse_partial(partial, ciphertexts)
    if isinstance(share_public_key, BoxKey):
        share_public_key = share_public_key.share_public_key(index)
    statement = _decryption_statement(share_public_key, index, ciphertexts, context)
    for k, ((d, a, b, z), ct) in enumerate(zip(rows, ciphertexts, strict=True)):
        c = _decryption_challenge(statement, k, d, a, b)
        if base_mul(z) != a + share_public_key * c or ct.alpha * z != b + d * c:
            raise BallotBoxError(BallotBoxError.BAD_PROOF,
                                 where=f"partial decryption {index}, value {k + 1}")


def combine(partials: Mapping[int, object], ciphertexts: Sequence[Ciphertext], bound: int,
            *, threshold: int | None = None) -> list[int]:
    """Totals from verified partials of t shares: m_k with m_k·G = beta_k − Σ λ_i·D_{i,k}.

    Each total must lie in 0..bound (the roster size); otherwise BallotBoxError.
    """
    if threshold is not None and len(partials) < threshold:
        raise BallotBoxError(BallotBoxError.NOT_ENOUGH_SHARES, t=threshold, have=len(partials))
    parsed = {}
    for key, partial in partials.items():
        index, rows = _parse_partial(partial, ciphertexts)
        if index != key:
            raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="partial decryption")
        parsed[index] = rows
    lam = lagrange_at_zero(parsed)
    totals = []
    for k, ct in enumerate(ciphertexts):
        shared = IDENTITY
        for index, rows in parsed.items():
            shared = shared + rows[k][0] * lam[index]
        totals.append(discrete_log(ct.beta - shared, bound))
    return totals


@lru_cache(maxsize=8)
def _baby_steps(m: int) -> dict[bytes, int]:
    table, point = {}, IDENTITY
    for j in range(m):
        table[point.data] = j
        point = point + G
    return table


def discrete_log(point: Point, bound: int) -> int:
    """The m in 0..bound with m·G = point (baby-step giant-step, about 2·√bound additions)."""
    if type(bound) is not int or bound < 0:
        raise BallotBoxError(BallotBoxError.BAD_FORMAT, where="bound")
    m = math.isqrt(bound) + 1
    table = _baby_steps(m)
    giant = -base_mul(m)
    for i in range(m + 1):
        j = table.get(point.data)
        if j is not None and i * m + j <= bound:
            return i * m + j
        point = point + giant
    raise BallotBoxError(BallotBoxError.TOTAL_OUT_OF_RANGE, bound=bound)


__all__ = [
    "CHOICES", "Ciphertext", "ballot_context", "combine", "decryption_context", "discrete_log",
    "encrypt_ballot", "flatten", "make_context", "partial_decrypt", "product", "tally_product",
    "verify_ballot", "verify_partial",
]

"""Builders for realistic format 2 audit bundles (encrypted ballots), made with the same
ballot-box functions the server uses: shares.deal, encrypt_ballot, tally_product,
partial_decrypt, combine. Deterministic for a given seed (the fixture bundle under
tests/fixtures is made with it)."""

from __future__ import annotations

import copy
import hashlib
import io
import random
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ballot import crypto
from ballot.ballotbox import proofs, shares
from ballot.ballotbox.elgamal import Ciphertext
from ballot.ballotbox.group import L
from ballot.ballotbox.shares import BoxKey, Share
from ballot.bundle import RESULT_FORMAT, issued_digest, issued_object, write_bundle
from ballot.domain import tally
from ballot.merkle import round_root

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"

PROJECTS = [
    ("镇中心小学教学楼改造", "镇教育办", "1200"),
    ("农村饮水安全巩固提升", "镇水务所", "860"),
    ("卫生院发热门诊建设", "镇卫生院", "430"),
    ("居家养老服务中心", "镇民政办", "380"),
    ("老旧小区雨污分流", "镇建设办", "950"),
    ("乡村道路硬底化", "镇交通办", "1500"),
    ("农贸市场升级改造", "镇经济办", "620"),
    ("河道综合整治", "镇水务所", "780"),
    ("社区公园建设", "镇建设办", "300"),
    ("幼儿园扩容", "镇教育办", "540"),
    ("公交候车亭建设", "镇交通办", "120"),
    ("文化活动中心修缮", "镇文化站", "260"),
]


def roster(n: int) -> list[str]:
    """n distinct, plausible delegate names in roster order."""
    names = [s + g for s in SURNAMES for g in GIVEN]
    names += [f"{names[i % len(names)]}{i // len(names) + 1}" for i in range(len(names), n)]
    return names[:n]


def codes(n: int) -> list[str]:
    """Candidate codes "01", "02", …."""
    return [f"{i:02d}" for i in range(1, n + 1)]


def ballots_with(
    rng: random.Random, candidates: Sequence[str], fors: Mapping[str, int], n: int, quota: int
) -> list[dict[str, str]]:
    """n valid ballots giving each candidate exactly fors[code] 赞成, none above `quota` 赞成."""
    ballots: list[dict[str, str]] = [{} for _ in range(n)]
    for code in sorted(candidates, key=lambda c: -fors[c]):
        # The least-loaded ballots take the next 赞成, so no ballot passes the quota.
        order = sorted(range(n), key=lambda i: (sum(v == "for" for v in ballots[i].values()),
                                                rng.random()))
        for i in order[: fors[code]]:
            ballots[i][code] = "for"
    assert all(sum(v == "for" for v in b.values()) <= quota for b in ballots)
    for ballot in ballots:
        for code in candidates:
            if code not in ballot:
                pick = rng.choice(["against", "abstain", "abstain", None])
                if pick is not None:
                    ballot[code] = pick
    return ballots


def draw_scalar(rng: random.Random) -> Callable[[], int]:
    return lambda: rng.randrange(1, L)


@dataclass
class Box:
    """The sealed box of a session: its public side, the shares (test only) and the holders."""

    key: BoxKey
    shares: list[Share]
    holders: list[str]

    def manifest(self) -> dict:
        """The manifest's ``box`` object."""
        return {**self.key.to_json(), "public_key": self.key.public_key.hex(),
                "holders": list(self.holders), "fingerprint": self.key.fingerprint()}


def deal_box(rng: random.Random, t: int, n: int, holders: Sequence[str]) -> Box:
    """A box dealt t-of-n with coefficients drawn from ``rng``."""
    _pk, dealt, commitments = shares.deal(t, n, [rng.randrange(1, L) for _ in range(t)])
    return Box(BoxKey(t, n, tuple(commitments)), dealt, list(holders[:n]))


def encrypted_entry(key: Ed25519PrivateKey, box: BoxKey, ballot_id: str, number: int,
                    candidates: Sequence[str], choices: Mapping[str, str], proof_quota: int,
                    rng: random.Random, kind: str | None = None) -> dict:
    """A signed board entry holding the ballot encrypted to ``box`` (what the kiosk casts; with
    ``kind`` "paper", a paper ballot the counting staff entered)."""
    context = proofs.ballot_context(crypto.fingerprint(key), number, ballot_id)
    marks = [choices.get(code) or "abstain" for code in candidates]
    ballot = proofs.encrypt_ballot(box.public_key, marks, proof_quota, context,
                                   rng=draw_scalar(rng))
    payload = {"ballot_id": ballot_id, "round": number, "ballot": ballot}
    if kind is not None:
        payload["kind"] = kind
    return sign_payload(key, payload)


def paper_entry(key: Ed25519PrivateKey, box: BoxKey, ballot_id: str, number: int,
                candidates: Sequence[str], reading: Mapping[str, str] | None, proof_quota: int,
                rng: random.Random) -> dict:
    """A paper ballot's entry as the finish of the paper count makes it: encrypted when valid,
    else an entry naming why it is invalid (unreadable: None; over_quota: more 赞成 than the
    proof quota), with no ciphertexts."""
    if reading is None or sum(1 for m in reading.values() if m == "for") > proof_quota:
        reason = "unreadable" if reading is None else "over_quota"
        return sign_payload(key, {"ballot_id": ballot_id, "round": number, "kind": "paper",
                                  "invalid": reason})
    return encrypted_entry(key, box, ballot_id, number, candidates, reading, proof_quota, rng,
                           kind="paper")


def sign_payload(key: Ed25519PrivateKey, payload: dict) -> dict:
    """{"payload", "hash", "signature"} for ``payload``, signed with ``key``."""
    data = crypto.canonical_json(payload)
    return {"payload": payload, "hash": hashlib.sha256(data).hexdigest(),
            "signature": crypto.encode_signature(crypto.sign(key, data))}


def open_round(key: Ed25519PrivateKey, box: Box, number: int, candidates: Sequence[str],
               ballots: Sequence[dict], bound: int, use: Sequence[int], rng: random.Random
               ) -> dict:
    """A round's opening as box.json holds it: products, the partials of shares ``use``, totals."""
    products = proofs.tally_product(ballots, len(candidates))
    flat = proofs.flatten(products)
    context = proofs.decryption_context(crypto.fingerprint(key), number)
    partials = {i: proofs.partial_decrypt(box.shares[i - 1], flat, context,
                                          rng=draw_scalar(rng)) for i in use}
    totals = proofs.combine(partials, flat, bound)
    return {
        "products": {code: {"for": f.to_json(), "against": a.to_json()}
                     for code, (f, a) in zip(candidates, products, strict=True)},
        "partials": [{**partials[i], "holder": box.holders[i - 1]} for i in sorted(use)],
        "totals": {code: {"for": totals[2 * k], "against": totals[2 * k + 1]}
                   for k, code in enumerate(candidates)},
    }


def proof_quota(rules: Mapping[str, object], candidates: Sequence[str], quota: int) -> int:
    """The quota a ballot's proof states: the round's quota when contested, else no limit."""
    return quota if rules["contested"] else len(candidates)


@dataclass
class Session:
    """Everything a bundle holds, before it is written; tests tamper with it.

    ``ballots`` keeps the plaintext choices (test only) so a forger can re-encrypt them.
    """

    key: Ed25519PrivateKey
    box: Box
    manifest: dict
    entries: list[dict]
    issued: dict[int, list[str]]
    opened: dict[int, dict]
    result: dict
    ballots: dict[int, list[dict[str, str]]]
    audit_log: list[dict] = field(default_factory=list)
    seed: int = 0

    def copy(self) -> Session:
        """A deep copy sharing only the keys, for a test to tamper with."""
        return replace(
            self,
            manifest=copy.deepcopy(self.manifest),
            entries=copy.deepcopy(self.entries),
            issued=copy.deepcopy(self.issued),
            opened=copy.deepcopy(self.opened),
            result=copy.deepcopy(self.result),
            ballots=copy.deepcopy(self.ballots),
            audit_log=copy.deepcopy(self.audit_log),
        )

    @property
    def fingerprint(self) -> str:
        """The session key's fingerprint."""
        return crypto.fingerprint(self.key)

    def write(
        self,
        path: Path | io.BytesIO,
        *,
        result_json: bytes | None = None,
        result_sig: bytes | None = None,
        public_key_pem: bytes | None = None,
    ) -> Path | io.BytesIO:
        """Write the bundle; the result is signed with the session key unless given."""
        data = crypto.canonical_json(self.result) if result_json is None else result_json
        write_bundle(
            path,
            manifest=self.manifest,
            entries=self.entries,
            issued=self.issued,
            box=self.opened,
            result_json=data,
            result_sig=crypto.sign(self.key, data) if result_sig is None else result_sig,
            public_key_pem=public_key_pem or crypto.public_key_pem(self.key),
            audit_log=self.audit_log,
        )
        return path


def make_session(
    ballots: Mapping[int, list[dict[str, str]]],
    *,
    roster_size: int,
    present: Mapping[int, int],
    issued: Mapping[int, int],
    n_candidates: int,
    quota: int,
    decisions: Mapping[int, str] | None = None,
    key: Ed25519PrivateKey | None = None,
    rng: random.Random | None = None,
    candidate_codes: Sequence[str] | None = None,
    threshold: tuple[int, int] = (2, 3),
    use: Sequence[int] | None = None,
    paper: Mapping[int, list[dict[str, str] | None]] | None = None,
    paper_issued: Mapping[int, int] | None = None,
) -> Session:
    """A signed session whose result is the honest count of `ballots` (round number -> ballots),
    encrypted to a box dealt ``threshold`` = (t, n) and opened with shares ``use`` (default the
    first t). Without `decisions`, a tie is broken by the next round when there is one.

    ``paper`` adds a round's paper ballots as read (None: unreadable; more 赞成 than the quota:
    invalid), ``paper_issued`` how many of ``issued`` were paper."""
    paper = paper or {}
    paper_issued = paper_issued or {}
    rng = rng or random.Random(0)
    key = key or Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
    names = roster(roster_size)
    t, n = threshold
    box = deal_box(rng, t, n, names[:n])
    use = list(use or range(1, t + 1))
    all_codes = list(candidate_codes or codes(n_candidates))
    contested = n_candidates > quota
    rules = {"quota": quota, "contested": contested,
             "min_excess_ratio": "0.20" if contested else "0.00",
             "pass_basis": "roster", "quorum": "majority_of_roster"}
    session = {"id": "dl-2027", "title": "大岭镇第十八届人民代表大会第三次会议",
               "date": "2027-01-15", "level": "乡镇"}
    spec = tally.RoundSpec(number=1, candidates=tuple(all_codes), quota=quota,
                           contested=rules["contested"], roster_size=roster_size,
                           present=present[1], issued=issued[1],
                           issued_paper=paper_issued.get(1, 0))
    entries: list[dict] = []
    opened: dict[int, dict] = {}
    recounts: list[tally.RoundResult] = []
    round_dicts: list[dict] = []
    issued_lists: dict[int, list[str]] = {}
    for number in sorted(ballots):
        if number > 1:
            spec = tally.next_round_spec(spec, recounts[-1], present[number], issued[number],
                                         paper_issued.get(number, 0))
        limit = proof_quota(rules, spec.candidates, spec.quota)
        round_entries = [
            encrypted_entry(key, box.key, f"{rng.getrandbits(128):032x}", number,
                            spec.candidates, choices, limit, rng)
            for choices in ballots[number]
        ] + [
            paper_entry(key, box.key, f"{rng.getrandbits(128):032x}", number, spec.candidates,
                        reading, limit, rng)
            for reading in paper.get(number, [])
        ]
        entries.extend(round_entries)
        opening = open_round(key, box, number, spec.candidates,
                             [e["payload"]["ballot"] for e in round_entries
                              if "ballot" in e["payload"]], roster_size, use, rng)
        opened[number] = opening
        totals = {code: (v["for"], v["against"]) for code, v in opening["totals"].items()}
        kinds = {"kiosk": len(ballots[number]), "paper": len(paper.get(number, []))}
        reasons = {reason: sum(1 for e in round_entries if e["payload"].get("invalid") == reason)
                   for reason in tally.INVALID_REASONS}
        result = tally.tally_totals(spec, totals, len(round_entries), sum(reasons.values()),
                                    returned_by_kind=kinds, invalid_by_reason=reasons)
        recounts.append(result)
        issued_lists[number] = sorted(rng.sample(range(roster_size), issued[number]))
        issued_lists[number] = [names[i] for i in issued_lists[number]]
        round_dicts.append({
            **result.to_dict(),
            "merkle_root": round_root([e["hash"] for e in round_entries]),
            "entry_count": len(round_entries),
        })
    if decisions is None:
        # The chair breaks a tie with a further round if one was held, else leaves the slots.
        decisions = {
            r.number: "tie_break" if r.number + 1 in ballots else "leave_empty"
            for r in recounts if r.tie is not None
        }
    for round_dict in round_dicts:
        round_dict["decision"] = decisions.get(round_dict["number"])
    final = tally.combine_rounds(quota, recounts, decisions)
    manifest = {
        "session": session,
        "rules": rules,
        "candidates": [
            {"code": code, "title": title, "department": dept, "budget": budget}
            for code, (title, dept, budget) in zip(
                all_codes, (PROJECTS * 10)[:n_candidates], strict=True
            )
        ],
        "roster_size": roster_size,
        "scrutineers": {"chief": names[0], "scrutineers": names[1:3], "counters": names[3:5]},
        "box": box.manifest(),
        "rounds": [{"number": r.number, "candidates": list(r.candidates), "quota": r.quota}
                   for r in recounts],
    }
    result_doc = {
        "format": RESULT_FORMAT,
        "session": session,
        "rules": rules,
        "key_fingerprint": crypto.fingerprint(key),
        "box_fingerprint": box.key.fingerprint(),
        "roster_size": roster_size,
        "present": present[1],
        "rounds": round_dicts,
        "chosen": list(final.chosen),
        "open_slots": final.open_slots,
        "shortfall": final.shortfall,
        "confirmed_by": {"chief_scrutineer": names[0], "chair": names[-1]},
        "candidates": copy.deepcopy(manifest["candidates"]),
        "scrutineers": copy.deepcopy(manifest["scrutineers"]),
        "issued_sha256": issued_digest(issued_object(issued_lists)),
        "box_holders": list(box.holders),
    }
    audit_log = [{"action": "session.locked", "actor": "staff:admin"},
                 {"action": "round.closed", "actor": "chair", "round": 1}]
    return Session(key, box, manifest, entries, issued_lists, opened, result_doc,
                   {k: list(v) for k, v in ballots.items()}, audit_log)


def reopen(session: Session, number: int, use: Sequence[int] | None = None,
           rng: random.Random | None = None) -> None:
    """What the server would publish for round ``number`` from the entries as they now are:
    new products, partials (shares ``use``) and totals. The result is left as it is."""
    candidates = next(r["candidates"] for r in session.manifest["rounds"]
                      if r["number"] == number)
    ballots = [e["payload"]["ballot"] for e in session.entries
               if e["payload"]["round"] == number and "ballot" in e["payload"]]
    session.opened[number] = open_round(
        session.key, session.box, number, candidates, ballots,
        session.manifest["roster_size"], use or range(1, session.box.key.t + 1),
        rng or random.Random(1))


def resign(session: Session, key: Ed25519PrivateKey | None = None) -> Session:
    """What a key holder can do: with `key` (else the session's), re-encrypt and re-sign every
    entry (a proof names the session key's fingerprint), re-open every round, recompute each
    round's Merkle root and entry count, the issued digest and the key fingerprint. The result
    itself is signed by Session.write; its counts are left as they are."""
    if key is not None:
        session.key = key
    rng = random.Random(2)
    rules = session.manifest["rules"]
    rounds = {r["number"]: r for r in session.manifest["rounds"]}
    if key is not None:
        for entry in session.entries:
            p = entry["payload"]
            spec = rounds.get(p["round"])
            if spec is None or not isinstance(p.get("ballot"), dict):
                entry.update(sign_payload(session.key, p))  # an invalid paper ballot
                continue
            marks = decrypt_for_test(session, entry)
            entry.update(encrypted_entry(session.key, session.box.key, p["ballot_id"],
                                         p["round"], spec["candidates"], marks,
                                         proof_quota(rules, spec["candidates"], spec["quota"]),
                                         rng, kind=p.get("kind")))
    else:
        for entry in session.entries:
            entry.update(sign_payload(session.key, entry["payload"]))
    for number in rounds:
        reopen(session, number, rng=rng)
    for rnd in session.result["rounds"]:
        hashes = [e["hash"] for e in session.entries if e["payload"]["round"] == rnd["number"]]
        rnd["merkle_root"] = round_root(hashes)
        rnd["entry_count"] = len(hashes)
    session.result["key_fingerprint"] = crypto.fingerprint(session.key)
    session.result["issued_sha256"] = issued_digest(issued_object(session.issued))
    return session


def decrypt_for_test(session: Session, entry: dict) -> dict[str, str]:
    """A ballot's choices, decrypted with t shares (only a test forger does this)."""
    p = entry["payload"]
    candidates = next(r["candidates"] for r in session.manifest["rounds"]
                      if r["number"] == p["round"])
    secret = sum(lam * session.box.shares[i - 1].secret
                 for i, lam in shares.lagrange_at_zero(range(1, session.box.key.t + 1)).items())
    marks = {}
    for code, project in zip(candidates, p["ballot"]["projects"], strict=True):
        bits = []
        for side in ("for", "against"):
            ct = Ciphertext.from_json(project[side])
            bits.append(proofs.discrete_log(ct.beta - ct.alpha * secret, 1))
        marks[code] = {(1, 0): "for", (0, 1): "against"}.get(tuple(bits), "abstain")
    return marks


def build_realistic(seed: int = 1, key: Ed25519PrivateKey | None = None) -> Session:
    """60 delegates, 12 projects for 10 slots; three tie at the cutoff and round 2 breaks it."""
    rng = random.Random(seed)
    c = codes(12)
    fors1 = dict(zip(c, [50, 48, 47, 45, 44, 42, 40, 38, 35, 35, 35, 20], strict=True))
    # An encrypted ballot proves it has at most 10 赞成: no invalid ballot can be cast.
    round1 = ballots_with(rng, c, fors1, 56, 10)
    tied = ["09", "10", "11"]
    round2 = ballots_with(rng, tied, {"09": 40, "10": 30, "11": 38}, 56, 2)
    session = make_session(
        {1: round1, 2: round2}, roster_size=60, present={1: 57, 2: 57}, issued={1: 57, 2: 56},
        n_candidates=12, quota=10, key=key, rng=rng,
    )
    assert session.result["rounds"][0]["tie"] == {"candidates": tied, "slots": 2}
    assert session.result["chosen"] == [*c[:8], "09", "11"]
    return session


def rewrite_member(path: Path, name: str, change: Callable[[bytes], bytes | None]) -> Path:
    """Rewrite one zip member through `change` (None drops it); other members stay as they are."""
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if info.filename == name:
                changed = change(data)
                if changed is None:
                    continue
                data = changed
            zf.writestr(info, data)
    path.write_bytes(buffer.getvalue())
    return path

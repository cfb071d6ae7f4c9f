"""The independent verifier: check an audit bundle without trusting the server that made it.

``verify_bundle`` checks the bundle's structure (no unknown member or field), the session key
against the fingerprint read out in the hall, the result signature, the rules in force (excess
ratio, quorum), the signed issued names and scrutineers, every board entry's canonical line, hash,
signature and every zero-knowledge proof of its encrypted ballot (a paper ballot's entry too; an
invalid paper ballot's only its kind and reason), each round's Merkle root and entry count,
issued against returned, per kind (kiosk, paper); then it opens each round as the scrutineers did: the
products of the round's ciphertexts recomputed from the board, each partial decryption's proofs
against its share's commitment, at least t distinct shares, the totals recombined; and recounts
every round from those totals with the same tally code the server uses. The ballot box's key is
checked against its fingerprint (recomputed from the commitments, stated in the manifest and in
the signed result, and optionally the one read out in the hall). It reports every problem it
finds rather than stopping at the first. Format: docs/audit-bundle.md (``piaojue-bundle/2``).

Imports nothing from Flask: ``python -m ballot.verify BUNDLE --fingerprint FP`` runs anywhere the
``cryptography``, ``click`` and ``pysodium`` packages (and libsodium) are installed.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ballot import crypto
from ballot.ballotbox import proofs
from ballot.ballotbox.batch import RoundBatch
from ballot.ballotbox.elgamal import ZERO, Ciphertext
from ballot.ballotbox.errors import BallotBoxError
from ballot.ballotbox.shares import BoxKey
from ballot.bundle import (
    BUNDLE_FORMAT,
    OLD_BUNDLE_FORMATS,
    RESULT_FORMAT,
    Bundle,
    JsonLine,
    Problem,
    issued_digest,
    loads_strict,
    read_bundle,
)
from ballot.domain import rating, tally
from ballot.domain import rules as session_rules
from ballot.merkle import round_root

PROGRESS_THRESHOLD = 1000  # entries; below this the check is instant and a bar is noise

__all__ = ["Problem", "Report", "main", "verify_bundle"]

Progress = Callable[[Iterable[JsonLine], int], Iterable[JsonLine]]

_HASH_RE = re.compile(r"[0-9a-f]{64}")
_BALLOT_ID_RE = re.compile(r"[0-9a-f]{32}")
_RATIO_RE = re.compile(r"0\.[0-9]{2}|1\.00")
QUORUM_RULES = ("majority_of_roster",)
_MISSING = object()
# Fields a result round carries beyond the tally's own round result.
_ROUND_EXTRAS = ("merkle_root", "entry_count", "decision")


@dataclass
class Report:
    """Everything verify_bundle() found; ``ok`` only when there is nothing."""

    problems: list[Problem] = field(default_factory=list)
    fingerprint: str | None = None  # the bundle key's, whether or not it matched
    fingerprint_checked: bool = False
    entry_count: int = 0
    drill: bool = False  # the signed result says this was a rehearsal (演练)
    box_fingerprint: str | None = None  # recomputed from the manifest's box commitments
    box_fingerprint_checked: bool = False

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def add(self, code: str, where: str, zh: str, en: str) -> None:
        """Record a problem."""
        self.problems.append(Problem(code=code, where=where, zh=zh, en=en))


@dataclass(frozen=True)
class _Rules:
    """What the manifest says each round voted on, as the recount needs it."""

    roster_size: int
    contested: bool
    pass_basis: str
    quota: int
    rounds: dict[int, tuple[tuple[str, ...], int]]  # number -> (candidate codes, quota)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: Any) -> str:
    if value is _MISSING:
        return "(缺失/missing)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


# --- key and fingerprint ----------------------------------------------------------------------


def _check_key(
    report: Report, bundle: Bundle, expected: str | None
) -> Ed25519PublicKey | None:
    key = None
    if bundle.public_key_pem is not None:
        try:
            key = crypto.load_public_key_pem(bundle.public_key_pem)
        except ValueError as exc:
            report.add("public_key_invalid", "public_key.pem",
                       f"公钥无法解析或不是 Ed25519 公钥：{exc}",
                       f"the public key does not parse as an Ed25519 key: {exc}")
    if key is not None:
        report.fingerprint = crypto.fingerprint(key)
    if expected is None:
        return key
    try:
        wanted = crypto.normalize_fingerprint(expected)
    except ValueError:
        wanted = ""
    if len(wanted) < crypto.SPOKEN_FINGERPRINT_CHARS or len(wanted) > 64:
        report.add("fingerprint_argument_invalid", "--fingerprint",
                   "给定的指纹应为 32 至 64 位十六进制数字（可含空格或连字符）。",
                   "the expected fingerprint must be 32 to 64 hex digits (spaces/dashes allowed).")
    elif report.fingerprint is not None:
        report.fingerprint_checked = True
        if not crypto.fingerprint_matches(wanted, report.fingerprint):
            actual = crypto.format_fingerprint(report.fingerprint)
            given = crypto.format_fingerprint(wanted)
            report.add("fingerprint_mismatch", "public_key.pem",
                       f"审计包公钥指纹为 {actual}，与宣读的 {given} 不符：这不是本次会议的密钥。",
                       f"the bundle key's fingerprint is {actual}, not the announced {given}: "
                       "this is not the session's key.")
    return key


def _check_box_key(report: Report, manifest: dict | None, expected: str | None) -> BoxKey | None:
    """The manifest's ballot box: its shape, its points, and its fingerprint three ways."""
    box = manifest.get("box") if isinstance(manifest, dict) else None
    if box is None:
        if isinstance(manifest, dict):
            report.add("box_key_invalid", "manifest.json box", "清单缺少票箱（box）。",
                       "the manifest lacks the ballot box (box).")
        return None
    if not isinstance(box, dict) or set(box) != set(_BOX_FIELDS):
        report.add("box_key_invalid", "manifest.json box",
                   f"票箱应恰好包含 {', '.join(_BOX_FIELDS)}。",
                   f"the box must hold exactly {', '.join(_BOX_FIELDS)}.")
        return None
    try:
        key = BoxKey.from_json({k: box[k] for k in ("group", "t", "n", "commitments")})
    except BallotBoxError as exc:
        report.add("box_key_invalid", "manifest.json box",
                   f"票箱公钥无效：{exc}",
                   "the box key is invalid: the group must be ristretto255, 1 ≤ t ≤ n ≤ 9, "
                   "t commitments, each a canonical ristretto255 point other than the identity.")
        return None
    holders = box["holders"]
    if not (isinstance(holders, list) and len(holders) == key.n
            and all(isinstance(h, str) for h in holders)):
        report.add("box_key_invalid", "manifest.json box.holders",
                   f"应列出 {key.n} 位密钥卡持有人（第 i 号份额由第 i 位持有）。",
                   f"holders must name the {key.n} key-card holders (share i is holder i).")
    if box["public_key"] != key.public_key.hex():
        report.add("box_key_invalid", "manifest.json box.public_key",
                   "票箱公钥应等于第一个承诺值 C_0。",
                   "the box public key must equal the first commitment C_0.")
    report.box_fingerprint = key.fingerprint()
    if box["fingerprint"] != report.box_fingerprint:
        report.add("box_fingerprint_inconsistent", "manifest.json box.fingerprint",
                   "清单记载的票箱指纹与按承诺值重算的不符。",
                   "the box fingerprint stated in the manifest is not the one recomputed from "
                   "the commitments.")
    if expected is not None:
        try:
            wanted = crypto.normalize_fingerprint(expected)
        except ValueError:
            wanted = ""
        if len(wanted) < crypto.SPOKEN_FINGERPRINT_CHARS or len(wanted) > 64:
            report.add("box_fingerprint_argument_invalid", "--box-fingerprint",
                       "给定的票箱指纹应为 32 至 64 位十六进制数字（可含空格或连字符）。",
                       "the expected box fingerprint must be 32 to 64 hex digits "
                       "(spaces/dashes allowed).")
        else:
            report.box_fingerprint_checked = True
            if not crypto.fingerprint_matches(wanted, report.box_fingerprint):
                actual = crypto.format_fingerprint(report.box_fingerprint)
                given = crypto.format_fingerprint(wanted)
                report.add("box_fingerprint_mismatch", "manifest.json box",
                           f"票箱指纹为 {actual}，与宣读的 {given} 不符：这不是本次会议封箱时的票箱。",
                           f"the box fingerprint is {actual}, not the announced {given}: this "
                           "is not the box sealed for the session.")
    return key


# --- result document --------------------------------------------------------------------------

# Every field of the signed result, exactly: an unknown one is refused, since a field no
# verifier reads is a claim nobody checks.
_RESULT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": str, "session": dict, "rules": dict, "key_fingerprint": str,
    "box_fingerprint": str, "roster_size": int,
    "present": int, "rounds": list, "chosen": list, "open_slots": int, "shortfall": int,
    "confirmed_by": dict, "candidates": list, "scrutineers": dict, "issued_sha256": str,
    "box_holders": list,
}
# A 满意度测评's result carries these too (docs/audit-bundle.md, "The 测评 count").
_RATING_RESULT_FIELDS: dict[str, type] = {"kind": str, "rating_basis": str, "ratings": dict}
_CONFIRMERS = ("chief_scrutineer", "chair")
_ROUND_FIELDS: dict[str, type] = {
    "number": int, "present": int, "issued": int, "merkle_root": str, "entry_count": int,
}


def _typed(value: Any, kind: type | tuple[type, ...]) -> bool:
    return _is_int(value) if kind is int else isinstance(value, kind)


def _check_result(report: Report, bundle: Bundle, key: Ed25519PublicKey | None) -> dict | None:
    data = bundle.result_json
    if data is None:
        return None
    if bundle.result_sig is not None and key is not None and not crypto.verify_signature(
        key, data, bundle.result_sig
    ):
        report.add("result_signature_invalid", "result.sig",
                   "结果文件的签名无效：result.json 在签名后被改动，或不是用本公钥签名的。",
                   "the result signature does not verify: result.json was changed after signing "
                   "or was not signed by this key.")
    try:
        result = loads_strict(data)
    except ValueError as exc:
        report.add("result_malformed", "result.json", f"不是有效的 JSON：{exc}",
                   f"not valid JSON: {exc}")
        return None
    if not isinstance(result, dict):
        report.add("result_malformed", "result.json", "顶层应为 JSON 对象。",
                   "the top level must be a JSON object.")
        return None
    try:
        canonical = crypto.canonical_json(result) == data
    except (TypeError, ValueError):
        canonical = False
    if not canonical:
        report.add("result_not_canonical", "result.json",
                   "结果文件不是规范 JSON（键排序、无空白、无浮点数）。",
                   "result.json is not canonical JSON (sorted keys, no whitespace, no floats).")
    for name, kind in _RESULT_FIELDS.items():
        if not _typed(result.get(name), kind):
            report.add("result_malformed", f"result.json {name}",
                       f"字段 {name} 缺失或类型错误。", f"field {name} is missing or mistyped.")
    allowed = set(_RESULT_FIELDS)
    if result.get("kind") == rating.KIND_RATING:
        allowed |= set(_RATING_RESULT_FIELDS)
        for name, kind in _RATING_RESULT_FIELDS.items():
            if not isinstance(result.get(name), kind):
                report.add("result_malformed", f"result.json {name}",
                           f"字段 {name} 缺失或类型错误。", f"field {name} is missing or mistyped.")
    for name in sorted(set(result) - allowed):
        report.add("result_malformed", f"result.json {name}",
                   f"未知字段 {name}：格式 2 的结果文件不含此字段。",
                   f"unknown field {name}: a format 2 result has no such field.")
    _check_confirmations(report, result.get("confirmed_by"))
    if result.get("format") not in (None, RESULT_FORMAT):
        report.add("result_format_unsupported", "result.json format",
                   f"不支持的结果格式 {result.get('format')!r}。",
                   f"unsupported result format {result.get('format')!r}.")
    stated_fp = result.get("key_fingerprint")
    if report.fingerprint is not None and stated_fp != report.fingerprint:
        report.add("result_fingerprint_mismatch", "result.json key_fingerprint",
                   "结果文件记载的密钥指纹与审计包中的公钥不符。",
                   "the key fingerprint stated in the result is not that of the bundle's key.")
    stated_box = result.get("box_fingerprint")
    if report.box_fingerprint is not None and stated_box != report.box_fingerprint:
        report.add("box_fingerprint_inconsistent", "result.json box_fingerprint",
                   "结果文件记载的票箱指纹与按清单中票箱承诺值重算的指纹不符：签名的结果不是这个票箱的。",
                   "the box fingerprint stated in the signed result is not the one recomputed "
                   "from the manifest's box commitments: the result is not this box's.")
    rounds = result.get("rounds") if isinstance(result.get("rounds"), list) else []
    good_rounds = []
    for i, rnd in enumerate(rounds):
        bad = [n for n, k in _ROUND_FIELDS.items() if not isinstance(rnd, dict)
               or not _typed(rnd.get(n), k)]
        if bad:
            report.add("result_malformed", f"result.json rounds[{i}]",
                       f"轮次记录缺少或写错字段：{', '.join(bad)}。",
                       f"the round record lacks or mistypes: {', '.join(bad)}.")
        elif rnd.get("decision") not in (None, *tally.DECISIONS):
            report.add("result_malformed", f"result.json round {rnd['number']} decision",
                       f"未知的决定 {rnd.get('decision')!r}。",
                       f"unknown decision {rnd.get('decision')!r}.")
        else:
            good_rounds.append(rnd)
    numbers = [r["number"] for r in good_rounds]
    if len(set(numbers)) != len(numbers):
        report.add("result_malformed", "result.json rounds", "轮次编号重复。",
                   "round numbers repeat.")
    result["rounds"] = good_rounds
    return result


def _check_confirmations(report: Report, confirmed: Any) -> None:
    # Who confirmed is attested only by the signature; a blank name attests nothing.
    if not isinstance(confirmed, dict):
        return  # reported with the other fields
    for name in sorted(set(confirmed) - set(_CONFIRMERS)):
        report.add("confirmation_missing", f"result.json confirmed_by.{name}",
                   f"未知的确认人 {name}。", f"unknown confirmer {name}.")
    for name in _CONFIRMERS:
        value = confirmed.get(name)
        if not isinstance(value, str) or not value.strip():
            who = ("总监票人", "chief scrutineer") if name == "chief_scrutineer" else (
                "主持人", "chair")
            report.add("confirmation_missing", f"result.json confirmed_by.{name}",
                       f"缺少{who[0]}的确认（姓名为空）：结果未经确认不得公布。",
                       f"the {who[1]}'s confirmation is missing (empty name): an unconfirmed "
                       "result may not be published.")


def _check_present(report: Report, result: dict, rules: _Rules | None) -> None:
    """The top-level ``present`` is round 1's, within the roster, and meets the quorum."""
    present = result.get("present")
    if not _is_int(present):
        return  # reported as malformed
    first = next((r for r in result["rounds"] if r["number"] == 1), None)
    if first is not None and first["present"] != present:
        report.add("present_mismatch", "result.json present",
                   f"结果文件记载实到 {present} 人，第 1 轮记为 {first['present']} 人。",
                   f"the result says {present} present, round 1 says {first['present']}.")
    if rules is None:
        return
    if present > rules.roster_size:
        report.add("present_exceeds_roster", "result.json present",
                   f"实到 {present} 人，多于应到 {rules.roster_size} 人。",
                   f"{present} present, more than the roster's {rules.roster_size}.")
    elif not session_rules.quorum_met(rules.roster_size, present):
        needed = session_rules.quorum_needed(rules.roster_size)
        report.add("quorum_not_met", "result.json present",
                   f"实到 {present} 人，未超过应到 {rules.roster_size} 人的半数（至少 {needed} "
                   "人）：不足法定人数，不能投票。",
                   f"{present} present is not more than half of the roster's "
                   f"{rules.roster_size} (at least {needed}): no quorum, no vote.")


# --- manifest and issued list -----------------------------------------------------------------


def _bad_manifest(report: Report, where: str, zh: str, en: str) -> None:
    report.add("manifest_invalid", f"manifest.json {where}", zh, en)


_MANIFEST_FIELDS = ("format", "session", "rules", "candidates", "roster_size", "scrutineers",
                    "box", "rounds")
_BOX_FIELDS = ("group", "public_key", "t", "n", "commitments", "holders", "fingerprint")
_SESSION_FIELDS = ("id", "title", "date", "level")
_RULE_FIELDS = ("quota", "contested", "min_excess_ratio", "pass_basis", "quorum")
_CANDIDATE_FIELDS = ("code", "title", "department", "budget")
_SCRUTINEER_FIELDS = ("chief", "scrutineers", "counters")
_MANIFEST_ROUND_FIELDS = ("number", "candidates", "quota")


def _unknown_fields(report: Report, where: str, obj: dict, known: Iterable[str]) -> None:
    for name in sorted(set(obj) - set(known)):
        _bad_manifest(report, f"{where}{name}", f"未知字段 {name}。", f"unknown field {name}.")


def candidate_code(position: int, count: int) -> str:
    """The ballot code of the candidate at 1-based ``position`` of ``count``: "01" … "99",
    three digits when there are more than 99 candidates."""
    return f"{position:0{3 if count > 99 else 2}d}"


def _check_candidates(report: Report, candidates: Any) -> list[str]:
    codes: list[str] = []
    if not isinstance(candidates, list):
        _bad_manifest(report, "candidates", "候选项目列表缺失。", "the candidate list is missing.")
        return codes
    for i, cand in enumerate(candidates):
        if not isinstance(cand, dict) or not all(
            isinstance(cand.get(k), str) for k in _CANDIDATE_FIELDS
        ):
            _bad_manifest(report, f"candidates[{i}]", "候选项目缺少编号、名称、部门或预算。",
                          "the candidate lacks a code, title, department or budget.")
            continue
        _unknown_fields(report, f"candidates[{i}].", cand, _CANDIDATE_FIELDS)
        expected = candidate_code(i + 1, len(candidates))
        if cand["code"] != expected:
            _bad_manifest(report, f"candidates[{i}].code",
                          f"第 {i + 1} 个候选项目的编号应为 {expected}，不是 {cand['code']!r}。",
                          f"candidate {i + 1}'s code must be {expected}, not {cand['code']!r}.")
        codes.append(cand["code"])
    if len(set(codes)) != len(codes):
        _bad_manifest(report, "candidates", "候选项目编号重复。", "candidate codes repeat.")
    return codes


def _check_rules(report: Report, rules: Any, codes: list[str]) -> bool:
    """The rules' shape, and that the candidate list obeys them (差额/等额); False if unusable."""
    if not isinstance(rules, dict):
        _bad_manifest(report, "rules", "规则缺失。", "the rules are missing.")
        return False
    _unknown_fields(report, "rules.", rules, _RULE_FIELDS)
    usable = True
    for name, ok in (
        ("quota", _is_int(rules.get("quota")) and rules["quota"] > 0),
        ("contested", isinstance(rules.get("contested"), bool)),
        ("pass_basis", rules.get("pass_basis") in tally.PASS_BASES),
        ("min_excess_ratio", isinstance(rules.get("min_excess_ratio"), str)
         and _RATIO_RE.fullmatch(rules["min_excess_ratio"])),
        ("quorum", rules.get("quorum") in QUORUM_RULES),
    ):
        if not ok:
            usable = False
            _bad_manifest(report, f"rules.{name}", f"规则 {name} 缺失或无效。",
                          f"rule {name} is missing or invalid.")
    if not usable or not codes:
        return usable
    quota, ratio, count = rules["quota"], rules["min_excess_ratio"], len(codes)
    if rules["contested"]:
        needed = session_rules.required_candidates(quota, ratio, True)
        if count < needed:
            report.add("excess_ratio_not_met", "manifest.json candidates",
                       f"差额票决：应选 {quota} 个、差额比例不低于 {ratio}，至少需要 {needed} "
                       f"个候选项目，只有 {count} 个。",
                       f"contested vote: {quota} slots at an excess ratio of at least {ratio} "
                       f"need at least {needed} candidates; there are {count}.")
    elif count != quota or ratio != "0.00":
        report.add("excess_ratio_not_met", "manifest.json candidates",
                   f"等额票决：候选项目数（{count}）应等于应选数（{quota}），差额比例应为 0.00。",
                   f"uncontested vote: the candidates ({count}) must equal the slots ({quota}) "
                   "and the excess ratio must be 0.00.")
    return True


def _check_manifest(report: Report, manifest: dict | None) -> _Rules | None:
    if manifest is None:
        return None
    if manifest.get("format") != BUNDLE_FORMAT:
        report.add("bundle_format_unsupported", "manifest.json format",
                   f"不支持的审计包格式 {manifest.get('format')!r}。",
                   f"unsupported bundle format {manifest.get('format')!r}.")
    _unknown_fields(report, "", manifest, _MANIFEST_FIELDS)
    session = manifest.get("session")
    if not isinstance(session, dict) or not all(
        isinstance(session.get(k), str) for k in _SESSION_FIELDS
    ) or not isinstance(session.get("drill", False), bool):
        _bad_manifest(report, "session", "会议信息缺少编号、名称、日期或级别，或演练标记不是布尔值。",
                      "the session lacks an id, title, date or level, or its drill flag is not "
                      "a boolean.")
    else:
        _unknown_fields(report, "session.", session, (*_SESSION_FIELDS, "drill", "kind"))
        if session.get("kind", rating.KIND_VOTE) not in rating.KINDS:
            _bad_manifest(report, "session", "会议类型只能是 vote（票决）或 rating（满意度测评）。",
                          "the session kind must be vote or rating.")
    codes = _check_candidates(report, manifest.get("candidates"))
    scrutineers = manifest.get("scrutineers")
    if not (
        isinstance(scrutineers, dict) and isinstance(scrutineers.get("chief"), str)
        and all(isinstance(scrutineers.get(k), list)
                and all(isinstance(n, str) for n in scrutineers[k])
                for k in ("scrutineers", "counters"))
    ):
        _bad_manifest(report, "scrutineers", "监票人名单应含总监票人、监票人和计票人。",
                      "the scrutineers must list the chief, the scrutineers and the counters.")
    else:
        _unknown_fields(report, "scrutineers.", scrutineers, _SCRUTINEER_FIELDS)
    rules = manifest.get("rules")
    usable = _check_rules(report, rules, codes)
    roster_size = manifest.get("roster_size")
    if not (_is_int(roster_size) and roster_size > 0):
        usable = False
        _bad_manifest(report, "roster_size", "名册人数缺失或无效。",
                      "the roster size is missing or invalid.")
    rounds: dict[int, tuple[tuple[str, ...], int]] = {}
    listed = manifest.get("rounds")
    for i, rnd in enumerate(listed if isinstance(listed, list) else []):
        if not (
            isinstance(rnd, dict) and _is_int(rnd.get("number")) and _is_int(rnd.get("quota"))
            and isinstance(rnd.get("candidates"), list)
            and all(isinstance(c, str) for c in rnd["candidates"])
        ):
            _bad_manifest(report, f"rounds[{i}]", "轮次记录缺少编号、候选项目或应选数。",
                          "the round lacks a number, candidates or quota.")
            continue
        _unknown_fields(report, f"rounds[{i}].", rnd, _MANIFEST_ROUND_FIELDS)
        unknown = sorted(set(rnd["candidates"]) - set(codes))
        if unknown or rnd["number"] in rounds:
            _bad_manifest(report, f"rounds[{i}]",
                          f"第 {rnd['number']} 轮编号重复或含未知项目 {unknown}。",
                          f"round {rnd['number']} repeats or names unknown projects {unknown}.")
            continue
        rounds[rnd["number"]] = (tuple(rnd["candidates"]), rnd["quota"])
    if not rounds:
        usable = False
        _bad_manifest(report, "rounds", "没有任何轮次。", "no rounds are listed.")
    if not usable:
        return None
    first = rounds.get(1)
    if first is not None and (list(first[0]) != codes or first[1] != rules["quota"]):
        # Recounting a round 1 without some project would "verify" a vote nobody held.
        report.add("round_chain_invalid", "manifest.json rounds[0]",
                   "第 1 轮必须按票面顺序包含全部候选项目，应选数为规则中的应选数。",
                   "round 1 must list every candidate, in ballot order, for the rules' quota.")
    return _Rules(roster_size, rules["contested"], rules["pass_basis"], rules["quota"], rounds)


def _check_manifest_against_result(
    report: Report, manifest: dict, rules: _Rules | None, result: dict
) -> None:
    for name in ("session", "rules", "roster_size", "candidates", "scrutineers"):
        if manifest.get(name) != result.get(name):
            report.add("manifest_result_mismatch", f"manifest.json {name}",
                       f"清单中的 {name} 与签名结果文件不一致。",
                       f"{name} in the manifest differs from the signed result.")
    box = manifest.get("box")
    if isinstance(box, dict) and box.get("holders") != result.get("box_holders"):
        # The partial decryptions name their holders from these: the signature fixes them.
        report.add("manifest_result_mismatch", "manifest.json box.holders",
                   "清单中的密钥卡持有人（box.holders）与签名结果文件的 box_holders 不一致。",
                   "the key-card holders in the manifest (box.holders) differ from the signed "
                   "result's box_holders.")
    if rules is None:
        return
    stated = {r["number"]: r for r in result["rounds"]}
    for number in sorted(set(stated) ^ set(rules.rounds)):
        side = ("清单", "manifest") if number in rules.rounds else ("结果文件", "result")
        report.add("round_missing", f"round {number}", f"第 {number} 轮只出现在{side[0]}中。",
                   f"round {number} is only in the {side[1]}.")


def _check_issued(report: Report, issued: dict | None, rules: _Rules | None) -> dict[int, list]:
    lists: dict[int, list] = {}
    if issued is None:
        return lists
    for key, names in issued.items():
        where = f"issued.json round {key}"
        if not re.fullmatch(r"[1-9][0-9]*", key) or not isinstance(names, list) or not all(
            isinstance(n, str) for n in names
        ):
            report.add("issued_malformed", where, "应为“轮次编号: 姓名列表”。",
                       "must map a round number to a list of names.")
            continue
        number = int(key)
        if rules is not None and number not in rules.rounds:
            report.add("issued_unknown_round", where, "清单中没有这一轮。",
                       "the manifest has no such round.")
        if rules is not None and len(names) > rules.roster_size:
            report.add("issued_exceeds_roster", where,
                       f"发出 {len(names)} 张，超过名册人数 {rules.roster_size}。",
                       f"{len(names)} issued, more than the roster's {rules.roster_size}.")
        lists[number] = names
    for number in sorted(set(rules.rounds) - set(lists) if rules else ()):
        report.add("issued_missing_round", f"issued.json round {number}",
                   "缺少该轮的领票名单。", "the list of delegates issued a ballot is missing.")
    return lists


def _check_issued_digest(report: Report, issued: dict | None, result: dict) -> None:
    """The signed result fixes the issued names: ``issued_sha256`` is their digest."""
    if issued is None or not isinstance(result.get("issued_sha256"), str):
        return  # missing or malformed: reported already
    try:
        digest = issued_digest(issued)
    except (TypeError, ValueError):
        return  # not lists of names: reported as issued_malformed
    if digest != result["issued_sha256"]:
        report.add("issued_digest_mismatch", "issued.json",
                   "领票名单与签名结果文件中的摘要（issued_sha256）不符：名单在签名后被改动。",
                   "the issued lists do not match the digest in the signed result "
                   "(issued_sha256): names were changed after signing.")


# --- board entries ----------------------------------------------------------------------------
#
# What a ballot holds is known to two functions only: _read_entry (the entry format of §5: shape,
# canonical line, hash) and _count_entry (the encrypted ballot's proofs against its round, and its
# ciphertexts added to the round's products). Signatures, duplicates, order and the Merkle roots
# (_check_entries) do not look inside a ballot.


@dataclass
class _Board:
    """Entries grouped by round: their stated hashes (for the Merkle root) and the running
    products of their ciphertexts, flattened (project 1 赞成, project 1 反对, …)."""

    session_fp: str | None = None  # the context every proof names
    box: BoxKey | None = None
    hashes: dict[int, list[str]] = field(default_factory=dict)
    # Per round: entries by kind (kiosk, paper) and invalid paper ballots by reason.
    kinds: dict[int, dict[str, int]] = field(default_factory=dict)
    reasons: dict[int, dict[str, int]] = field(default_factory=dict)
    # Per round: every ballot's proofs and the products, in one combination (RoundBatch) ...
    batches: dict[int, RoundBatch] = field(default_factory=dict)
    # ... and the entries, to check one by one when it fails (``failed``: already reported).
    entries: dict[int, list[tuple[JsonLine, _Entry]]] = field(default_factory=dict)
    failed: set[int] = field(default_factory=set)  # line numbers


class _Entry(NamedTuple):
    """A board entry whose format is sound, as the rest of the check needs it."""

    signed: bytes  # the bytes the session key signed
    hash: str | None  # the stated hash; None when it is malformed (reported)
    round: int
    ballot_id: str
    signature: Any  # as written; decoded and checked by _check_entries
    ballot: Any  # the encrypted ballot (docs/ballot-box.md §4.6), checked by _count_entry
    kind: str = tally.KIND_KIOSK  # "paper": entered by the counting staff (§5)
    invalid: str | None = None  # an invalid paper ballot's reason; it has no ballot


_PAYLOAD_KEYS = {"ballot_id", "round", "ballot"}
_PAPER_KEYS = {"ballot_id", "round", "kind", "ballot"}
_INVALID_PAPER_KEYS = {"ballot_id", "round", "kind", "invalid"}
_RECORD_KEYS = {"payload", "hash", "signature"}


def _where(line: JsonLine, stated: str | None) -> str:
    place = f"entries.jsonl line {line.line}"
    return f"{place} ({crypto.tracking_code(stated)})" if stated is not None else place


def _payload_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or payload.keys() not in (
            _PAYLOAD_KEYS, _PAPER_KEYS, _INVALID_PAPER_KEYS):
        if isinstance(payload, dict) and {"ballot", "invalid"} <= payload.keys():
            return None  # named by _paper_problem, with its own code
        return ("payload must hold exactly ballot_id, round and ballot (a paper ballot also "
                "kind; an invalid one kind and invalid instead of ballot)")
    if not isinstance(payload["ballot_id"], str) or not _BALLOT_ID_RE.fullmatch(
        payload["ballot_id"]
    ):
        return "ballot_id must be 32 lowercase hex digits"
    if not _is_int(payload["round"]) or payload["round"] < 1:
        return "round must be a positive integer"
    if "ballot" in payload and type(payload["ballot"]) is not dict:
        return "ballot must be an object"
    return None


def _paper_problem(report: Report, line: JsonLine, stated: str | None, payload: dict) -> bool:
    """The paper fields of an entry (§5): kind "paper", an invalid one's reason one of the
    codes and no ciphertexts. True when the entry is unusable."""
    if "kind" not in payload:
        return False
    if payload["kind"] != tally.KIND_PAPER:
        report.add("entry_kind_invalid", _where(line, stated),
                   f"选票种类只能是 \"paper\"（纸质选票），不是 {_show(payload['kind'])}；"
                   "投票机选票不写种类。",
                   f"the kind must be \"paper\" (a paper ballot), not {_show(payload['kind'])}; "
                   "a kiosk ballot has no kind.")
        return True
    if "invalid" in payload and "ballot" in payload:
        report.add("entry_invalid_with_ballot", _where(line, stated),
                   "无效的纸质选票不应带有加密选票：无效票不计入任何项目的票数。",
                   "an invalid paper ballot must carry no encrypted ballot: an invalid ballot "
                   "counts in no project's votes.")
        return True
    if "invalid" in payload and payload["invalid"] not in tally.INVALID_REASONS:
        report.add("entry_invalid_reason_unknown", _where(line, stated),
                   f"无效票的原因只能是 over_quota（超过应选数）或 unreadable（无法辨认），不是 "
                   f"{_show(payload['invalid'])}。",
                   "the reason of an invalid ballot must be over_quota or unreadable, not "
                   f"{_show(payload['invalid'])}.")
        return True
    return False


def _read_entry(report: Report, line: JsonLine) -> _Entry | None:
    """The entry-format check (format 1, §5); None when the entry is too broken to go on."""
    # Runs once per ballot next to an Ed25519 verification: the valid path does only what it
    # must, and the place of a problem is spelt out only when there is one.
    record = line.record
    if record is None:
        return None  # the reader already reported the line
    if record.keys() != _RECORD_KEYS:
        report.add("entry_malformed", _where(line, None),
                   "记录应恰好包含 payload、hash、signature。",
                   "the record must hold exactly payload, hash and signature.")
        return None
    stated = record["hash"]
    if not isinstance(stated, str) or not _HASH_RE.fullmatch(stated):
        stated = None
        report.add("entry_malformed", _where(line, None), "hash 应为 64 位小写十六进制。",
                   "hash must be 64 lowercase hex digits.")
    payload = record["payload"]
    problem = _payload_problem(payload)
    data = b""
    if problem is None:
        try:
            data = crypto.canonical_json(payload, plain=True)  # _payload_problem checked it
        except (TypeError, ValueError) as exc:
            problem = str(exc)
    if problem is not None:
        report.add("entry_malformed", _where(line, stated), f"选票内容格式错误：{problem}",
                   f"the payload is malformed: {problem}")
        return None
    if _paper_problem(report, line, stated, payload):
        return None
    signature = record["signature"]
    if stated is not None:
        # crypto.entry_hash(payload), without serialising the payload a second time:
        if hashlib.sha256(data).hexdigest() != stated:
            report.add("entry_hash_mismatch", _where(line, stated),
                       "哈希与选票内容不符：内容或哈希被改动。",
                       "the hash does not match the payload: one of them was altered.")
        # The line itself must be canonical_json(record): one text per entry, no CRLF, no
        # spaces. Built from parts already at hand; the full serialisation only to be sure.
        if not isinstance(signature, str) or (
            line.raw != b'{"hash":"' + stated.encode() + b'","payload":' + data
            + b',"signature":"' + signature.encode() + b'"}'
            and line.raw != crypto.canonical_json(record)
        ):
            report.add("entry_not_canonical", _where(line, stated),
                       "该行不是规范 JSON（键排序、无空白、LF 换行）：每条记录只有一种写法。",
                       "the line is not canonical JSON (sorted keys, no whitespace, LF line "
                       "end): each entry has exactly one spelling.")
    return _Entry(data, stated, payload["round"], payload["ballot_id"], signature,
                  payload.get("ballot"), payload.get("kind", tally.KIND_KIOSK),
                  payload.get("invalid"))


def _count_entry(report: Report, line: JsonLine, entry: _Entry, rules: _Rules,
                 board: _Board) -> None:
    """Fold an encrypted ballot into its round's check (its proofs, and its ciphertexts into
    the products); a ballot failing a check that needs no group operation is named at once."""
    number = entry.round
    if number not in rules.rounds:
        report.add("entry_unknown_round", _where(line, entry.hash), f"清单中没有第 {number} 轮。",
                   f"the manifest has no round {number}.")
        return
    if entry.invalid is not None:
        return  # an invalid paper ballot: no ciphertexts, in no project's products
    if board.box is None or board.session_fp is None:
        return  # no usable box key or session key: reported already, nothing to check against
    candidates, quota = rules.rounds[number]
    batch = board.batches.get(number)
    if batch is None:
        # The proof states "at most the quota" only when the vote is 差额; 等额 has no limit.
        proof_quota = quota if rules.contested else len(candidates)
        batch = board.batches[number] = RoundBatch(board.box.public_key, len(candidates),
                                                   proof_quota)
    board.entries.setdefault(number, []).append((line, entry))
    try:
        batch.add(entry.ballot, proofs.ballot_context(board.session_fp, number, entry.ballot_id))
    except BallotBoxError:
        _check_ballot_alone(report, line, entry, batch, board)


def _check_ballot_alone(report: Report, line: JsonLine, entry: _Entry, batch: RoundBatch,
                        board: _Board) -> None:
    """Check one ballot by itself (proofs.verify_ballot) and report what fails, by name."""
    number = entry.round
    context = proofs.ballot_context(board.session_fp, number, entry.ballot_id)
    try:
        proofs.verify_ballot(batch.public_key, entry.ballot, batch.n_candidates, batch.quota,
                             context)
        return
    except BallotBoxError as exc:
        board.failed.add(line.line)
        part = exc.params.get("where") or ""
        where = f"{_where(line, entry.hash)} {part}".rstrip()
        if exc.reason == BallotBoxError.BAD_PROOF:
            report.add("entry_proof_invalid", where,
                       f"加密选票的零知识证明未通过（{part or '选票'}）：选票不是按第 {number} 轮的"
                       "规则加密的（每项只能赞成、反对、弃权之一，赞成不超过应选数），或属于另一场会议、"
                       "另一轮、另一张选票，或已被改动。",
                       f"a zero-knowledge proof of the encrypted ballot fails ({part or 'ballot'}): "
                       f"the ballot was not encrypted under round {number}'s rules (one of for/"
                       "against/abstain per project, for at most the quota), or belongs to another "
                       "session, round or ballot, or was altered.")
        else:
            report.add("entry_ballot_malformed", where,
                       f"加密选票格式错误：{exc}",
                       f"the encrypted ballot is malformed ({exc.reason}"
                       f"{', ' + part if part else ''}); docs/ballot-box.md §4.6.")


def _settle_round(report: Report, number: int, board: _Board,
                  products: list[Ciphertext] | None, candidates: tuple[str, ...]) -> None:
    """The round's ballots and its published ``products`` (None: not available) checked at
    once; when that fails, each ballot alone and the products added up, to name what failed."""
    batch = board.batches.get(number)
    if batch is not None and products is not None and batch.holds(products):
        return
    sums: list[Ciphertext] | None = None
    for line, entry in board.entries.get(number, []):
        if batch is not None and line.line not in board.failed:
            _check_ballot_alone(report, line, entry, batch, board)
        # Whatever its proofs say, a ballot on the board is in the round's products if its
        # ciphertexts are points: the products published must be those of the board as it is.
        try:
            cts = [Ciphertext.from_json(project[side]) for project in entry.ballot["projects"]
                   for side in _SIDES]
        except (BallotBoxError, KeyError, TypeError):
            continue  # not ciphertexts: reported with the entry
        if len(cts) != 2 * len(candidates):
            continue
        sums = cts if sums is None else [p + c for p, c in zip(sums, cts, strict=True)]
    if products is None:
        return
    recomputed = sums or [ZERO] * len(products)
    for k, (claimed, actual) in enumerate(zip(products, recomputed, strict=True)):
        if claimed != actual:
            code, side = candidates[k // 2], _SIDES[k % 2]
            report.add("box_product_mismatch", f"box.json round {number} products.{code}.{side}",
                       "按公告板上本轮全部加密选票重算的密文乘积与公布的不符：解密的不是这些选票的合计。",
                       "the product of the round's encrypted ballots recomputed from the board "
                       "differs from the published one: what was decrypted is not these ballots' "
                       "total.")


def _check_entries(
    report: Report, lines: list[JsonLine], key: Ed25519PublicKey | None, rules: _Rules | None,
    box: BoxKey | None, progress: Progress | None,
) -> _Board:
    board = _Board(session_fp=report.fingerprint, box=box)
    seen: dict[str, dict[str, int]] = {"ballot_id": {}, "hash": {}}
    previous: tuple[int, str] | None = None
    unsorted_reported = False
    items = progress(lines, len(lines)) if progress else lines
    for line in items:
        entry = _read_entry(report, line)
        if entry is None:
            continue
        if key is not None:
            try:
                sig = crypto.decode_signature(entry.signature)
            except (ValueError, AttributeError, TypeError):
                sig = b""
            if not crypto.verify_signature(key, entry.signed, sig):
                report.add("entry_signature_invalid", _where(line, entry.hash),
                           "选票签名无效：不是会议密钥对这张选票内容的签名。",
                           "the signature is not the session key's signature of this payload.")
        for kind, value in (("ballot_id", entry.ballot_id), ("hash", entry.hash)):
            if value is None:
                continue
            first = seen[kind].setdefault(value, line.line)
            if first != line.line:
                report.add(f"entry_duplicate_{kind}", _where(line, entry.hash),
                           f"{kind} 与第 {first} 行重复：同一张选票出现两次。",
                           f"{kind} repeats line {first}: the same ballot appears twice.")
        if entry.hash is not None:
            board.hashes.setdefault(entry.round, []).append(entry.hash)
            # Counted with the hashes, so the kinds add up to the entries the root commits.
            kinds = board.kinds.setdefault(entry.round, dict.fromkeys(tally.BALLOT_KINDS, 0))
            kinds[entry.kind] += 1
            if entry.invalid is not None:
                reasons = board.reasons.setdefault(entry.round,
                                                   dict.fromkeys(tally.INVALID_REASONS, 0))
                reasons[entry.invalid] += 1
            order = (entry.round, entry.hash)
            if previous is not None and order < previous and not unsorted_reported:
                unsorted_reported = True
                report.add("entries_not_sorted", f"entries.jsonl line {line.line}",
                           "公告板未按轮次和哈希排序，可能泄露投票顺序。",
                           "the board is not sorted by round and hash; it may leak casting order.")
            previous = order
        if rules is not None:
            _count_entry(report, line, entry, rules, board)
    report.entry_count = len(lines)
    return board


# --- box.json: opening each round ------------------------------------------------------------

_OPENING_FIELDS = {"products", "partials", "totals"}
_PARTIAL_FIELDS = {"index", "holder", "decryptions"}
_SIDES = ("for", "against")


def _bad_box(report: Report, where: str, zh: str, en: str) -> None:
    report.add("box_malformed", f"box.json {where}", zh, en)


def _read_products(report: Report, number: int, products: Any, candidates: tuple[str, ...]
                   ) -> list[Ciphertext] | None:
    if not isinstance(products, dict) or set(products) != set(candidates):
        _bad_box(report, f"round {number} products",
                 "应为本轮每个项目编号各一项：{\"for\": 密文, \"against\": 密文}。",
                 "must hold one {\"for\": ciphertext, \"against\": ciphertext} per project of "
                 "the round.")
        return None
    flat = []
    for code in candidates:
        pair = products[code]
        if not isinstance(pair, dict) or set(pair) != set(_SIDES):
            _bad_box(report, f"round {number} products.{code}",
                     "应恰好包含 for 和 against 两个密文。",
                     "must hold exactly the ciphertexts for and against.")
            return None
        for side in _SIDES:
            try:
                flat.append(Ciphertext.from_json(pair[side], allow_identity=True))
            except BallotBoxError as exc:
                _bad_box(report, f"round {number} products.{code}.{side}",
                         f"不是有效的密文：{exc}", f"not a valid ciphertext ({exc.reason}).")
                return None
    return flat


def _check_partials(report: Report, number: int, partials: Any, flat: list[Ciphertext],
                    box: BoxKey, holders: Any, session_fp: str) -> dict[int, dict]:
    """The valid partial decryptions of a round, by share number."""
    valid: dict[int, dict] = {}
    if not isinstance(partials, list):
        _bad_box(report, f"round {number} partials", "应为部分解密的列表。",
                 "must be a list of partial decryptions.")
        return valid
    context = proofs.decryption_context(session_fp, number)
    seen: set[int] = set()
    for i, partial in enumerate(partials):
        where = f"box.json round {number} partials[{i}]"
        if not isinstance(partial, dict) or set(partial) != _PARTIAL_FIELDS:
            report.add("box_partial_invalid", where,
                       "部分解密应恰好包含 index、holder、decryptions。",
                       "a partial decryption must hold exactly index, holder and decryptions.")
            continue
        index = partial["index"]
        if not _is_int(index) or not 1 <= index <= box.n:
            report.add("box_partial_invalid", where,
                       f"份额编号应为 1 至 {box.n} 的整数，不是 {index!r}。",
                       f"the share number must be an integer from 1 to {box.n}, not {index!r}.")
            continue
        if index in seen:
            report.add("box_partial_duplicate", where,
                       f"第 {index} 号份额出现两次：同一张密钥卡只能算一次。",
                       f"share {index} appears twice: one key card counts once.")
            continue
        seen.add(index)
        if isinstance(holders, list) and len(holders) == box.n and partial["holder"] != holders[
            index - 1
        ]:
            report.add("box_partial_holder_mismatch", where,
                       f"第 {index} 号份额的持有人应为 {holders[index - 1]!r}，不是 "
                       f"{partial['holder']!r}。",
                       f"share {index} is held by {holders[index - 1]!r}, not "
                       f"{partial['holder']!r}.")
        body = {"index": index, "decryptions": partial["decryptions"]}
        try:
            proofs.verify_partial(box, flat, body, context)
        except BallotBoxError as exc:
            report.add("box_partial_invalid", f"{where} ({exc.params.get('where') or 'format'})",
                       f"第 {index} 号份额的部分解密未通过验证（Chaum–Pedersen 证明）：不是用封箱时承诺的"
                       f"份额对本轮密文乘积所做的解密，或已被改动。（{exc}）",
                       f"share {index}'s partial decryption fails its Chaum–Pedersen proof: it "
                       "was not made with the share committed at sealing on this round's "
                       f"products, or it was altered ({exc.reason}).")
            continue
        valid[index] = body
    if len(valid) < box.t:
        report.add("box_too_few_shares", f"box.json round {number} partials",
                   f"开箱需要至少 {box.t} 位监票人的有效部分解密，只有 {len(valid)} 份：总数无法得出。",
                   f"opening needs valid partial decryptions from at least {box.t} scrutineers; "
                   f"there are {len(valid)}: the totals cannot be recovered.")
    return valid


def _check_opening(report: Report, box_doc: dict | None, rules: _Rules | None,
                   box: BoxKey | None, holders: Any, board: _Board
                   ) -> dict[int, dict[str, tuple[int, int]]]:
    """Open every round again from box.json; the decrypted totals by round (proved only)."""
    opened: dict[int, dict[str, tuple[int, int]]] = {}
    settled: set[int] = set()
    try:
        _open_rounds(report, box_doc, rules, box, holders, board, opened, settled)
    finally:
        for number in sorted(set(board.batches) - settled):  # the ballots are checked anyway
            _settle_round(report, number, board, None, rules.rounds[number][0] if rules else ())
    return opened


def _open_rounds(report: Report, box_doc: dict | None, rules: _Rules | None,
                 box: BoxKey | None, holders: Any, board: _Board,
                 opened: dict[int, dict[str, tuple[int, int]]], settled: set[int]) -> None:
    if box_doc is None or rules is None:
        return
    for key in sorted(set(box_doc) - {str(n) for n in rules.rounds}):
        _bad_box(report, f"round {key}", "清单中没有这一轮。", "the manifest has no such round.")
    if box is None or board.session_fp is None:
        return
    for number in sorted(rules.rounds):
        candidates = rules.rounds[number][0]
        opening = box_doc.get(str(number))
        if not isinstance(opening, dict) or set(opening) != _OPENING_FIELDS:
            _bad_box(report, f"round {number}",
                     "每轮应恰好包含 products、partials、totals。",
                     "each round must hold exactly products, partials and totals.")
            continue
        flat = _read_products(report, number, opening["products"], candidates)
        _settle_round(report, number, board, flat, candidates)
        settled.add(number)
        if flat is None:
            continue
        valid = _check_partials(report, number, opening["partials"], flat, box, holders,
                                board.session_fp)
        stated = _read_totals(report, number, opening["totals"], candidates)
        if len(valid) < box.t:
            continue
        use = dict(sorted(valid.items())[: box.t])
        try:
            values = proofs.combine(use, flat, rules.roster_size)
        except BallotBoxError as exc:
            report.add("box_total_out_of_range", f"box.json round {number}",
                       f"解密出的票数不在 0 到应到人数 {rules.roster_size} 之间。（{exc}）",
                       f"a decrypted total is not between 0 and the roster size "
                       f"{rules.roster_size}.")
            continue
        totals = {code: (values[2 * k], values[2 * k + 1]) for k, code in enumerate(candidates)}
        opened[number] = totals
        for code, pair in totals.items():
            claimed = stated.get(code) if stated is not None else None
            for side, actual, said in zip(_SIDES, pair, claimed or (None, None), strict=True):
                if stated is not None and said != actual:
                    report.add("box_total_mismatch", f"box.json round {number} totals.{code}.{side}",
                               f"公布的合计为 {_show(said)}，由监票人的部分解密合成的是 {actual}。",
                               f"the published total is {_show(said)}; the scrutineers' partial "
                               f"decryptions combine to {actual}.")


def _read_totals(report: Report, number: int, totals: Any, candidates: tuple[str, ...]
                 ) -> dict[str, tuple[Any, Any]] | None:
    if not isinstance(totals, dict) or set(totals) != set(candidates) or not all(
        isinstance(v, dict) and set(v) == set(_SIDES) and all(_is_int(v[s]) for s in _SIDES)
        for v in totals.values()
    ):
        _bad_box(report, f"round {number} totals",
                 "应为本轮每个项目编号各一项：{\"for\": 整数, \"against\": 整数}。",
                 "must hold one {\"for\": integer, \"against\": integer} per project of the "
                 "round.")
        return None
    return {code: (v["for"], v["against"]) for code, v in totals.items()}


# --- rounds: Merkle root, issued/returned, recount --------------------------------------------


def _diff(stated: Any, recounted: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(stated, dict) and isinstance(recounted, dict):
        for name in [*recounted, *(k for k in stated if k not in recounted)]:
            yield from _diff(stated.get(name, _MISSING), recounted.get(name, _MISSING),
                             f"{path}.{name}" if path else name)
    elif (
        isinstance(stated, list) and isinstance(recounted, list)
        and len(stated) == len(recounted)
    ):
        for i, (a, b) in enumerate(zip(stated, recounted, strict=True)):
            yield from _diff(a, b, f"{path}[{i}]")
    elif type(stated) is not type(recounted) or stated != recounted:
        yield path, stated, recounted


_PER_KIND_KEYS = ("issued_by_kind", "returned_by_kind", "invalid_by_reason")


def _stated_paper_issued(rnd: dict) -> int:
    """Paper ballots issued, as the signed result states them (the issued names do not say
    which kind each delegate was handed); 0 for results from before paper ballots."""
    by_kind = rnd.get("issued_by_kind")
    paper = by_kind.get("paper") if isinstance(by_kind, dict) else 0
    return paper if _is_int(paper) else 0


def _check_round(
    report: Report, rnd: dict, rules: _Rules | None, board: _Board, issued: dict[int, list],
    opened: dict[int, dict[str, tuple[int, int]]],
) -> tally.RoundResult | None:
    number = rnd["number"]
    where = f"result.json round {number}"
    hashes = board.hashes.get(number, [])
    if round_root(hashes) != rnd["merkle_root"]:
        report.add("merkle_root_mismatch", f"{where} merkle_root",
                   "按公告板重算的 Merkle 根与签名结果不符：选票被增删或改动。",
                   "the Merkle root recomputed from the board differs from the signed result: "
                   "ballots were added, dropped or altered.")
    if len(hashes) != rnd["entry_count"]:
        report.add("entry_count_mismatch", f"{where} entry_count",
                   f"公告板上有 {len(hashes)} 张选票，签名结果记为 {rnd['entry_count']} 张。",
                   f"the board holds {len(hashes)} entries; the signed result says "
                   f"{rnd['entry_count']}.")
    names = issued.get(number)
    issued_count = rnd["issued"] if names is None else len(names)
    if names is not None and len(names) != rnd["issued"]:
        report.add("issued_count_mismatch", f"{where} issued",
                   f"领票名单有 {len(names)} 人，签名结果记为发出 {rnd['issued']} 张。",
                   f"the issued list names {len(names)}; the signed result says {rnd['issued']}.")
    if len(hashes) > issued_count:
        report.add("returned_exceeds_issued", where,
                   f"收回 {len(hashes)} 张，多于发出的 {issued_count} 张：本轮无效。",
                   f"{len(hashes)} returned but {issued_count} issued: the round is void.")
    kinds = board.kinds.get(number, dict.fromkeys(tally.BALLOT_KINDS, 0))
    paper_issued = _stated_paper_issued(rnd)
    if kinds[tally.KIND_PAPER] > paper_issued:
        report.add("returned_exceeds_issued", f"{where} returned_by_kind.paper",
                   f"公告板上有纸质选票 {kinds[tally.KIND_PAPER]} 张，多于签名结果记载发出的纸质选票 "
                   f"{paper_issued} 张：本轮无效。",
                   f"the board holds {kinds[tally.KIND_PAPER]} paper ballots but the signed "
                   f"result says {paper_issued} were issued: the round is void.")
    if issued_count > rnd["present"]:
        report.add("issued_exceeds_present", f"{where} issued",
                   f"发出 {issued_count} 张，多于实到 {rnd['present']} 人。",
                   f"{issued_count} issued, more than the {rnd['present']} present.")
    if rules is None or number not in rules.rounds:
        return None
    totals = opened.get(number)
    if rnd["present"] > rules.roster_size:
        report.add("present_exceeds_roster", f"{where} present",
                   f"实到 {rnd['present']} 人，多于应到 {rules.roster_size} 人。",
                   f"{rnd['present']} present, more than the roster's {rules.roster_size}.")
    if totals is None:
        return None  # the round could not be opened: reported with box.json
    candidates, quota = rules.rounds[number]
    try:
        spec = tally.RoundSpec(
            number=number, candidates=candidates, quota=quota, contested=rules.contested,
            roster_size=rules.roster_size, present=rnd["present"], issued=issued_count,
            pass_basis=rules.pass_basis, issued_paper=_stated_paper_issued(rnd),
        )
        # A kiosk ballot proved itself valid; the invalid ones (无效票) are the paper entries
        # that say why, counted from the board by kind and reason.
        reasons = board.reasons.get(number, dict.fromkeys(tally.INVALID_REASONS, 0))
        recount = tally.tally_totals(spec, totals, len(hashes), sum(reasons.values()),
                                     returned_by_kind=kinds, invalid_by_reason=reasons)
    except (ValueError, TypeError) as exc:
        report.add("tally_failed", where, f"无法重新计票：{exc}", f"cannot recount: {exc}")
        return None
    stated = {k: v for k, v in rnd.items() if k not in _ROUND_EXTRAS}
    recounted = recount.to_dict()
    if not any(key in rnd for key in _PER_KIND_KEYS):
        # A result signed before paper ballots existed (all kiosk, no invalid ballot).
        recounted = {k: v for k, v in recounted.items() if k not in _PER_KIND_KEYS}
    for path, claimed, actual in _diff(stated, recounted, ""):
        report.add("tally_mismatch", f"{where} {path}",
                   f"字段 {path}：签名结果记为 {_show(claimed)}，"
                   f"按公告板和开箱合计重新计票为 {_show(actual)}。",
                   f"field {path}: the signed result says {_show(claimed)}, recounting from the "
                   f"board and the opened totals gives {_show(actual)}.")
    return recount


def _check_final(
    report: Report, result: dict, rules: _Rules, recounts: list[tally.RoundResult]
) -> None:
    decisions = {r["number"]: r["decision"] for r in result["rounds"] if r.get("decision")}
    try:
        final = tally.combine_rounds(rules.quota, recounts, decisions)
    except ValueError as exc:
        report.add("round_chain_invalid", "result.json rounds",
                   f"各轮次不能构成有效的“首轮 + 再次投票”序列：{exc}",
                   f"the rounds do not form a valid first round + tie-break chain: {exc}")
        return
    for name, value in (("chosen", list(final.chosen)), ("open_slots", final.open_slots),
                        ("shortfall", final.shortfall)):
        if result.get(name) != value:
            report.add("final_result_mismatch", f"result.json {name}",
                       f"最终结果 {name}：签名结果记为 {_show(result.get(name))}，"
                       f"按各轮重新计票应为 {_show(value)}。",
                       f"final {name}: the signed result says {_show(result.get(name))}, the "
                       f"recounted rounds give {_show(value)}.")


# --- entry point ------------------------------------------------------------------------------


@contextlib.contextmanager
def _without_cycle_collector() -> Iterator[None]:
    # A bundle is acyclic data (dicts, lists, strings) that reference counting frees; the cycle
    # collector would only walk the growing heap of parsed entries again and again (a tenth of
    # the time of a 100,000-entry verification).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def verify_bundle(
    path: str | os.PathLike[str] | IO[bytes],
    expected_fingerprint: str | None = None,
    progress: Progress | None = None,
    expected_box_fingerprint: str | None = None,
) -> Report:
    """Check an audit bundle end to end and report every problem found (see module docstring).

    ``progress(lines, count)`` may wrap the iteration over board entries, e.g. in a progress bar.
    ``expected_box_fingerprint``: the ballot box's fingerprint read out in the hall, if given.
    """
    with _without_cycle_collector():
        return _verify(path, expected_fingerprint, progress, expected_box_fingerprint)


def _old_format(bundle: Bundle) -> Report | None:
    """A format 1 bundle (plaintext ballots) is refused with one clear problem, not dozens."""
    stated = bundle.manifest.get("format") if isinstance(bundle.manifest, dict) else None
    if stated not in OLD_BUNDLE_FORMATS:
        return None
    report = Report()
    report.add("bundle_format_old", "manifest.json format",
               f"旧格式的审计包（{stated}，选票为明文）：本核验程序只核验 {BUNDLE_FORMAT}（加密选票）。"
               "请用生成该审计包时的版本核验它。",
               f"an old-format bundle ({stated}, plaintext ballots): this verifier checks "
               f"{BUNDLE_FORMAT} (encrypted ballots) only. Verify it with the release that made it.")
    return report


def _verify(path: str | os.PathLike[str] | IO[bytes], expected_fingerprint: str | None,
            progress: Progress | None, expected_box_fingerprint: str | None = None) -> Report:
    bundle = read_bundle(path)
    old = _old_format(bundle)
    if old is not None:
        return old
    report = Report(problems=list(bundle.problems))
    key = _check_key(report, bundle, expected_fingerprint)
    box = _check_box_key(report, bundle.manifest, expected_box_fingerprint)
    result = _check_result(report, bundle, key)
    header = result.get("session") if result is not None else None
    report.drill = isinstance(header, dict) and header.get("drill") is True
    rules = _check_manifest(report, bundle.manifest)
    if result is not None and bundle.manifest is not None:
        _check_manifest_against_result(report, bundle.manifest, rules, result)
    issued = _check_issued(report, bundle.issued, rules)
    board = _check_entries(report, bundle.entries, key, rules, box, progress)
    holders = bundle.manifest.get("box", {}).get("holders") if box is not None else None
    opened = _check_opening(report, bundle.box, rules, box, holders, board)
    if result is None:
        return report
    _check_present(report, result, rules)
    _check_issued_digest(report, bundle.issued, result)
    stray = sorted(set(board.hashes) - {r["number"] for r in result["rounds"]})
    for number in stray:
        if rules is not None and number not in rules.rounds:
            continue  # already reported entry by entry
        report.add("entry_unknown_round", f"entries.jsonl round {number}",
                   f"公告板上有第 {number} 轮的选票，签名结果中没有这一轮。",
                   f"the board holds entries for round {number}, which the signed result lacks.")
    recounts = [
        _check_round(report, rnd, rules, board, issued, opened)
        for rnd in sorted(result["rounds"], key=lambda r: r["number"])
    ]
    if rules is not None and recounts and all(r is not None for r in recounts):
        _check_final(report, result, rules, [r for r in recounts if r is not None])
        _check_ratings(report, result, rules, recounts[0])
    return report


def _check_ratings(report: Report, result: dict, rules: _Rules, recount: tally.RoundResult,
                   ) -> None:
    """A 测评 (session kind rating): regrade every project from the recounted totals."""
    header = result.get("session") if isinstance(result.get("session"), dict) else {}
    kind = header.get("kind", rating.KIND_VOTE)
    if (result.get("kind") or rating.KIND_VOTE) != kind:
        report.add("rating_kind_mismatch", "result.json kind",
                   "结果文件的会议类型与会议信息不一致（票决 / 满意度测评）。",
                   "the result's kind differs from the session's (vote / rating).")
        return
    if kind != rating.KIND_RATING:
        return
    if len(result["rounds"]) != 1:
        report.add("rating_rounds", "result.json rounds", "满意度测评只有一轮投票。",
                   "a rating session has exactly one round.")
        return
    try:
        graded = rating.rate_totals(
            list(recount.candidates),
            {code: (c.for_, c.against) for code, c in recount.counts.items()},
            recount.returned, valid=recount.valid, basis=result.get("rating_basis"),
            roster=rules.roster_size)
    except ValueError as exc:
        report.add("rating_failed", "result.json ratings", f"无法重新评定测评结果：{exc}",
                   f"cannot regrade the ratings: {exc}")
        return
    expected = {code: rating.rating_dict(outcome) for code, outcome in graded.items()}
    for path, claimed, actual in _diff(result.get("ratings"), expected, "ratings"):
        report.add("rating_mismatch", f"result.json {path}",
                   f"测评结果 {path}：签名结果记为 {_show(claimed)}，"
                   f"按开箱合计重新评定为 {_show(actual)}。",
                   f"rating {path}: the signed result says {_show(claimed)}, regrading the "
                   f"opened totals gives {_show(actual)}.")


def _progressbar(lines: Iterable[JsonLine], count: int) -> Iterator[JsonLine]:
    if count <= PROGRESS_THRESHOLD:
        yield from lines
        return
    with click.progressbar(lines, length=count,
                           label="核验选票和证明 / checking entries and proofs",
                           file=sys.stderr) as bar:
        yield from bar


@click.command()
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.option("--fingerprint", "expected", metavar="FP",
              help="会上宣读的密钥指纹（至少 32 位）/ the key fingerprint read out in the hall "
                   "(at least 32 hex digits).")
@click.option("--no-fingerprint", "unchecked", is_flag=True,
              help="不核对指纹：只能证明审计包自洽 / skip the fingerprint: proves only that the "
                   "bundle is self-consistent.")
@click.option("--box-fingerprint", "expected_box", metavar="FP",
              help="会上宣读的票箱指纹（至少 32 位，可选）/ the ballot box fingerprint read out in "
                   "the hall (at least 32 hex digits; optional).")
def main(bundle: str, expected: str | None, unchecked: bool, expected_box: str | None) -> None:
    """Verify an audit bundle: signatures, every ballot's proofs, the opening of the box and a
    full recount. 核验审计包。

    Give the fingerprint read out in the hall (--fingerprint); without it anyone's key would do.
    The box fingerprint (--box-fingerprint) is checked too when given.
    """
    if expected is None and not unchecked:
        raise click.UsageError(
            "请用 --fingerprint 给出会上宣读的密钥指纹；确实无法得到时，用 --no-fingerprint 明确跳过。\n"
            "Give the fingerprint read out in the hall with --fingerprint, or skip it explicitly "
            "with --no-fingerprint.")
    if expected is not None and unchecked:
        raise click.UsageError("--fingerprint 与 --no-fingerprint 只能选一个。 / "
                               "--fingerprint and --no-fingerprint exclude each other.")
    report = verify_bundle(bundle, expected, progress=_progressbar,
                           expected_box_fingerprint=expected_box)
    if report.fingerprint:
        click.echo(f"审计包公钥指纹 / bundle key fingerprint: "
                   f"{crypto.format_fingerprint(report.fingerprint)}")
    if report.box_fingerprint:
        state = ("已与命令行给出的核对 / checked against the one given" if report.box_fingerprint_checked
                 else "未核对（可用 --box-fingerprint 给出）/ not checked (give --box-fingerprint)")
        click.echo(f"票箱指纹 / ballot box fingerprint: "
                   f"{crypto.format_fingerprint(report.box_fingerprint)} — {state}")
    if expected is not None:
        try:
            given = crypto.normalize_fingerprint(expected).upper()
            trusted = " ".join(given[i : i + 4] for i in range(0, len(given), 4))
        except ValueError:
            trusted = expected
        click.echo(f"信任的指纹（命令行给出）/ trusted fingerprint (given): {trusted}")
    else:
        shown = crypto.format_fingerprint(report.fingerprint) if report.fingerprint else "—"
        click.echo(f"信任的指纹 / trusted fingerprint: {shown} — 取自审计包本身，未经核对 / taken "
                   "from the bundle itself, NOT checked")
        click.echo("警告：未核对指纹（--no-fingerprint），只能证明审计包自洽；任何人都能用自己的密钥"
                   "做出自洽的审计包。\n"
                   "WARNING: fingerprint not checked (--no-fingerprint): this proves only that the "
                   "bundle is self-consistent; anyone can make a consistent bundle with their own "
                   "key.", err=True)
    click.echo(f"选票 / entries: {report.entry_count}")
    if report.drill:
        click.echo("注意：这是演练场次的审计包，其结果不作数。\n"
                   "Note: this bundle is from a drill (rehearsal); its result does not count.")
    for problem in report.problems:
        click.echo(str(problem))
    if report.ok:
        if expected is not None:
            click.echo("核验通过 / verified: no problems found.")
        else:
            click.echo("审计包自洽，但未核对指纹 / self-consistent, but the fingerprint was not "
                       "checked.")
        return
    click.echo(f"核验失败：发现 {len(report.problems)} 个问题 / "
               f"verification FAILED: {len(report.problems)} problem(s).")
    sys.exit(1)


if __name__ == "__main__":
    main()

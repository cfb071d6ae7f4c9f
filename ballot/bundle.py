"""The audit bundle: one zip holding everything a third party needs to check a session's result.

``write_bundle`` is used by the export service; ``read_bundle`` by the verifier. The reader is
tolerant: a damaged zip, a missing member or a bad JSON line becomes a Problem in the returned
Bundle instead of an exception, so the verifier can go on and report everything else it finds.
The format (``piaojue-bundle/2``: encrypted ballots, box.json) is specified in
docs/audit-bundle.md. No Flask.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple

from ballot.crypto import SIGNATURE_BYTES, canonical_json

BUNDLE_FORMAT = "piaojue-bundle/2"
#: Formats this verifier recognises but no longer checks (plaintext ballots, before issue 19).
OLD_BUNDLE_FORMATS = ("piaojue-bundle/1",)
RESULT_FORMAT = "piaojue-result/2"  # the signed result document (docs/audit-bundle.md §8)

MANIFEST = "manifest.json"
ENTRIES = "entries.jsonl"
ISSUED = "issued.json"
BOX = "box.json"
RESULT = "result.json"
RESULT_SIG = "result.sig"
PUBLIC_KEY = "public_key.pem"
AUDIT_LOG = "audit_log.jsonl"
README = "README.txt"
REQUIRED_MEMBERS = (MANIFEST, ENTRIES, ISSUED, BOX, RESULT, RESULT_SIG, PUBLIC_KEY)
OPTIONAL_MEMBERS = (AUDIT_LOG, README)

# Far above a 3,000-delegate congress's board (a few MB), low enough that a zip bomb handed to
# the verifier is refused rather than unpacked into memory.
MAX_MEMBER_BYTES = 256 * 1024 * 1024

# Fixed member timestamps: the bundle's bytes depend only on its content, and the zip itself
# carries no clock reading.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

README_TEXT = """\
票决 审计包 / piaojue audit bundle ({format})

【中文】
本压缩包包含一次人大代表票决的全部公开材料：manifest.json（会议、规则、候选项目、票箱公钥、轮次）、
entries.jsonl（公告板上的每一张加密选票及其零知识证明，按轮次和哈希排序，不含投票时间和顺序，
也不含任何一张选票的明文）、issued.json（每轮领票代表名单，按名册顺序）、box.json（每轮开箱：
密文乘积、监票人的部分解密及其证明、解密出的合计）、result.json（签名的结果文件）、
result.sig（Ed25519 签名，64 字节）、public_key.pem（本次会议的公钥）。

1. 核对公钥指纹：与会上宣读的指纹比较（前 32 位十六进制）。只用 OpenSSL 计算指纹：
   openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum
2. 用 OpenSSL 3 核对结果签名：
   openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in result.json -sigfile result.sig
3. 完整核验（每张选票的签名和零知识证明、每轮 Merkle 根、密文乘积、监票人的部分解密、合计、
   重新计票、票箱指纹）：
   python -m ballot.verify 本文件.zip --fingerprint "会上宣读的指纹" --box-fingerprint "封箱时宣读的票箱指纹"
格式说明见 docs/audit-bundle.md 和 docs/ballot-box.md，可据此用任何语言编写独立的核验程序。

[English]
This zip holds everything published about one delegate vote: manifest.json (session, rules,
candidate projects, the ballot box key, rounds), entries.jsonl (every encrypted ballot on the
bulletin board with its zero-knowledge proofs, sorted by round and hash, with no time, no order
and no ballot's plaintext), issued.json (delegates issued a ballot per round, in roster order),
box.json (each round's opening: the products of the ciphertexts, the scrutineers' proved partial
decryptions, the decrypted totals), result.json (the signed result), result.sig (raw 64-byte
Ed25519 signature) and public_key.pem.

1. Compare the key fingerprint with the one read aloud in the hall (first 32 hex digits).
   With OpenSSL alone:
   openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum
2. Check the result signature with OpenSSL 3:
   openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in result.json -sigfile result.sig
3. Full check (every ballot's signature and proofs, each round's Merkle root, the products, the
   scrutineers' partial decryptions, the totals, a recount, the box fingerprint):
   python -m ballot.verify THIS_FILE.zip --fingerprint "FINGERPRINT" --box-fingerprint "BOX FINGERPRINT"
docs/audit-bundle.md and docs/ballot-box.md specify the format so you can write your own verifier
in any language.
"""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bundle: a stable code, where, and what (Chinese and English)."""

    code: str
    where: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.where}: {self.zh} / {self.en}"


class JsonLine(NamedTuple):
    """One line of a JSON Lines member: its 1-based number, the parsed object (None if bad) and
    the line's bytes without its newline, so a verifier can check they are canonical.

    A named tuple, not a dataclass: a bundle holds one per ballot and tuples are built faster.
    """

    line: int
    record: dict | None
    raw: bytes = b""


@dataclass
class Bundle:
    """What read_bundle() found; a member that is missing or unreadable is None."""

    manifest: dict | None = None
    entries: list[JsonLine] = field(default_factory=list)
    issued: dict | None = None
    box: dict | None = None
    result_json: bytes | None = None
    result_sig: bytes | None = None
    public_key_pem: bytes | None = None
    audit_log: list[JsonLine] | None = None
    problems: list[Problem] = field(default_factory=list)


class StrictJSONError(ValueError):
    """JSON that parses only by guessing: duplicate keys, NaN/Infinity or invalid UTF-8."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    # Two values under one key would let two verifiers read two different documents.
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _value in pairs if key in seen or seen.add(key))
        raise StrictJSONError(f"duplicate key {duplicate!r}")
    return result


def _no_constants(name: str) -> Any:
    raise StrictJSONError(f"{name} is not JSON")


# Built once: json.loads with hooks would build a decoder for every line of a bundle.
_STRICT_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants)


def loads_strict(data: bytes) -> Any:
    """Parse UTF-8 JSON, refusing duplicate keys and NaN/Infinity; raises ValueError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StrictJSONError(f"not UTF-8: {exc}") from None
    return _STRICT_DECODER.decode(text)


# --- writing ----------------------------------------------------------------------------------


def _pretty(obj: Any) -> bytes:
    canonical_json(obj)  # the same type rules as signed documents: no floats anywhere
    return (json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _jsonl(records: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(canonical_json(record) + b"\n" for record in records)


def issued_object(issued: Mapping[int, list[str]]) -> dict[str, list[str]]:
    """issued.json's content: round number as a decimal string -> names in roster order."""
    return {str(n): list(issued[n]) for n in sorted(issued)}


def box_object(opened: Mapping[int, dict]) -> dict[str, dict]:
    """box.json's content: round number as a decimal string -> that round's opening
    (``{"products", "partials", "totals"}``, docs/audit-bundle.md §7); partials by share number."""
    out = {}
    for number in sorted(opened):
        opening = dict(opened[number])
        opening["partials"] = sorted(opening["partials"], key=lambda p: p["index"])
        out[str(number)] = opening
    return out


def issued_digest(issued: Mapping[str, list[str]]) -> str:
    """The signed result's ``issued_sha256``: SHA-256 of the canonical JSON of issued.json's
    content (``issued_object``), so no name can be added, dropped or changed after signing."""
    return hashlib.sha256(canonical_json(dict(issued))).hexdigest()


def _entry_sort_key(entry: Mapping[str, Any]) -> tuple[int, str]:
    return entry["payload"]["round"], entry["hash"]


def write_bundle(
    path_or_file: str | os.PathLike[str] | IO[bytes],
    *,
    manifest: dict,
    entries: list[dict],
    issued: Mapping[int, list[str]],
    box: Mapping[int, dict],
    result_json: bytes,
    result_sig: bytes,
    public_key_pem: bytes,
    audit_log: list[dict] | None = None,
) -> None:
    """Write the audit bundle zip; entries are sorted by (round, hash) so no casting order leaks."""
    if canonical_json(loads_strict(result_json)) != result_json:
        raise ValueError("result_json must be the exact canonical JSON bytes that were signed")
    if len(result_sig) != SIGNATURE_BYTES:
        raise ValueError("result_sig must be the raw 64-byte Ed25519 signature")
    members: list[tuple[str, bytes]] = [
        (MANIFEST, _pretty({**manifest, "format": BUNDLE_FORMAT})),
        (ENTRIES, _jsonl(sorted(entries, key=_entry_sort_key))),
        (ISSUED, _pretty(issued_object(issued))),
        (BOX, _pretty(box_object(box))),
        (RESULT, result_json),
        (RESULT_SIG, result_sig),
        (PUBLIC_KEY, public_key_pem),
    ]
    if audit_log is not None:
        members.append((AUDIT_LOG, _jsonl(audit_log)))
    members.append((README, README_TEXT.format(format=BUNDLE_FORMAT).encode("utf-8")))
    with zipfile.ZipFile(path_or_file, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)


# --- reading ----------------------------------------------------------------------------------


def _problem(problems: list[Problem], code: str, where: str, zh: str, en: str) -> None:
    problems.append(Problem(code=code, where=where, zh=zh, en=en))


def _too_large(problems: list[Problem], info: zipfile.ZipInfo) -> None:
    _problem(problems, "member_too_large", info.filename,
             f"成员过大（{info.file_size} 字节，上限 {MAX_MEMBER_BYTES} 字节），拒绝读取。",
             f"member is too large ({info.file_size} bytes, limit {MAX_MEMBER_BYTES}); refused.")


def _read_member(zf: zipfile.ZipFile, name: str, problems: list[Problem]) -> bytes | None:
    info = zf.getinfo(name)
    if info.file_size > MAX_MEMBER_BYTES:
        _too_large(problems, info)
        return None
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        _problem(problems, "member_corrupt", name,
                 f"成员已损坏，无法解压：{exc}", f"member is corrupt and cannot be read: {exc}")
        return None


def _parse_json(data: bytes, name: str, kind: type, problems: list[Problem]) -> Any:
    try:
        value = loads_strict(data)
    except ValueError as exc:
        _problem(problems, "member_malformed", name,
                 f"不是有效的 JSON：{exc}", f"not valid JSON: {exc}")
        return None
    if not isinstance(value, kind):
        want = "object" if kind is dict else "array"
        _problem(problems, "member_malformed", name,
                 f"顶层应为 JSON {want}。", f"the top level must be a JSON {want}.")
        return None
    return value


def _parse_jsonl(data: bytes, name: str, problems: list[Problem]) -> list[JsonLine]:
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the final newline ends the last line, it does not start an empty one
    elif data:
        # A line without its newline may have been cut short: every line ends in "\n".
        _problem(problems, "member_malformed", f"{name} line {len(lines)}",
                 "最后一行缺少换行符（文件可能被截断）。",
                 "the last line lacks its newline (the file may have been cut short).")
    parsed: list[JsonLine] = []
    for number, raw in enumerate(lines, start=1):
        where = f"{name} line {number}"
        if raw.endswith(b"\r"):
            # json accepts the "\r" as whitespace; two spellings of one line are one too many.
            _problem(problems, "member_malformed", where,
                     "该行以 CRLF 结尾，应只用 LF（\\n）换行。",
                     "the line ends in CRLF; lines end in LF (\\n) only.")
        try:
            value = loads_strict(raw)
        except ValueError as exc:
            _problem(problems, "member_malformed", where,
                     f"该行不是有效的 JSON：{exc}", f"the line is not valid JSON: {exc}")
            parsed.append(JsonLine(number, None, raw))
            continue
        if not isinstance(value, dict):
            _problem(problems, "member_malformed", where,
                     "该行应为 JSON 对象。", "the line must be a JSON object.")
            parsed.append(JsonLine(number, None, raw))
            continue
        parsed.append(JsonLine(number, value, raw))
    return parsed


def read_bundle(path_or_file: str | os.PathLike[str] | IO[bytes]) -> Bundle:
    """Read a bundle, recording structural problems in ``Bundle.problems`` instead of raising."""
    bundle = Bundle()
    problems = bundle.problems
    try:
        zf = zipfile.ZipFile(path_or_file)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        _problem(problems, "bundle_unreadable", "bundle",
                 f"无法作为 zip 文件打开（可能被截断或损坏）：{exc}",
                 f"cannot be opened as a zip file (truncated or damaged?): {exc}")
        return bundle
    with zf:
        names = zf.namelist()
        for name in sorted({n for n in names if names.count(n) > 1}):
            # Tools disagree on which of two same-named members they extract.
            _problem(problems, "member_duplicate", name,
                     "压缩包中有多个同名成员，内容有歧义。",
                     "the zip holds more than one member of this name; ambiguous.")
        for name in sorted(set(names) - {*REQUIRED_MEMBERS, *OPTIONAL_MEMBERS}):
            # Anything else, "sub/manifest.json" included, is a second story some tool may tell.
            _problem(problems, "member_unknown", name,
                     "审计包中不应有此文件（格式只允许规定的成员，且都在顶层）。",
                     "the bundle may not hold this member (only the listed members, at the top "
                     "level).")
        for name in REQUIRED_MEMBERS:
            if name not in names:
                _problem(problems, "member_missing", name,
                         "审计包缺少此文件。", "this member is missing from the bundle.")
        data = {
            name: _read_member(zf, name, problems)
            for name in (*REQUIRED_MEMBERS, AUDIT_LOG)
            if name in names
        }
        if README in names and zf.getinfo(README).file_size > MAX_MEMBER_BYTES:
            _too_large(problems, zf.getinfo(README))  # not read, but no member may be this big
    if data.get(MANIFEST) is not None:
        bundle.manifest = _parse_json(data[MANIFEST], MANIFEST, dict, problems)
    if data.get(ENTRIES) is not None:
        bundle.entries = _parse_jsonl(data[ENTRIES], ENTRIES, problems)
    if data.get(ISSUED) is not None:
        bundle.issued = _parse_json(data[ISSUED], ISSUED, dict, problems)
    if data.get(BOX) is not None:
        bundle.box = _parse_json(data[BOX], BOX, dict, problems)
    bundle.result_json = data.get(RESULT)
    bundle.result_sig = data.get(RESULT_SIG)
    bundle.public_key_pem = data.get(PUBLIC_KEY)
    if data.get(AUDIT_LOG) is not None:
        bundle.audit_log = _parse_jsonl(data[AUDIT_LOG], AUDIT_LOG, problems)
    return bundle

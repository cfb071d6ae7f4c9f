"""docs/ballot-box.md quotes the code's test vectors exactly, and every vector checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ballot.ballotbox import vectors
from ballot.ballotbox.elgamal import Ciphertext, encrypt
from ballot.ballotbox.group import L, Point, frame, hash_to_scalar, scalar_from_hex, scalar_hex
from ballot.ballotbox.proofs import combine, verify_ballot, verify_partial
from ballot.ballotbox.shares import BoxKey, Share, lagrange_at_zero, parse_share

DOC = Path(__file__).resolve().parents[2] / "docs" / "ballot-box.md"


def _doc_vectors() -> dict:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- vectors:begin -->\n```json\n(.*?)\n```\n<!-- vectors:end -->", text, re.S)
    assert block, "docs/ballot-box.md lost its vectors block"
    return json.loads(block.group(1))


def test_document_quotes_the_generated_vectors():
    text = DOC.read_text(encoding="utf-8")
    assert vectors.render() in text
    assert _doc_vectors() == json.loads(vectors.render())


def test_document_vectors_check_independently_of_the_generator():
    v = _doc_vectors()
    assert v["hash"]["frame_hex"] == frame(b"ab", b"", b"c").hex()
    assert v["hash"]["Hs_test_abc"] == scalar_hex(hash_to_scalar(b"test", b"abc"))

    box = BoxKey.from_json(v["box"]["key"])
    assert box.fingerprint() == v["box"]["fingerprint"]
    shares = {int(i): Share(int(i), scalar_from_hex(s)) for i, s in v["box"]["shares"].items()}
    a0, a1 = (scalar_from_hex(a) for a in v["box"]["coefficients"])
    for i, share in shares.items():
        assert share.secret == (a0 + a1 * i) % L
        assert box.share_public_key(i).hex() == v["box"]["share_public_keys"][str(i)]
    lam = lagrange_at_zero([1, 3])
    assert {str(i): scalar_hex(x) for i, x in lam.items()} == v["box"]["lagrange_1_3"]
    assert parse_share(v["box"]["card_share_1"], v["box"]["session_fingerprint"], box) == shares[1]

    pk = box.public_key
    for ballot in v["ballots"]:
        context = bytes.fromhex(ballot["context_hex"])
        verify_ballot(pk, ballot["encrypted"], vectors.N_PROJECTS, vectors.QUOTA, context)
        # the ciphertexts follow from the listed nonces and choices
        bits = {"for": (1, 0), "against": (0, 1), "abstain": (0, 0)}
        for project, choice, (rf, ra) in zip(ballot["encrypted"]["projects"], ballot["choices"],
                                             ballot["nonces"], strict=True):
            mf, ma = bits[choice]
            assert encrypt(pk, mf, scalar_from_hex(rf))[0].to_json() == project["for"]
            assert encrypt(pk, ma, scalar_from_hex(ra))[0].to_json() == project["against"]

    count = v["count"]
    context = bytes.fromhex(count["context_hex"])
    products = [Ciphertext.from_json(ct, allow_identity=True) for ct in count["products"]]
    partials = {int(i): p for i, p in count["partials"].items()}
    for partial in partials.values():
        verify_partial(box, products, partial, context)
    assert combine(partials, products, 2) == count["totals"] == [1, 1, 1, 1, 1, 0]
    assert Point.from_hex(v["generator"]).hex() == v["generator"]

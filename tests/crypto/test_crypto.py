"""Keys, canonical JSON, signatures, board entries and token derivations (ballot/crypto.py)."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ballot import crypto

# RFC 8032 §7.1, TEST 1: the empty message.
RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
RFC8032_SIG = (
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701"
    "cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


@pytest.fixture
def rfc_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032_SECRET))


def test_sign_matches_rfc8032(rfc_key):
    sig = crypto.sign(rfc_key, b"")
    assert sig.hex() == RFC8032_SIG
    assert crypto.verify_signature(rfc_key.public_key(), b"", sig)
    assert not crypto.verify_signature(rfc_key.public_key(), b"x", sig)
    assert not crypto.verify_signature(rfc_key.public_key(), b"", sig[:-1])


def test_fingerprint_is_sha256_of_raw_public_key(rfc_key):
    expected = hashlib.sha256(bytes.fromhex(RFC8032_PUBLIC)).hexdigest()
    assert crypto.fingerprint(rfc_key.public_key()) == expected
    assert crypto.fingerprint(rfc_key) == expected
    spoken = crypto.format_fingerprint(expected)
    assert spoken == " ".join(expected[i : i + 4].upper() for i in range(0, 32, 4))
    assert len(spoken.split()) == 8


@pytest.mark.parametrize("transform", [
    lambda fp: fp,
    str.upper,
    crypto.format_fingerprint,
    lambda fp: crypto.format_fingerprint(fp).replace(" ", "-").lower(),
    lambda fp: ":".join(fp[i : i + 2] for i in range(0, 64, 2)),
])
def test_fingerprint_matches_accepts_spellings(rfc_key, transform):
    fp = crypto.fingerprint(rfc_key)
    assert crypto.fingerprint_matches(transform(fp), fp)


def test_fingerprint_matches_refuses_short_or_wrong(rfc_key):
    fp = crypto.fingerprint(rfc_key)
    assert not crypto.fingerprint_matches(fp[:31], fp)
    other = crypto.fingerprint(crypto.generate_key())
    assert not crypto.fingerprint_matches(other, fp)
    with pytest.raises(ValueError):
        crypto.normalize_fingerprint("not hex")


def test_public_key_pem_round_trip(rfc_key):
    pem = crypto.public_key_pem(rfc_key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert crypto.fingerprint(crypto.load_public_key_pem(pem)) == crypto.fingerprint(rfc_key)
    with pytest.raises(ValueError):
        crypto.load_public_key_pem(b"garbage")


def test_private_key_encryption_round_trip():
    key = crypto.generate_key()
    blob = crypto.encrypt_private_key(key, b"config-secret")
    assert blob.startswith(b"PJK1") and len(blob) == 4 + 16 + 12 + 32 + 16
    assert crypto.encrypt_private_key(key, b"config-secret") != blob  # fresh salt and nonce
    back = crypto.decrypt_private_key(blob, b"config-secret")
    assert crypto.fingerprint(back) == crypto.fingerprint(key)


@pytest.mark.parametrize("damage", [
    lambda blob, secret: (blob, b"wrong-secret"),
    lambda blob, secret: (blob[:-1] + bytes([blob[-1] ^ 1]), secret),
    lambda blob, secret: (blob[:10] + bytes([blob[10] ^ 1]) + blob[11:], secret),  # the salt
    lambda blob, secret: (blob[:-3], secret),
    lambda blob, secret: (b"XXXX" + blob[4:], secret),
])
def test_private_key_decryption_refuses_damage(damage):
    blob = crypto.encrypt_private_key(crypto.generate_key(), b"s3cret")
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt_private_key(*damage(blob, b"s3cret"))


def test_canonical_json_exact_bytes():
    doc = {"b": [1, True, None], "a": {"z": "赞成", "y": "a\"b\\\n"}, "c": -3}
    assert crypto.canonical_json(doc) == (
        '{"a":{"y":"a\\"b\\\\\\n","z":"赞成"},"b":[1,true,null],"c":-3}'.encode()
    )


@pytest.mark.parametrize("bad", [1.0, {"x": 0.2}, [float("nan")], {1: "a"}, {"x": {1, 2}}, b"x"])
def test_canonical_json_refuses_non_json_types(bad):
    with pytest.raises(TypeError):
        crypto.canonical_json(bad)


def test_canonical_json_refuses_lone_surrogate():
    with pytest.raises(ValueError):
        crypto.canonical_json({"x": "\ud800"})


def test_make_entry_hash_and_signature():
    key = crypto.generate_key()
    ballot = {"projects": [], "quota_proof": []}  # the shape; its proofs are ballotbox's
    entry = crypto.make_entry(key, "0" * 32, 1, ballot)
    payload = {"ballot_id": "0" * 32, "round": 1, "ballot": ballot}
    data = b'{"ballot":{"projects":[],"quota_proof":[]},"ballot_id":"00000000000000000000000000000000","round":1}'  # noqa: E501
    assert crypto.canonical_json(payload) == data
    assert entry["payload"] == payload
    assert entry["hash"] == hashlib.sha256(data).hexdigest() == crypto.entry_hash(payload)
    sig = crypto.decode_signature(entry["signature"])
    assert crypto.verify_signature(key.public_key(), data, sig)


_BALLOT = {"projects": [], "quota_proof": []}


@pytest.mark.parametrize("args", [
    ("0" * 31, 1, _BALLOT), ("G" * 32, 1, _BALLOT), ("A" * 32, 1, _BALLOT),
    ("0" * 32, 0, _BALLOT), ("0" * 32, True, _BALLOT),
    ("0" * 32, 1, {"01": "for"}),                      # plaintext choices are no ballot
    ("0" * 32, 1, {"projects": [], "quota_proof": [], "choices": {}}),
    ("0" * 32, 1, [[], []]),
])
def test_make_entry_refuses_malformed(args):
    with pytest.raises(ValueError):
        crypto.make_entry(crypto.generate_key(), *args)


def test_decode_signature_refuses_non_canonical_base64():
    sig = bytes(range(64))
    text = crypto.encode_signature(sig)
    assert crypto.decode_signature(text) == sig
    # 64 bytes leave 4 unused bits in the last digit: a different digit decodes the same.
    twin = text[:-3] + chr(ord(text[-3]) + 1) + "=="
    assert base64.b64decode(twin) == sig
    with pytest.raises(ValueError):
        crypto.decode_signature(twin)
    for bad in (text.rstrip("="), text + "A", "é" * 88, text.replace("A", "*", 1)):
        with pytest.raises(ValueError):
            crypto.decode_signature(bad)


def test_tracking_code():
    h = "3fa291bc07d4" + "0" * 52
    assert crypto.tracking_code(h) == "3FA2-91BC-07D4"
    assert crypto.parse_tracking_code(" 3fa2-91BC 07d4 ") == "3fa291bc07d4"
    assert crypto.parse_tracking_code("3FA2-91BC-07D") is None
    with pytest.raises(ValueError):
        crypto.tracking_code("3FA2")


def test_token_derivations_are_domain_separated():
    token = bytes(32)
    assert crypto.ballot_id_from_token(token) == hashlib.sha256(
        b"piaojue/ballot-id/v1\0" + token
    ).digest()[:16].hex()
    assert crypto.token_hash(token) == hashlib.sha256(b"piaojue/token/v1\0" + token).hexdigest()
    assert not crypto.token_hash(token).startswith(crypto.ballot_id_from_token(token))
    assert len(crypto.new_token()) == 32 and crypto.new_token() != crypto.new_token()


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
))
def test_canonical_json_is_stable_under_reparse(obj):
    data = crypto.canonical_json(obj)
    assert crypto.canonical_json(json.loads(data)) == data

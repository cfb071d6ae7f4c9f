"""End to end on the test database (SQLite, or PostgreSQL with BALLOT_TEST_DATABASE_URL): a
real session's ballots, encrypted when cast and opened by the scrutineers' shares, exported with
``ballot export --format bundle`` and checked with ``ballot verify`` and both fingerprints."""

from __future__ import annotations

import io
import json
import zipfile

from ballot.models import VoteSession
from ballot.services import box, candidates
from tests.conftest import make_session, seal_box
from tests.factories import published_session


def _export(app, session: VoteSession, path) -> None:
    result = app.test_cli_runner().invoke(args=["export", session.slug, "--format", "bundle",
                                                "-o", str(path)])
    assert result.exit_code == 0, result.output


def _verify(app, path, session: VoteSession, *extra: str):
    return app.test_cli_runner().invoke(args=[
        "verify", str(path), "--fingerprint", session.key_fingerprint,
        "--box-fingerprint", session.box_fingerprint, *extra])


def _rewrite(path, name: str, change) -> None:
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            zf.writestr(info, change(data) if info.filename == name else data)
    path.write_bytes(buffer.getvalue())


def test_exported_session_verifies_with_both_fingerprints(app, db, tmp_path):
    session = published_session(db)
    path = tmp_path / "bundle.zip"
    _export(app, session, path)
    result = _verify(app, path, session)
    assert result.exit_code == 0, result.output
    assert "核验通过 / verified" in result.output
    assert "checked against the one given" in result.output

    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        opened = json.loads(zf.read("box.json"))
        document = json.loads(zf.read("result.json"))
        board = zf.read("entries.jsonl")
    assert manifest["format"] == "piaojue-bundle/2"
    assert manifest["box"]["fingerprint"] == session.box_fingerprint == document["box_fingerprint"]
    assert manifest["box"]["holders"] == list(session.box_holders)
    assert manifest["box"]["commitments"] == box.box_key(session).to_json()["commitments"]
    assert set(opened) == {"1", "2"}
    for number, opening in opened.items():
        # Exactly t partials, from distinct holders named as the manifest names them.
        assert len(opening["partials"]) == session.box_threshold
        indices = [p["index"] for p in opening["partials"]]
        assert indices == sorted(set(indices))
        assert all(p["holder"] == session.box_holders[p["index"] - 1]
                   for p in opening["partials"])
        counts = document["rounds"][int(number) - 1]["counts"]
        assert opening["totals"] == {c: {"for": v["for"], "against": v["against"]}
                                     for c, v in counts.items()}
    # No plaintext choice of any ballot anywhere in the bundle.
    assert b"choices" not in board and b'"abstain"' not in board


def test_exported_bundle_with_a_changed_total_or_partial_fails(app, db, tmp_path):
    session = published_session(db)
    path = tmp_path / "bundle.zip"
    _export(app, session, path)

    def bump(data: bytes) -> bytes:
        opened = json.loads(data)
        opened["1"]["totals"]["01"]["for"] += 1
        return (json.dumps(opened, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()

    _rewrite(path, "box.json", bump)
    result = _verify(app, path, session)
    assert result.exit_code == 1
    assert "[box_total_mismatch] box.json round 1 totals.01.for" in result.output

    _export(app, session, path)

    def drop_a_partial(data: bytes) -> bytes:
        opened = json.loads(data)
        opened["2"]["partials"].pop()
        return (json.dumps(opened, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()

    _rewrite(path, "box.json", drop_a_partial)
    result = _verify(app, path, session)
    assert result.exit_code == 1 and "[box_too_few_shares]" in result.output


def test_another_box_fingerprint_fails(app, db, tmp_path):
    session = published_session(db)
    path = tmp_path / "bundle.zip"
    _export(app, session, path)
    result = app.test_cli_runner().invoke(args=[
        "verify", str(path), "--fingerprint", session.key_fingerprint,
        "--box-fingerprint", session.key_fingerprint])
    assert result.exit_code == 1 and "[box_fingerprint_mismatch]" in result.output


def test_fingerprint_command_prints_the_box_fingerprint_once_sealed(app, db):
    session = make_session(chief_scrutineer="陈立", scrutineers="赵敏、孙伟", counters="周静、吴磊")
    candidates.lock_list(session, "staff", app.config["KEY_ENCRYPTION_SECRET"])
    db.session.commit()
    runner = app.test_cli_runner()
    unsealed = runner.invoke(args=["fingerprint", session.slug, "--box"])
    assert unsealed.exit_code == 1 and "票箱尚未封箱" in unsealed.output
    seal_box(session)
    db.session.commit()
    sealed = runner.invoke(args=["fingerprint", session.slug, "--box"])
    assert sealed.exit_code == 0, sealed.output
    assert sealed.output.strip() == session.box_fingerprint
    assert sealed.output.strip() != runner.invoke(args=["fingerprint", session.slug]).output.strip()

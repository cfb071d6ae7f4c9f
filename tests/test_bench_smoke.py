"""A tiny run of the benchmark harness (bench/), so it cannot rot. No timing is asserted."""

from __future__ import annotations

import json

import pytest

from bench.run import Plan, run
from bench.server import WorkerConfig

pytestmark = pytest.mark.sqlite_only  # the harness's own SQLite file: once per suite run is enough


def test_tiny_bench_run_is_well_formed_and_clean(tmp_path):
    plan = Plan(dbs=("sqlite",), sessions=((10, 2),), fixed_workers=WorkerConfig("sync", 2),
                trivial_seconds=0.3, crypto_seconds=0.05, insert_seconds=0.2,
                synthetic_entries=30, province_sessions=2, province_delegates=5,
                province_kiosks=2, province_window=1.0, province_db="sqlite",
                province_overrun=60.0)
    result = run(plan, tmp_path, log=lambda _text: None)

    saved = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert saved["plan"]["sessions"] == [[10, 2]] and saved["plan"]["province_window"] == 1.0
    rows = [*saved["scenarios"], saved["province"]]
    assert [r["ballots_expected"] for r in rows] == [10, 10]
    for row in rows:
        assert row["ballots_cast"] == row["board_entries"] == row["issued"] == row["ballots_expected"]
        assert row["errors"] == 0 and row["missing"] == 0 and row["double_counts"] == 0
        assert row["lost"] == 0 and row["unacknowledged"] == 0
        assert row["chair_staleness"]["never_shown"] == 0
        assert row["kiosk_latency"]["p50_ms"] <= row["kiosk_latency"]["p99_ms"]
    assert saved["ceilings"]["trivial_sqlite"]["errors"] == 0
    costs = saved["province_costs"]
    assert set(costs["per_request"]) == {"healthz", "kiosk status", "chair live.json"}
    for cost in costs["per_request"].values():
        assert cost["errors"] == 0 and cost["requests_per_s"] > 0 and cost["server_cpu_ms"] > 0
    cores = costs["demand"]["cores"]
    assert set(cores) == {"chair live.json", "kiosk status", "ballots", "total"}
    assert cores["total"] == pytest.approx(sum(v for k, v in cores.items() if k != "total"),
                                           abs=0.02)
    assert saved["ceilings"]["ed25519"]["verify_per_s"] > 0
    box = saved["ceilings"]["ballot_box"]
    assert box["var_mul_per_cpu_s"] > 0 and box["verify_ballot_cpu_ms"] > 0
    offline = saved["offline"]
    assert offline["session10_sqlite"]["verify_ok"] and offline["session10_sqlite"]["ballots"] == 10
    assert offline["synthetic_sqlite"]["verify_ok"] and offline["synthetic_sqlite"]["ballots"] == 30
    first = next(t for t in saved["targets"] if t["target"].startswith("zero errors"))
    assert first["met"] is True
    table = (tmp_path / "latest.md").read_text(encoding="utf-8")
    assert "| 10 delegates / 2 kiosks | sqlite | sync×2 | 10 |" in table
    assert "| chair live.json |" in table
    assert "| ballot box, 12 projects, quota 10, one core |" in table
    # Where a ballot's CPU goes, against the group operations its encryption needs.
    ops = box["encrypt_group_ops"]
    assert ops["var_mul"] > 0 and ops["base_mul"] > 0 and box["encrypt_group_ops_cpu_ms"] > 0
    costs = saved["ballot_cost"]
    assert [c["scenario"] for c in costs] == [rows[0]["name"], rows[1]["name"]]
    for cost in costs:
        assert cost["http_flask_driver_ms"] == pytest.approx(
            cost["server_ms"] - cost["encrypt_ms"] - cost["sign_ms"], abs=0.02)
        assert cost["multiple_server"] == pytest.approx(
            cost["server_ms"] / box["encrypt_group_ops_cpu_ms"], rel=0.02)
    assert f"| {rows[0]['name']} | sqlite | {costs[0]['server_ms']:.1f} |" in table
    assert not any("trivial" in t["target"] for t in saved["targets"])
    assert "÷ trivial" not in table
    assert any(t["target"].startswith("server + DB CPU per ballot") for t in saved["targets"])
    assert saved["province"]["close_and_open"]["counted"] == 2
    assert result["run_seconds"] == saved["run_seconds"]

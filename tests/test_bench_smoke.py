"""Smoke run of the benchmark suite at a tiny scale: the runner works end to end (its own throwaway
cluster, data, install, every scenario) and writes its outputs. Timings are not checked."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.report import ANALYSIS_END, ANALYSIS_START
from benchmarks.runner import SCENARIOS, run_bench
from pgrollup.devdb import citus_available

REPO = Path(__file__).resolve().parent.parent


def run_benchmarks(*args):
    """The runner as users start it: ``python -m benchmarks`` from the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=REPO, capture_output=True, text=True,
                          env=env, timeout=900)


def test_bench_smoke_tiny_scale(tmp_path):
    res = run_bench(scale="10k", output=str(tmp_path), repeat=1)
    assert set(res["scenarios"]) == set(SCENARIOS)

    doc = json.loads((tmp_path / "benchmarks.json").read_text())
    run = doc["scales"]["10k"]
    assert run["data"]["counts"]["reporting_events"] == 10_000
    assert run["data"]["counts"]["reporting_events_rollups"] > 0
    sc = run["scenarios"]
    # both read paths answer the same
    assert all(sc["reads"]["checks"].values()), sc["reads"]["checks"]
    assert sc["reads"]["cases"]["report_summary_agent_365d_rollup"]["median_ms"] > 0
    # refresh: both modes, both shapes of change, with peak memory
    for case in ("incremental_one_day", "incremental_scattered", "materialized_view_one_day", "materialized_view_scattered"):
        assert sc["refresh"]["cases"][case]["median_ms"] > 0
        assert all(r["changes_applied"] is not None for r in sc["refresh"]["cases"][case]["runs"])
    assert sc["refresh"]["cases"]["incremental_one_day"]["memory"]["peak_rss_anon_mb"] > 0
    # write: each table without pgrollup and in its module's default mode, every client count and
    # isolation level ran, without failed transactions; ratios against the same table without pgrollup
    w = sc["write"]
    modes = {m: w["modes"][m] for m in ("reporting", "messaging")}
    for key in ("reporting_none", f"reporting_{modes['reporting']}", "messaging_none", f"messaging_{modes['messaging']}"):
        for kind in ("copy", "insert_select"):
            assert w["cases"][f"{key}_{kind}"]["median_ms"] > 0
        for case in ("pgbench_c1", "pgbench_c4", "pgbench_c8", "pgbench_c8_rr", "pgbench_c8_ser"):
            assert w["cases"][f"{key}_{case}"]["median_tps"] > 0 and w["cases"][f"{key}_{case}"]["failed"] == 0
    for module, mode in modes.items():
        for ratio in ("copy", "insert_select", "pgbench_c8_throughput", "latency_c1", "pgbench_c8_ser_extra_failures"):
            assert f"{module}_{mode}_{ratio}" in w["ratios"]
    assert w["server_log"]["deadlocks"] == 0
    # any size: one big transaction, its refresh and a backfill, exact, with peak memory
    z = sc["size"]
    assert z["rollups_equal_reference"] is True
    for case in ("one_transaction_insert_select", "refresh_pending", "backfill_account"):
        assert z["cases"][case]["memory"]["peak_rss_anon_mb"] > 0
    assert sc["backfill"]["rollup_rows_written"] == sc["backfill"]["floor_rows_written"]
    assert sc["freshness"]["refreshes"]["count"] >= 2 and not sc["freshness"]["refresh_errors"]
    assert set(sc["freshness"]["staleness"]) == {"messaging", "reporting"}
    # Citus: the same write cases on a coordinator + 2 workers, when Citus is installed here
    z = sc["citus"]
    if citus_available() is None:
        for case in ("copy", "insert_select", "pgbench_c1", "pgbench_c8"):
            assert "reporting_realtime_" + case in z["cases"] and "reporting_none_" + case in z["cases"]
        assert z["cases"]["reporting_realtime_pgbench_c8"]["failed"] == 0
        assert z["refresh"]["statuses"] == ["ok"] and z["reads"]["report_summary_agent_30d"]["median_ms"] > 0
        assert z["reads_single_node"]["report_summary_agent_30d"]["median_ms"] > 0
        m = z["messaging"]
        assert m["first_build"]["status"] == "ok" and m["first_build"]["changes"] > 0
        for case in ("copy", "insert_select", "pgbench_c1", "pgbench_c8"):
            assert "messaging_incremental_" + case in m["cases"] and "messaging_none_" + case in m["cases"]
        assert m["cases"]["messaging_incremental_pgbench_c8"]["failed"] == 0
        assert m["refresh"]["statuses"] == ["ok"] and m["reads"]["campaign_daily_30d"]["median_ms"] > 0
        assert m["reads_single_node"]["campaign_daily_30d"]["median_ms"] > 0
    else:
        assert z == {"skipped": citus_available()}

    md = (tmp_path / "BENCHMARKS.md").read_text()
    for heading in ("## Targets", "## 1. Dashboard reads", "## 2. Refresh", "## 3. Write overhead", "## 4. Backfill",
                    "## 5. Freshness under ingest", "## 6. Any size", ANALYSIS_START, ANALYSIS_END) + (
                        ("## 7. Scale-out on Citus",) if citus_available() is None else ()):
        assert heading in md

    # a second scale accumulates in the same JSON, and a hand-written analysis survives re-rendering
    md_path = tmp_path / "BENCHMARKS.md"
    md_path.write_text(md.replace("_No analysis written yet for these results._", "hand-written analysis"))
    # several scales in one command, one after the other
    res = run_benchmarks("--scale", "12k,11k", "--scenario", "reads", "--repeat", "1", "--output", str(tmp_path))
    assert res.returncode == 0, res.stderr
    doc = json.loads((tmp_path / "benchmarks.json").read_text())
    assert sorted(doc["scales"]) == ["10k", "11k", "12k"]
    assert doc["scales"]["11k"]["data"]["rows_per_module"] == 11_000
    assert "hand-written analysis" in md_path.read_text()


def test_bench_rejects_a_bad_scale_before_running(tmp_path):
    res = run_benchmarks("--scale", "12k,lots", "--output", str(tmp_path))
    assert res.returncode != 0
    assert res.stderr.strip().count("\n") == 0 and "lots" in res.stderr, res.stderr
    assert not (tmp_path / "benchmarks.json").exists()

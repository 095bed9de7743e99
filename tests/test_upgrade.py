"""Upgrades: install the schema as of an earlier commit of this repository, write data, upgrade to
the current tree, and check that rollups, settings and grants are intact and still exact."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

import messaging_support as ms
import reporting_support as rs
from workload_support import mixed_workload

REPO = Path(__file__).resolve().parent.parent
# The release whose schema users have installed (0.1.0). Later schema changes are new migrations.
BASE_COMMIT = "076b18b72750a82250957290115d9a489f11a3f3"


def _old_tree(tmp_path: Path) -> Path:
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs the repository's git history (not available in an sdist)")
    known = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{BASE_COMMIT}^{{commit}}"])
    assert known.returncode == 0, f"base commit {BASE_COMMIT} missing: clone with full history"
    dest = tmp_path / "old"
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", BASE_COMMIT, "installer", "sql"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def _run_old_installer(old: Path, dsn: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PYTHONPATH"] = str(old / "installer")
    return subprocess.run([sys.executable, "-m", "pgrollup", "install", "--dsn", dsn, "--no-schedule"],
                          capture_output=True, text=True, env=env, cwd=str(old))


def test_upgrade_keeps_rollups_settings_and_grants(db, pg_cluster, tmp_path, cli):
    old = _old_tree(tmp_path)
    with db.connect() as conn:
        conn.execute(ms.source_ddl())
        rs.create_source(conn)
    res = _run_old_installer(old, db.dsn)
    assert res.returncode == 0, res.stderr
    old_version = db.scalar("SELECT pgrollup.version()")
    mixed_workload(db.connect())
    bi = f"{db.name}_bi"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {bi} LOGIN IN ROLE pgrollup_reader")
    try:
        with db.connect() as conn:
            conn.execute(f"GRANT SELECT ON pgrollup.metrics_tenant_daily TO {bi}")     # a DBA's own grant
            conn.execute("UPDATE pgrollup.alert_thresholds SET failures_warning = 2 WHERE module = '*'")
            before = {
                "rollups": conn.execute("SELECT * FROM pgrollup.reporting_events_rollups ORDER BY 1, 2, 3, 4, 5").fetchall(),
                "tenant": conn.execute("SELECT * FROM pgrollup.metrics_tenant_daily ORDER BY 1, 2").fetchall(),
                "message": conn.execute("SELECT * FROM pgrollup.metrics_message ORDER BY 1").fetchall(),
            }
        res = cli("install", "--dsn", db.dsn, "--no-schedule")
        assert res.returncode == 0, res.stderr
        with db.connect() as conn:
            assert conn.execute("SELECT pgrollup.version()").fetchone()[0] != old_version or \
                old_version == __import__("pgrollup").__version__
            after = {
                "rollups": conn.execute("SELECT * FROM pgrollup.reporting_events_rollups ORDER BY 1, 2, 3, 4, 5").fetchall(),
                "tenant": conn.execute("SELECT * FROM pgrollup.metrics_tenant_daily ORDER BY 1, 2").fetchall(),
                "message": conn.execute("SELECT * FROM pgrollup.metrics_message ORDER BY 1").fetchall(),
            }
            assert after == before
            assert conn.execute("SELECT failures_warning FROM pgrollup.alert_thresholds WHERE module = '*'").fetchone()[0] == 2
            assert conn.execute("SELECT timezone FROM pgrollup_internal.reporting_accounts WHERE account_id = 1").fetchone()[0] \
                == "Asia/Kolkata"
        with db.connect(user=bi) as conn:                       # grants survived
            conn.execute("SELECT * FROM pgrollup.metrics_tenant_daily").fetchall()
            conn.execute("SELECT * FROM pgrollup.report_summary(1, '2026-03-01', '2026-04-01')").fetchall()
        with db.connect() as conn:                              # and the engine still works exactly
            mixed_workload(conn, offset=5000)
            assert rs.rollup_mismatches(conn) == []
            ms.assert_exact(conn)
    finally:
        with db.connect() as conn:
            conn.execute(f"DROP OWNED BY {bi}")
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"DROP ROLE {bi}")

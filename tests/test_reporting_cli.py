"""Reporting module: the command line (backfill with plan and progress, timezone) and the demo data."""
from __future__ import annotations

import reporting_support as rs


def _load(db):
    rs.setup(db)
    with db.connect() as conn:
        conn.execute("""INSERT INTO reporting_events (name, value, account_id, user_id, inbox_id, conversation_id, created_at, updated_at)
            SELECT (ARRAY['conversation_resolved','reply_time','conversation_bot_handoff'])[1 + i % 3], i, 1, i % 4, i % 2, i % 9,
                   timestamp '2024-01-01' + i * interval '1 hour', now()
              FROM generate_series(0, 24 * 70 - 1) i""")


def test_timezone_command_validates_and_restates(db, cli):
    _load(db)
    r = cli("timezone", "--dsn", db.dsn, "--account", "1", "IST")
    assert r.returncode == 1 and "IST" in r.stderr and "Traceback" not in r.stderr
    r = cli("timezone", "--dsn", db.dsn, "--account", "1", "america/new_york")
    assert r.returncode == 0, r.stderr
    assert "America/New_York" in r.stdout and "1,680 registered events" in r.stdout
    with db.connect() as conn:
        assert rs.rollup_mismatches(conn) == []
    r = cli("timezone", "--dsn", db.dsn, "--account", "1", "America/New_York")
    assert "nothing to restate" in r.stdout
    r = cli("timezone", "--dsn", db.dsn, "--account", "1", "none")
    assert r.returncode == 0 and db.scalar("SELECT count(*) FROM pgrollup.reporting_events_rollups") == 0


def test_backfill_command_plan_dry_run_progress(db, cli):
    _load(db)
    r = cli("backfill", "--dsn", db.dsn, "--module", "reporting")
    assert r.returncode == 1 and "--account" in r.stderr
    r = cli("backfill", "--dsn", db.dsn, "--module", "reporting", "--account", "1")
    assert r.returncode == 1 and "no reporting timezone" in r.stderr and "Traceback" not in r.stderr
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        conn.execute("UPDATE pgrollup_internal.reporting_daily_rollups SET count = 0")      # damage
    r = cli("backfill", "--dsn", db.dsn, "--module", "reporting", "--account", "1", "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "plan: account 1 (Asia/Kolkata): local days 2024-01-01 .. 2024-03-11 (71 days)" in r.stdout
    assert "dry run" in r.stdout
    assert db.scalar("SELECT max(count) FROM pgrollup_internal.reporting_daily_rollups") == 0
    r = cli("backfill", "--dsn", db.dsn, "--module", "reporting", "--account", "1", "--from", "2024-01-15")
    assert r.returncode == 0, r.stderr
    assert "3 months, each atomic" in r.stdout
    assert db.scalar("SELECT count(*) FROM pgrollup_internal.reporting_daily_rollups WHERE count = 0 AND date >= '2024-01-15'") == 0
    assert db.scalar("SELECT count(*) FROM pgrollup_internal.reporting_daily_rollups WHERE count = 0 AND date < '2024-01-15'") > 0
    r = cli("backfill", "--dsn", db.dsn, "--module", "reporting", "--account", "1",
            "--from", "2020-01-01", "--to", "2024-03-31", "--dry-run")
    assert "warning" in r.stderr and "more than 730" in r.stderr


def test_demo_data_and_summary(db):
    from rich.console import Console

    from pgrollup.demo import reporting as demo
    with db.connect() as conn:
        demo.setup(conn)
    db.install(modules=["reporting"])
    with db.connect() as conn:
        demo.after_install(conn)
        assert rs.rollup_mismatches(conn) == []
        console = Console(record=True, width=160)
        demo.show(conn, console)
        text = console.export_text()
        assert "rollup" in text and "raw" in text

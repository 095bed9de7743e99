"""messaging: ``pgrollup backfill --module messaging`` (plan, dry run, progress) and the demo data
and dashboards."""
from __future__ import annotations

import io

from rich.console import Console

from pgrollup.demo import messaging as demo

from messaging_support import Workload, assert_exact, create_sources, random_ops


def _prepared(db):
    import random
    create_sources(db)
    db.install(modules=["messaging"])
    with db.connect() as conn:
        w = Workload(conn)
        for op in random_ops(random.Random(11), 60):
            w.apply(op)
        conn.execute("SELECT pgrollup.refresh('messaging')")
        conn.execute("UPDATE pgrollup.message_event_metrics SET metric = 'clicks' WHERE event_type = 'open'")
        conn.execute("DELETE FROM pgrollup.message_event_metrics WHERE event_type = 'delivered'")


def test_backfill_dry_run_then_real(db, cli):
    _prepared(db)
    state = db.rows("SELECT * FROM pgrollup.metrics_tenant_daily ORDER BY 1, 2")
    res = cli("backfill", "--module", "messaging", "--tenant", "1", "--from", "2024-03-09", "--to", "2024-03-12",
              "--dry-run", "--dsn", db.dsn)
    assert res.returncode == 0, res.stderr
    assert "dry run: nothing was changed" in res.stdout
    assert " to restate" in res.stdout
    assert db.rows("SELECT * FROM pgrollup.metrics_tenant_daily ORDER BY 1, 2") == state
    res = cli("backfill", "--module", "messaging", "--dsn", db.dsn)
    assert res.returncode == 0, res.stderr
    assert "restated" in res.stdout
    with db.connect() as conn:
        assert_exact(conn)


def test_backfill_errors_are_one_line(db, cli):
    res = cli("backfill", "--module", "messaging", "--from", "2024-03-09", "--to", "2024-03-01", "--dsn", db.dsn)
    assert res.returncode != 0 and "Traceback" not in res.stderr and "--from" in res.stderr
    res = cli("backfill", "--module", "messaging", "--dsn", db.dsn)      # not installed
    assert res.returncode != 0 and "Traceback" not in res.stderr and "install" in res.stderr


def test_demo_dataset_and_dashboards(db):
    with db.connect() as conn:
        demo.setup(conn)
        assert conn.execute("SELECT count(*) FROM outbound_messages").fetchone()[0] >= 5000
        db.install(modules=["messaging"])
        demo.after_install(conn)
        conn.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(conn)
        buf = io.StringIO()
        demo.show(conn, Console(file=buf, width=160))
        out = buf.getvalue()
        assert "Campaigns of Chai & Co" in out and "Daily trend" in out and "running" in out

"""messaging: concurrent writers while refreshes (waiting and not waiting) and backfills race them;
writers never wait on each other on pgrollup's account; an error injected mid-refresh leaves the
rollups and the change log as they were and is recorded."""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest

from messaging_support import WRITE_OPS, Workload, assert_exact, create_sources, diff_views, random_ops

VIEWS = ("metrics_contact_hourly", "metrics_campaign_daily", "metrics_tenant_daily", "metrics_message")


@pytest.mark.parametrize("variant", [dict(ts="timestamptz", ids="bigint"),
                                     dict(ts="timestamp", ids="integer", partitioned=True)],
                         ids=["plain", "partitioned"])
def test_concurrent_writers_refreshes_and_backfills(db, variant):
    create_sources(db, **variant)
    db.install(modules=["messaging"])
    stop = threading.Event()
    errors = []
    counts = {"writes": 0, "refreshes": 0, "backfills": 0}

    def writer(tenant):
        rng = random.Random(tenant)
        try:
            with db.connect() as conn:
                w = Workload(conn, tenants=(tenant,))
                while not stop.is_set():
                    for op in random_ops(rng, 5, WRITE_OPS):
                        if rng.random() < 0.3:      # some multi-statement transactions
                            with conn.transaction():
                                w.apply(op)
                                w.apply(("ev", op[1], op[2] + 1, op[3]))
                        else:
                            w.apply(op)
                        counts["writes"] += 1
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(f"writer {tenant}: {exc!r}")

    def refresher(wait):
        try:
            with db.connect() as conn:
                while not stop.is_set():
                    rows = conn.execute("SELECT status FROM pgrollup.refresh('messaging', %s)", (wait,)).fetchall()
                    assert rows[0][0] in ("ok", "skipped"), rows
                    counts["refreshes"] += 1
                    time.sleep(0.05)
        except Exception as exc:  # pragma: no cover
            errors.append(f"refresher: {exc!r}")

    def backfiller():
        rng = random.Random(99)
        try:
            with db.connect() as conn:
                w = Workload(conn)
                while not stop.is_set():
                    w.apply(("backfill", rng.randrange(1000), rng.randrange(1000), rng.randrange(1000)))
                    if rng.random() < 0.3:
                        w.apply(("tz", rng.randrange(1000), rng.randrange(1000), 0))
                    counts["backfills"] += 1
                    time.sleep(0.1)
        except Exception as exc:  # pragma: no cover
            errors.append(f"backfiller: {exc!r}")

    threads = [threading.Thread(target=writer, args=(t,)) for t in (1, 2, 3, 4)]
    threads += [threading.Thread(target=refresher, args=(True,)), threading.Thread(target=refresher, args=(False,)),
                threading.Thread(target=backfiller)]
    for t in threads:
        t.start()
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert counts["writes"] > 50 and counts["refreshes"] > 5 and counts["backfills"] > 2, counts
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(conn)
        assert conn.execute("SELECT count(*) FROM pgrollup.refresh_runs WHERE status = 'failed'").fetchone()[0] == 0


def test_writers_do_not_wait_on_each_other(db):
    create_sources(db)
    db.install(modules=["messaging"])
    with db.connect() as a, db.connect() as b:
        a.execute("BEGIN")
        a.execute("INSERT INTO outbound_messages (tenant_id, contact_id, channel, sent_at) VALUES (1, 1, 'sms', now())")
        a.execute("UPDATE outbound_messages SET sent_at = now()")
        b.execute("SET lock_timeout = '1s'")
        b.execute("INSERT INTO outbound_messages (tenant_id, contact_id, channel, sent_at) VALUES (1, 1, 'sms', now())")
        b.execute("INSERT INTO message_events (tenant_id, message_id, event_type, occurred_at) VALUES (1, 1, 'open', now())")
        # a refresh does not wait for the open transaction either, and leaves its change for later
        b.execute("SELECT pgrollup.refresh('messaging')")
        a.execute("COMMIT")
        assert b.execute("SELECT pending_changes FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()[0] >= 1
        b.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(b)


def _snapshot(conn):
    return {v: sorted(map(str, conn.execute(f"SELECT * FROM pgrollup.{v}").fetchall())) for v in VIEWS}


@pytest.mark.parametrize("mode", ["incremental", "materialized_view"])
def test_failed_refresh_changes_nothing_and_is_recorded(db, mode):
    create_sources(db)
    db.install(modules=["messaging"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_messaging_mode(%s)", (mode,))
        w = Workload(conn)
        for op in random_ops(random.Random(5), 60):
            w.apply(op)
        conn.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(conn)
        for op in random_ops(random.Random(6), 40):
            w.apply(op)
        before = _snapshot(conn)
        log_before = conn.execute("SELECT count(*), md5(string_agg(c::text, ',' ORDER BY c::text)) FROM pgrollup_internal.msg_changes AS c").fetchone()
        # an error in the middle of the refresh: a trigger on an internal table that raises
        conn.execute("""
            CREATE FUNCTION pg_temp.boom() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$""")
        target = "pgrollup_internal.msg_tenant_daily" if mode == "incremental" else "pgrollup_internal.msg_mv_campaign_daily"
        if mode == "incremental":
            conn.execute(f"CREATE TRIGGER boom BEFORE INSERT OR UPDATE OR DELETE ON {target} FOR EACH ROW EXECUTE FUNCTION pg_temp.boom()")
        else:
            # materialized views take no triggers: a tenant zone the server does not know makes the
            # reference query fail inside REFRESH MATERIALIZED VIEW
            conn.execute("INSERT INTO pgrollup_internal.msg_tenants (tenant_id, timezone) VALUES (999, 'Not/AZone')")
            conn.execute("INSERT INTO outbound_messages (tenant_id, contact_id, channel, sent_at) VALUES (999, 1, 'sms', now())")
        rows = conn.execute("SELECT module, status, changes_applied FROM pgrollup.refresh('messaging')").fetchall()
        assert rows == [("messaging", "failed", 0)]
        if mode == "incremental":
            assert _snapshot(conn) == before
            assert conn.execute("SELECT count(*), md5(string_agg(c::text, ',' ORDER BY c::text)) FROM pgrollup_internal.msg_changes AS c").fetchone() == log_before
        err = conn.execute("SELECT status, error FROM pgrollup.refresh_runs WHERE module = 'messaging' ORDER BY run_id DESC LIMIT 1").fetchone()
        assert err[0] == "failed" and err[1]
        if mode == "incremental":
            assert "injected failure" in err[1]
        h = conn.execute("SELECT last_status, alert_level, failures_24h FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()
        assert h[0] == "failed" and h[1] in ("warning", "critical") and h[2] == 1
        # fixed: the next refresh retries and catches up
        if mode == "incremental":
            conn.execute(f"DROP TRIGGER boom ON {target}")
        else:
            conn.execute("DELETE FROM pgrollup_internal.msg_tenants WHERE timezone = 'Not/AZone'")
        assert conn.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
        assert diff_views(conn) == []



@pytest.mark.slow
def test_pg_cron_job_keeps_messaging_current(db, cli):
    create_sources(db)
    db.install(modules=["messaging"])
    with db.connect() as conn:
        w = Workload(conn)
        for op in random_ops(random.Random(8), 50):
            w.apply(op)
        conn.execute("SELECT pgrollup.set_tenant_timezone(2, 'Pacific/Chatham')")
    res = cli("schedule", "--dsn", db.dsn, "--cron", "* * * * *")
    assert res.returncode == 0, res.stderr
    deadline = time.monotonic() + 80
    with db.connect() as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT pending_changes FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()[0] == 0:
                break
            time.sleep(2)
        assert conn.execute("SELECT count(*) FROM pgrollup.refresh_runs WHERE module = 'messaging' AND status = 'ok'").fetchone()[0] >= 1
        assert_exact(conn)
    cli("unschedule", "--dsn", db.dsn)

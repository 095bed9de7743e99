"""Reporting on Citus (coordinator + 2 workers): with reporting_events distributed by account_id
(before install, or by the application after it and then pgrollup install again), the per-account
tables become distributed tables colocated with it and the settings reference tables; the
row-level capture trigger fires next to each shard, the refresh runs on each worker against its
own shards, zone changes, backfills and reads work from the coordinator, and every read equals its
reference query, through a shard move under writes, a worker down, and the single-node property
tests; the pg_cron jobs on the coordinator refresh every worker."""
from __future__ import annotations

import random
import threading
import time
import uuid

import psycopg
import pytest
from hypothesis import given, settings, strategies as st

import reporting_support as rs
import test_reporting_properties as props
import citus_support
from citus_support import citus  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

NAMES = rs.NAMES


def _events(rnd, n, accounts, day):
    return [(rnd.choice(NAMES), rnd.choice([None, rnd.random() * 3600]), rnd.random() * 1800, rnd.choice(accounts),
             rnd.choice([None, 1, 2, 3]), rnd.choice([None, 1, 2, 3, 4]), rnd.choice([None] + list(range(1, 15))),
             f"{day} {rnd.randrange(24):02d}:{rnd.randrange(60):02d}:00") for _ in range(n)]


def _insert(conn, rows):
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO public.reporting_events (name, value, value_in_business_hours, account_id, "
                        "inbox_id, user_id, conversation_id, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)

def _source_db(citus, distributed=True):  # noqa: F811
    """A new database of the cluster with reporting_events (primary key (account_id, id), as Citus
    needs), distributed by account_id unless told otherwise; returns its DSN."""
    dsn = citus.create_database("r_" + uuid.uuid4().hex[:10])
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(rs.SOURCE_DDL.format(schema="public", ts="timestamp"))
        c.execute("ALTER TABLE public.reporting_events DROP CONSTRAINT reporting_events_pkey")
        c.execute("ALTER TABLE public.reporting_events ADD PRIMARY KEY (account_id, id)")
        if distributed:
            c.execute("SELECT create_distributed_table('public.reporting_events', 'account_id')")
    return dsn



def test_reporting_follows_reporting_events_distributed_after_install(citus, cli):  # noqa: F811
    rnd = random.Random(11)
    dsn = _source_db(citus, distributed=False)
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "reporting")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        for account, zone in [(1, "Asia/Kolkata"), (2, "America/New_York"), (3, "UTC")]:
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, zone))
        _insert(c, _events(rnd, 300, [1, 2, 3, 4, 5, 6], "2026-11-02"))
        # the application moves to Citus
        c.execute("SET citus.enable_unsafe_triggers = on")
        c.execute("SELECT create_distributed_table('public.reporting_events', 'account_id')")
        c.execute("RESET citus.enable_unsafe_triggers")
        level, alert = c.execute("SELECT alert_level, alert FROM pgrollup.rollup_health "
                                 "WHERE module = 'reporting'").fetchone()
        assert level == "critical" and "re-run pgrollup install" in alert, alert
        _insert(c, _events(rnd, 20, [1, 2], "2026-11-02"))   # not captured until then
    # the repair health names: install again, then backfill what was written meanwhile
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "reporting")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT pgrollup_internal.reporting_citus_layout()")   # idempotent
        assert rs.rollup_mismatches(c) != []
        c.execute("SELECT pgrollup.backfill_reporting(1)")
        res = cli("backfill", "--dsn", dsn, "--module", "reporting", "--account", "2")
        assert res.returncode == 0, res.stderr
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT alert_level FROM pgrollup.rollup_health WHERE module = 'reporting'").fetchone()[0] != "critical"
        layout = dict(c.execute(
            "SELECT logicalrelid::regclass::text, CASE WHEN partmethod = 'h' THEN colocationid::text ELSE 'reference' END "
            "FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'pgrollup%' "
            "   OR logicalrelid = 'public.reporting_events'::regclass").fetchall())
        source_group = layout.pop("reporting_events")
        assert layout == {
            "pgrollup.event_metrics": "reference", "pgrollup_internal.reporting_accounts": "reference",
            **{f"pgrollup_internal.{t}": source_group for t in ("reporting_changes", "reporting_daily_rollups",
                                                                 "reporting_monthly_rollups", "reporting_handoffs",
                                                                 "reporting_handoff_repeats", "reporting_batch")}}
        # the public view keeps the contract's type and comment
        assert c.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attname = 'account_id' "
                         "AND attrelid = 'pgrollup.reporting_events_rollups'::regclass").fetchone()[0] == "bigint"
        assert c.execute("SELECT obj_description('pgrollup.reporting_events_rollups'::regclass, 'pg_class')").fetchone()[0]

        # writes of every kind on the shards, captured next to them; reads current before any refresh
        _insert(c, _events(rnd, 200, [1, 2, 3, 4, 5, 6], "2026-11-03"))
        _insert(c, _events(rnd, 50, [2], "2026-11-04"))
        c.execute("UPDATE public.reporting_events SET user_id = 4, created_at = created_at + interval '20 hours' "
                  "WHERE id % 5 = 0")
        c.execute("UPDATE public.reporting_events SET updated_at = now() WHERE id % 3 = 0")   # not a change
        c.execute("DELETE FROM public.reporting_events WHERE id % 7 = 0")
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] > 0
        assert rs.rollup_mismatches(c) == []

        # the refresh runs on each worker against its shards; nothing is left in the log
        status, applied = c.execute("SELECT status, changes_applied FROM pgrollup.refresh('reporting')").fetchone()
        assert status == "ok" and applied > 0
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 0
        assert rs.rollup_mismatches(c) == []
        worker_rows = c.execute("SELECT sum(result::bigint) FROM run_command_on_shards("
                                "'pgrollup_internal.reporting_daily_rollups', 'SELECT count(*) FROM %s')").fetchone()[0]
        assert worker_rows == c.execute("SELECT count(*) FROM pgrollup_internal.reporting_daily_rollups").fetchone()[0] > 0

        # zone changes (a half-hour zone, a removal) and the rollup read path, from the coordinator
        c.execute("SELECT pgrollup.set_reporting_timezone(4, 'Asia/Kathmandu')")
        c.execute("SELECT pgrollup.set_reporting_timezone(3, NULL)")
        c.execute("SELECT pgrollup.set_rollup_reads(1, true)")
        _insert(c, _events(rnd, 40, [1, 4], "2026-11-05"))
        assert rs.rollup_mismatches(c) == []
        for account in (1, 2, 4):
            for dim in ("account", "agent", "inbox"):
                got = rs.strip_source(rs.summary(c, account, "2026-11-01 00:00Z", "2026-11-08 00:00Z", dim))
                want = rs.reference_summary(c, account, "2026-11-01 00:00Z", "2026-11-08 00:00Z", dim)
                assert rs.rows_equal(got, want), (account, dim, got, want)
        assert c.execute("SELECT source FROM pgrollup.report_summary(1, '2026-11-01 00:00Z', '2026-11-08 00:00Z', "
                         "'account')").fetchone()[0] != "raw"
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert rs.rollup_mismatches(c) == []
        level = c.execute("SELECT alert_level FROM pgrollup.rollup_health WHERE module = 'reporting'").fetchone()[0]
        assert level != "critical"

        # the capture trigger disabled: health says so
        c.execute("SET citus.enable_unsafe_triggers = on")
        c.execute("ALTER TABLE public.reporting_events DISABLE TRIGGER pgrollup_reporting_insert")
        level, alert = c.execute("SELECT alert_level, alert FROM pgrollup.rollup_health "
                                 "WHERE module = 'reporting'").fetchone()
        assert level == "critical" and "pgrollup_reporting_insert" in alert
        _insert(c, _events(rnd, 30, [2], "2026-11-06"))   # not captured
        c.execute("ALTER TABLE public.reporting_events ENABLE TRIGGER pgrollup_reporting_insert")
        assert rs.rollup_mismatches(c) != []
        # the documented repair: a backfill of the account, from the coordinator
        c.execute("SELECT pgrollup.backfill_reporting(2)")
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert rs.rollup_mismatches(c) == []
        before = c.execute("SELECT count(*), sum(id) FROM public.reporting_events").fetchone()
    # uninstall leaves the distributed source as it was
    res = cli("uninstall", "--dsn", dsn, "--yes")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*), sum(id) FROM public.reporting_events").fetchone() == before
        assert c.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgrollup%'").fetchone()[0] == 0
        _insert(c, _events(rnd, 10, [1, 2], "2026-11-06"))


def _placement(c, account):
    return c.execute("SELECT s.shardid, p.nodename, p.nodeport FROM pg_dist_shard s JOIN pg_dist_shard_placement p "
                     "USING (shardid) WHERE s.shardid = get_shard_id_for_distribution_column('public.reporting_events', %s)",
                     (account,)).fetchone()


def test_install_into_distributed_reporting_events_routes_reads_and_survives_a_shard_move(citus, cli):  # noqa: F811
    """A fresh install into reporting_events already distributed by account_id, whatever the
    session's Citus settings: --dry-run says what Citus layout install makes; every read function
    for one account runs as single-shard statements (a multi-shard statement would fail here); the
    busiest account's shard moves to the other worker while writers insert into it, and every read
    equals its reference query afterwards."""
    rnd = random.Random(5)
    dsn = _source_db(citus)
    with psycopg.connect(dsn, autocommit=True) as c:
        _insert(c, _events(rnd, 200, [1, 2, 3], "2026-11-02"))
    env = {"PGOPTIONS": "-c citus.enable_unsafe_triggers=off"}
    res = cli("install", "--dsn", dsn, "--no-schedule", "--dry-run", env=env)
    assert res.returncode == 0, res.stderr
    assert "citus: reporting: reporting_events is distributed by account_id" in res.stdout, res.stdout
    res = cli("install", "--dsn", dsn, "--no-schedule", env=env)
    assert res.returncode == 0, res.stderr
    res = cli("install", "--dsn", dsn, "--no-schedule", env=env)   # a re-install keeps the layout
    assert res.returncode == 0, res.stderr
    for account, zone in [(1, "Asia/Kolkata"), (2, "America/St_Johns"), (3, "UTC")]:
        res = cli("timezone", "--dsn", dsn, "--account", str(account), zone)
        assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        assert sorted(r[0] for r in c.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.reporting_events'::regclass "
            "AND tgname LIKE 'pgrollup%' AND tgenabled = 'O'").fetchall()) == [
            "pgrollup_reporting_delete", "pgrollup_reporting_insert", "pgrollup_reporting_truncate",
            "pgrollup_reporting_update"]
        assert rs.rollup_mismatches(c) == []
        c.execute("SELECT pgrollup.set_rollup_reads(1, true)")
        _insert(c, _events(rnd, 100, [1, 2, 3], "2026-11-03"))
        # reads for one account: single-shard statements only, on the rollup path and on raw events
        c.execute("SET citus.multi_task_query_log_level = error")
        for account in (1, 2):
            for dim in ("account", "agent"):
                got = rs.strip_source(rs.summary(c, account, "2026-11-01 00:00Z", "2026-11-05 00:00Z", dim))
                want = rs.reference_summary(c, account, "2026-11-01 00:00Z", "2026-11-05 00:00Z", dim)
                assert rs.rows_equal(got, want), (account, dim, got, want)
            for metric in ("resolutions_count", "avg_first_response_time", "bot_handoffs_count"):
                zone = {1: "Asia/Kolkata", 2: "America/St_Johns"}[account]
                got = rs.strip_source(rs.timeseries(c, account, metric, "2026-11-01 00:00Z", "2026-11-05 00:00Z",
                                                    "day", zone))
                want = rs.reference_timeseries(c, account, metric, "2026-11-01 00:00Z", "2026-11-05 00:00Z", "day", zone)
                assert rs.rows_equal(got, want), (account, metric, got, want)
        c.execute("RESET citus.multi_task_query_log_level")

        # the busiest account's shard moves to the other worker while writers insert into it
        shard, host, port = _placement(c, 1)
        target = next(w for w in citus.workers if w.port != port)
        stop = threading.Event()
        errors = []

        def writer(seed):
            r = random.Random(seed)
            try:
                with psycopg.connect(dsn, autocommit=True) as w:
                    while not stop.is_set():
                        _insert(w, _events(r, 5, [1, 1, 1, 2], "2026-11-04"))
            except Exception as exc:  # noqa: BLE001 - any failure fails the test below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(s,)) for s in (1, 2)]
        for t in threads:
            t.start()
        try:
            time.sleep(1)
            c.execute("SELECT citus_move_shard_placement(%s, %s, %s, '127.0.0.1', %s, shard_transfer_mode => 'force_logical')",
                      (shard, host, port, target.port))
            assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
            time.sleep(1)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert errors == []
        assert _placement(c, 1)[2] == target.port
        assert c.execute("SELECT count(*) FROM public.reporting_events WHERE account_id = 1 "
                         "AND created_at >= '2026-11-04'").fetchone()[0] > 0
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert rs.rollup_mismatches(c) == []
        got = rs.strip_source(rs.summary(c, 1, "2026-11-01 00:00Z", "2026-11-06 00:00Z", "inbox"))
        assert rs.rows_equal(got, rs.reference_summary(c, 1, "2026-11-01 00:00Z", "2026-11-06 00:00Z", "inbox"))
    res = cli("status", "--dsn", dsn)
    assert res.returncode == 0, res.stdout + res.stderr
    # an application migration renames a column capture reads: writes go on, health says why
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("ALTER TABLE public.reporting_events RENAME COLUMN value_in_business_hours TO vbh")
        c.execute("INSERT INTO public.reporting_events (name, account_id, created_at) "
                  "VALUES ('conversation_resolved', 1, now())")
        level, alert = c.execute("SELECT alert_level, alert FROM pgrollup.rollup_health "
                                 "WHERE module = 'reporting'").fetchone()
        assert level == "critical" and "value_in_business_hours" in alert, alert


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_a_column_renamed_after_a_repeatable_read_snapshot_never_fails_a_write_on_a_shard(citus, cli, isolation):  # noqa: F811
    """A transaction whose snapshot on a worker predates a rename of a column capture reads, committed
    before its INSERT locks the shard (the transaction read only another table there): the shard
    trigger's own SQL is parsed against the new columns, so its column check must not read
    pg_attribute through that snapshot (it did, and the INSERT failed with 'column
    n.value_in_business_hours does not exist'). Without a migration, such a transaction's event is
    captured as usual; after it, health names the column."""
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    citus_support.assert_rename_after_snapshot_writes_through(
        dsn, isolation, colocate_with="public.reporting_events", key_type="integer",
        insert="INSERT INTO public.reporting_events (name, account_id, created_at) VALUES ('conversation_resolved', 1, now())",
        rename="ALTER TABLE public.reporting_events RENAME COLUMN value_in_business_hours TO vbh",
        log="pgrollup_internal.reporting_changes", module="reporting", named="value_in_business_hours")


def test_a_column_of_a_domain_over_an_accepted_type_is_captured_on_the_shards(citus, cli):  # noqa: F811
    """A column the shard trigger reads, retyped to a domain over an accepted type: writes are still
    captured at READ COMMITTED and REPEATABLE READ, and health finds no drift."""
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    insert = ("INSERT INTO public.reporting_events (name, account_id, user_id, created_at) "
              "VALUES ('conversation_resolved', 1, 7, now())")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE DOMAIN public.ident AS integer CHECK (VALUE > 0)")
        c.execute("ALTER TABLE public.reporting_events ALTER COLUMN user_id TYPE public.ident")
        c.execute(insert)
        c.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        c.execute(insert)
        c.execute("COMMIT")
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 2
        level, alert = c.execute("SELECT alert_level, alert FROM pgrollup.rollup_health WHERE module = 'reporting'").fetchone()
        assert level == "ok", alert


def test_a_worker_down_fails_the_refresh_loudly_and_the_next_one_catches_up(citus, cli):  # noqa: F811
    """With one worker stopped, rollup_health names it (critical, pending changes unknown) and the
    refresh fails, is recorded and leaves that worker's shards as they were while the other
    worker's shards advance; once it is back, the next refresh applies the rest exactly."""
    rnd = random.Random(8)
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    accounts = list(range(1, 13))
    with psycopg.connect(dsn, autocommit=True) as c:
        for a in accounts:
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, 'Asia/Kolkata')", (a,))
        _insert(c, _events(rnd, 300, accounts, "2026-11-02"))
        down = citus.workers[0]
        kept = [a for a in accounts if _placement(c, a)[2] != down.port]
        assert kept and len(kept) < len(accounts)
        pending_kept = c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes WHERE account_id = ANY(%s)",
                                 (kept,)).fetchone()[0]
        assert pending_kept > 0
        citus.pause(down)
        try:
            level, alert, pending = c.execute("SELECT alert_level, alert, pending_changes FROM pgrollup.rollup_health "
                                              "WHERE module = 'reporting'").fetchone()
            assert level == "critical" and f"Citus node 127.0.0.1:{down.port} (" in alert and "does not answer" in alert, alert
            assert pending is None
            status = c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0]
            assert status == "failed"
            error = c.execute("SELECT error FROM pgrollup.refresh_runs WHERE module = 'reporting' "
                              "ORDER BY run_id DESC LIMIT 1").fetchone()[0]
            assert f"127.0.0.1:{down.port}" in error, error
            # the other worker's shards were refreshed
            assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes WHERE account_id = ANY(%s)",
                             (kept,)).fetchone()[0] == 0
        finally:
            citus.resume(down)
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] > 0
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 0
        assert rs.rollup_mismatches(c) == []
        level, pending = c.execute("SELECT alert_level, pending_changes FROM pgrollup.rollup_health "
                                   "WHERE module = 'reporting'").fetchone()
        assert pending == 0 and level != "critical"


def test_bulk_statements_are_captured_once_per_shard_statement(citus, cli):  # noqa: F811
    """Capture on Citus is statement-level: Citus fires pgrollup's triggers with their transition
    tables on each shard a statement writes. A COPY and an INSERT ... SELECT of many rows, a
    multi-shard UPDATE and DELETE, and a colocated INSERT ... SELECT that Citus pushes down to the
    workers are all captured exactly; an UPDATE of columns reporting does not read logs nothing."""
    rnd = random.Random(41)
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    accounts = list(range(1, 9))
    with psycopg.connect(dsn, autocommit=True) as c:
        for a in accounts:
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (a, rnd.choice(["Asia/Kolkata", "UTC", "America/St_Johns"])))
        with c.cursor().copy("COPY public.reporting_events (name, value, value_in_business_hours, account_id, inbox_id, "
                             "user_id, conversation_id, created_at) FROM STDIN") as cp:
            for row in _events(rnd, 3000, accounts, "2026-11-02"):
                cp.write_row(row)
        c.execute("INSERT INTO public.reporting_events (name, value, account_id, user_id, conversation_id, created_at) "
                  "SELECT (%s::text[])[1 + g %% 4], g %% 500, 1 + g %% 8, g %% 3, g %% 40, "
                  "timestamp '2026-11-03' + g * interval '17 seconds' FROM generate_series(1, 3000) AS g", (NAMES[:4],))
        # one row per event until the refresh (each shard statement appended its own rows)
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 6000
        assert rs.rollup_mismatches(c) == []   # the view folds the log's tail in
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        c.execute("UPDATE public.reporting_events SET updated_at = updated_at + interval '1 second'")
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 0
        c.execute("UPDATE public.reporting_events SET value = coalesce(value, 0) + 3 WHERE id % 5 = 0")
        c.execute("DELETE FROM public.reporting_events WHERE id % 7 = 0")
        # colocated and pushed down: each worker runs INSERT INTO shard SELECT FROM shard
        c.execute("INSERT INTO public.reporting_events (name, value, account_id, inbox_id, created_at) "
                  "SELECT name, value, account_id, inbox_id, created_at + interval '1 day' "
                  "FROM public.reporting_events WHERE id % 3 = 0")
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 0
        assert rs.rollup_mismatches(c) == []


def test_inserts_take_a_static_branch_per_shard_and_split_shards_get_theirs(citus, cli):  # noqa: F811
    """Install writes one static INSERT branch per shard of reporting_events into the shard
    trigger's function (planned once per session and shard, no per-statement lookup of the log's
    colocated shard); an INSERT on a shard takes it and is logged. After a shard split the new
    shards take the general path until the next refresh writes their branches; every read equals
    its reference query throughout."""
    rnd = random.Random(43)
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    accounts = [1, 2, 3, 4, 5, 6]
    function = "SELECT pg_get_functiondef('pgrollup_internal.reporting_capture_shard()'::regprocedure)"
    shards = ("SELECT shardid FROM pg_dist_shard WHERE logicalrelid = 'public.reporting_events'::regclass "
              "ORDER BY shardid")
    columns = "id, name, value, account_id, user_id, created_at"
    with psycopg.connect(dsn, autocommit=True) as c:
        for a in accounts:
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (a, rnd.choice(["Asia/Kolkata", "UTC"])))
        body = c.execute(function).fetchone()[0]
        before = [r[0] for r in c.execute(shards)]
        assert all(f"reporting_events_{s}" in body for s in before)
        shardid = _placement(c, 1)[0]
        assert citus_support.shard_insert_takes_static_branch(citus, dsn, "public.reporting_events", shardid, columns,
                                                 "-1, 'conversation_resolved', 60, 1, 7, '2026-11-02 10:00'")
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 1
        _insert(c, _events(rnd, 120, accounts, "2026-11-02"))
        assert rs.rollup_mismatches(c) == []
        # split account 1's shard (and its colocated shards) in two on its node
        lo, hi, node = c.execute(
            "SELECT s.shardminvalue::bigint, s.shardmaxvalue::bigint, n.nodeid FROM pg_dist_shard s "
            "JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n ON n.groupid = p.groupid "
            "WHERE s.shardid = %s", (shardid,)).fetchone()
        c.execute("SELECT citus_split_shard_by_split_points(%s, ARRAY[%s], ARRAY[%s, %s], 'block_writes')",
                  (shardid, str((lo + hi) // 2), node, node))
        after = [r[0] for r in c.execute(shards)]
        added = sorted(set(after) - set(before))
        assert len(added) == 2 and shardid not in after
        assert not any(f"reporting_events_{s}" in c.execute(function).fetchone()[0] for s in added)
        new_shard = _placement(c, 1)[0]
        assert new_shard in added
        # the general path until the next refresh
        assert not citus_support.shard_insert_takes_static_branch(citus, dsn, "public.reporting_events", new_shard, columns,
                                                     "-2, 'first_response', 30, 1, 8, '2026-11-02 11:00'")
        # a bind that fails after a refresh is a WARNING, the function left as it was (here a bind
        # function that cannot run outside a trigger)
        notices = []
        c.add_notice_handler(lambda d: notices.append((d.severity_nonlocalized, d.message_primary)))
        assert c.execute("SELECT pgrollup_internal.citus_rebind_capture('reporting', "
                         "'pgrollup_internal.reporting_capture_shard()')").fetchone()[0] is False
        assert [n for n in notices if n[0] == "WARNING"
                and n[1].startswith("reporting: capture branches of new shards not written: ")], notices
        assert not any(f"reporting_events_{s}" in c.execute(function).fetchone()[0] for s in added)
        _insert(c, _events(rnd, 120, accounts, "2026-11-02"))
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert all(f"reporting_events_{s}" in c.execute(function).fetchone()[0] for s in added)
        assert citus_support.shard_insert_takes_static_branch(citus, dsn, "public.reporting_events", new_shard, columns,
                                                 "-3, 'first_response', 45, 1, 9, '2026-11-03 09:00'")
        _insert(c, _events(rnd, 120, accounts, "2026-11-03"))
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert rs.rollup_mismatches(c) == []


def test_truncate_of_the_distributed_source_empties_the_rollups(citus, cli):  # noqa: F811
    """TRUNCATE of a distributed reporting_events (every shard emptied by Citus) fires pgrollup's
    TRUNCATE trigger on the coordinator: the rollups and the change log are emptied in the same
    transaction, with pending changes and applied rollups alike; what is written afterwards is
    captured and applied exactly. A TRUNCATE that rolls back leaves everything as it was."""
    rnd = random.Random(21)
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.reporting_events'::regclass "
                         "AND tgname = 'pgrollup_reporting_truncate' AND tgenabled = 'O'").fetchone()[0] == 1
        for a in (1, 2, 3, 4):
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, 'Asia/Kolkata')", (a,))
        _insert(c, _events(rnd, 200, [1, 2, 3, 4], "2026-11-02"))
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        _insert(c, _events(rnd, 50, [1, 2, 3, 4], "2026-11-03"))   # pending at the TRUNCATE
        daily = c.execute("SELECT count(*) FROM pgrollup_internal.reporting_daily_rollups").fetchone()[0]
        assert daily > 0
        with c.transaction():
            c.execute("TRUNCATE public.reporting_events")
            assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_daily_rollups").fetchone()[0] == 0
            raise psycopg.Rollback()
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_daily_rollups").fetchone()[0] == daily
        c.execute("TRUNCATE public.reporting_events")
        for table in ("reporting_daily_rollups", "reporting_monthly_rollups", "reporting_handoffs",
                      "reporting_handoff_repeats", "reporting_changes"):
            assert c.execute(f"SELECT count(*) FROM pgrollup_internal.{table}").fetchone()[0] == 0, table
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT resolutions_count, bot_handoffs_count FROM pgrollup.report_summary("
                         "1, '2026-10-30', '2026-11-06')").fetchone() == (0, 0)
        _insert(c, _events(rnd, 80, [1, 2, 3, 4], "2026-11-04"))
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert rs.rollup_mismatches(c) == []
        assert c.execute("SELECT alert_level FROM pgrollup.rollup_health WHERE module = 'reporting'").fetchone()[0] == "ok"
    res = cli("uninstall", "--dsn", dsn, "--yes")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.reporting_events'::regclass "
                         "AND tgname LIKE 'pgrollup%'").fetchone()[0] == 0


def test_a_backfill_waits_for_a_node_refresh_left_running_by_its_coordinator(citus, cli):  # noqa: F811
    """A node refresh keeps running on its worker when the coordinator that started it is cancelled
    (the coordinator's module lock is gone by then). Simulated by running it on the worker in a
    transaction left open: a backfill of an account of that worker, from the coordinator, waits
    for it instead of interleaving with it, then leaves every rollup equal to the reference."""
    rnd = random.Random(31)
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        for a in (1, 2, 3, 4):
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, 'Asia/Kolkata')", (a,))
        _insert(c, _events(rnd, 200, [1, 2, 3, 4], "2026-11-02"))
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        _insert(c, _events(rnd, 200, [1, 2, 3, 4], "2026-11-03"))   # new buckets for the node refresh
        _, _, port = _placement(c, 1)
        worker = next(w for w in citus.workers if w.port == port)
        dbname = c.execute("SELECT current_database()").fetchone()[0]
        with psycopg.connect(worker.dsn(dbname)) as w:   # a transaction, left open
            out = w.execute("SELECT pgrollup_internal.reporting_refresh_node()").fetchone()[0]
            assert out["consumed"] > 0
            done = threading.Event()
            errors = []

            def backfill():
                try:
                    with psycopg.connect(dsn, autocommit=True) as b:
                        b.execute("SELECT pgrollup.backfill_reporting(1)")
                except Exception as e:   # noqa: BLE001  (reported below)
                    errors.append(e)
                finally:
                    done.set()

            t = threading.Thread(target=backfill)
            t.start()
            assert not done.wait(3), errors   # waits for the node refresh
            w.commit()
        t.join(60)
        assert done.is_set() and not errors, errors
        assert c.execute("SELECT status FROM pgrollup.refresh('reporting')").fetchone()[0] == "ok"
        assert rs.rollup_mismatches(c) == []


class _CitusDB:
    """A database of the Citus cluster holding a distributed reporting_events with pgrollup
    installed (the `rdb` of the property tests)."""

    def __init__(self, dsn):
        self.dsn = dsn

    def connect(self, autocommit=True, **kw):
        return psycopg.connect(self.dsn, autocommit=autocommit, **kw)


@pytest.fixture
def citus_rdb(citus, cli):  # noqa: F811
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    return _CitusDB(dsn)


# Citus does not let an UPDATE change the distribution column: no "account" update here
CITUS_OPS = props.op.filter(lambda o: not (o[0] == "update" and o[2] == "account"))


@settings(max_examples=30, **props.SETTINGS)
@given(zones=st.tuples(st.sampled_from(props.ZONES), st.sampled_from(props.ZONES + props.PATH_ONLY_ZONES)),
       ops=st.lists(CITUS_OPS, min_size=1, max_size=8))
def test_property_rollups_equal_reference_after_random_workloads_on_citus(citus_rdb, zones, ops):
    """The single-node property test (test_reporting_properties) on a coordinator + 2 workers."""
    props.test_rollups_equal_reference_after_random_workloads.hypothesis.inner_test(citus_rdb, zones, ops)


@settings(max_examples=30, **props.SETTINGS)
@given(zone=st.sampled_from(props.ZONES + props.PATH_ONLY_ZONES),
       events=st.lists(props.event, min_size=0, max_size=80),
       split=st.integers(0, 80), tail_changes=st.booleans(),
       queries=st.lists(props.query, min_size=1, max_size=6))
def test_property_reads_equal_reference_on_every_path_on_citus(citus_rdb, zone, events, split, tail_changes, queries):
    """The single-node read property test on a coordinator + 2 workers."""
    props.test_reads_equal_reference_on_every_path.hypothesis.inner_test(citus_rdb, zone, events, split, tail_changes,
                                                                           queries)


def test_the_pg_cron_jobs_on_the_coordinator_refresh_every_worker(citus, cli):  # noqa: F811
    """Installed with its pg_cron jobs (on the coordinator), the every-minute apply job refreshes
    the shards of every worker: the change log empties with no call of ours."""
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn)
    assert res.returncode == 0, res.stderr
    assert "applies the reporting change log every minute" in res.stdout, res.stdout
    with psycopg.connect(dsn, autocommit=True) as c:
        for a in (1, 2, 3, 4, 5):
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, 'Asia/Kolkata')", (a,))
        _insert(c, _events(random.Random(3), 60, [1, 2, 3, 4, 5], "2026-11-02"))
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] > 0
        deadline = time.monotonic() + 150
        last_run = ("SELECT status FROM pgrollup.refresh_runs WHERE module = 'reporting' "
                    "ORDER BY run_id DESC LIMIT 1")
        while time.monotonic() < deadline:
            # the workers' shards are refreshed (and committed) before the coordinator's run ends
            if (c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 0
                    and c.execute(last_run).fetchone()[0] != "running"):
                break
            time.sleep(2)
        assert c.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 0
        assert c.execute(last_run).fetchone()[0] == "ok"
        assert rs.rollup_mismatches(c) == []
    res = cli("uninstall", "--dsn", dsn, "--yes")   # the cluster's other tests share its pg_cron
    assert res.returncode == 0, res.stderr

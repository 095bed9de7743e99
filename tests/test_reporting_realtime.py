"""Reporting realtime mode: writers only append to the change log (no shared row, no lock, no
failure on what they write), reads are current at commit, refresh applies the log in batches,
backfills never block writers."""
from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest

import reporting_support as rs

NY = "America/New_York"
SINCE, UNTIL = "2024-01-01 00:00-05", "2024-02-01 00:00-05"   # local midnights in New York


@pytest.fixture
def rdb(db):
    rs.setup(db)
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
    return db


def ev(name, created_at, account=1, user=7, inbox=3, conv=100, value=None, bh=None):
    return dict(name=name, account_id=account, user_id=user, inbox_id=inbox, conversation_id=conv,
                value=value, value_in_business_hours=bh, created_at=created_at)


def pending(conn):
    return conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0]


def assert_reads_exact(conn):
    assert rs.rollup_mismatches(conn) == []
    for dim in ("account", "agent", "inbox"):
        got = rs.summary(conn, 1, SINCE, UNTIL, dim)
        assert {r[-1] for r in got} == {"rollup"}
        assert rs.rows_equal(rs.strip_source(got), rs.reference_summary(conn, 1, SINCE, UNTIL, dim)), dim
    for metric in rs.METRICS:
        for unit in ("day", "week", "month"):
            got = rs.timeseries(conn, 1, metric, SINCE, UNTIL, unit, NY)
            want = rs.reference_timeseries(conn, 1, metric, SINCE, UNTIL, unit, NY)
            assert rs.rows_equal(rs.strip_source(got), want), (metric, unit, got, want)


def test_reads_right_after_commit_fold_the_log(rdb):
    """Inserts, an update, a delete and handoffs still in the change log (no refresh) read exactly
    like the reference through the view, report_summary and report_timeseries; the applied rows
    were not touched by the writers."""
    with rdb.connect() as conn:
        rs.insert(conn, [ev("reply_time", f"2024-01-{d:02d} 15:00", value=d, bh=1, user=1 + d % 3, conv=d % 4)
                         for d in range(2, 20)]
                  + [ev("conversation_bot_handoff", f"2024-01-{d:02d} 16:00", conv=d % 3, user=1 + d % 2)
                     for d in range(2, 20)])
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        applied = conn.execute("SELECT count(*), sum(count) FROM pgrollup_internal.reporting_daily_rollups").fetchone()
        # the tail: new events, an update and a delete of applied events, handoffs added and removed
        rs.insert(conn, [ev("reply_time", "2024-01-05 18:00", value=100, user=9),
                         ev("conversation_resolved", "2024-01-06 18:00", value=50),
                         ev("conversation_bot_handoff", "2024-01-05 20:00", conv=42, user=1),
                         ev("conversation_bot_handoff", "2024-01-07 20:00", conv=1, user=2)])
        conn.execute("UPDATE reporting_events SET value = value + 1000, created_at = created_at + interval '1 day' "
                     "WHERE name = 'reply_time' AND created_at = '2024-01-10 15:00'")
        conn.execute("DELETE FROM reporting_events WHERE name = 'reply_time' AND created_at = '2024-01-11 15:00'")
        conn.execute("DELETE FROM reporting_events WHERE name = 'conversation_bot_handoff' "
                     "AND created_at IN ('2024-01-03 16:00', '2024-01-04 16:00')")
        conn.execute("UPDATE reporting_events SET conversation_id = 2 WHERE name = 'conversation_bot_handoff' "
                     "AND created_at = '2024-01-08 16:00'")
        assert pending(conn) > 0
        assert conn.execute("SELECT count(*), sum(count) FROM pgrollup_internal.reporting_daily_rollups").fetchone() == applied
        assert_reads_exact(conn)
        # a conversation handed off only in the log appears at once
        got = conn.execute("SELECT count FROM pgrollup.reporting_events_rollups WHERE account_id = 1 AND date = '2024-01-05' "
                           "AND dimension_type = 'account' AND metric = 'bot_handoffs_count'").fetchone()[0]
        assert got == 2
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert pending(conn) == 0
        assert_reads_exact(conn)


@pytest.mark.parametrize("isolation", ["REPEATABLE READ", "SERIALIZABLE"])
def test_concurrent_strict_isolation_writers_of_one_account_both_commit(rdb, isolation):
    a = rdb.connect(autocommit=False)
    b = rdb.connect(autocommit=False)
    try:
        for c in (a, b):
            c.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
            c.execute("SET lock_timeout = '5s'")
        rs.insert(a, [ev("reply_time", "2024-01-10 12:00", value=1)])
        rs.insert(b, [ev("reply_time", "2024-01-10 12:05", value=2)])
        a.commit()
        b.commit()
    finally:
        a.close()
        b.close()
    with rdb.connect() as conn:
        assert conn.execute("SELECT count FROM pgrollup.reporting_events_rollups WHERE dimension_type = 'account' "
                            "AND metric = 'reply_time'").fetchone()[0] == 2
        assert_reads_exact(conn)


def test_advisory_locks_of_other_roles_do_not_block_writers(rdb):
    with rdb.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS rep_nobody")
        conn.execute("CREATE ROLE rep_nobody LOGIN")
    try:
        with rdb.connect(user="rep_nobody") as other:
            # the keys the old write path took, shared and exclusive, plus the module key
            other.execute("SELECT pg_advisory_lock(1885827702, hashint8(1))")
            other.execute("SELECT pg_advisory_lock(1885827701, hashtext('reporting'))")
            other.execute("SELECT pg_advisory_lock(1885827703, k) FROM generate_series(0, 255) k")
            with rdb.connect() as app:
                app.execute("SET lock_timeout = '2s'")
                rs.insert(app, [ev("reply_time", "2024-01-10 12:00", value=1),
                                ev("conversation_bot_handoff", "2024-01-10 12:00", conv=5)])
                app.execute("UPDATE reporting_events SET value = 3 WHERE name = 'reply_time'")
                assert_reads_exact(app)
    finally:
        with rdb.connect() as conn:
            conn.execute("DROP ROLE rep_nobody")


def test_rows_without_account_created_at_or_name_are_set_aside(rdb):
    with rdb.connect() as conn:
        conn.execute("ALTER TABLE reporting_events ALTER COLUMN created_at DROP NOT NULL")
        conn.execute("SET lock_timeout = '2s'")
        rs.insert(conn, [ev("reply_time", None, value=1),                      # zoned account, no created_at
                         ev("reply_time", "2024-01-10 12:00", account=None, value=2),
                         dict(ev("reply_time", "2024-01-10 12:00", value=4), name=None),
                         ev("reply_time", "2024-01-10 12:00", value=8)])
        conn.execute("UPDATE reporting_events SET value = value + 1 WHERE account_id IS NULL OR created_at IS NULL")
        assert conn.execute("SELECT count(*) FROM reporting_events").fetchone()[0] == 4
        rows = conn.execute("SELECT sum_value FROM pgrollup.reporting_events_rollups WHERE dimension_type = 'account'").fetchall()
        assert rows == [(8.0,)]
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert pending(conn) == 0
        aside = dict(conn.execute("SELECT reason, rows FROM pgrollup_internal.rows_set_aside "
                                  "WHERE module = 'reporting'").fetchall())
        assert aside == {"reporting_events.created_at is NULL": 3, "reporting_events.account_id is NULL": 3}
        # the reference gives events without created_at a NULL date: those keys do not exist
        assert [m for m in rs.rollup_mismatches(conn) if m[0][1] is not None] == []
        assert rs.rows_equal(rs.strip_source(rs.summary(conn, 1, SINCE, UNTIL)),
                             rs.reference_summary(conn, 1, SINCE, UNTIL))
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        assert [m for m in rs.rollup_mismatches(conn) if m[0][1] is not None] == []


def test_renamed_column_never_fails_the_write_and_backfill_repairs(rdb):
    with rdb.connect() as conn:
        rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=1, bh=1)])
        conn.execute("ALTER TABLE reporting_events RENAME COLUMN value_in_business_hours TO vbh")
        conn.execute("INSERT INTO reporting_events (name, account_id, user_id, value, vbh, created_at) "
                     "VALUES ('reply_time', 1, 7, 5, 5, '2024-01-11 12:00'), ('reply_time', 2, 7, 5, 5, '2024-01-11 12:00')")
        conn.execute("UPDATE reporting_events SET value = 6 WHERE value = 5")
        conn.execute("DELETE FROM reporting_events WHERE account_id = 2")
        failures = conn.execute("SELECT relation, problem FROM pgrollup_internal.capture_failures "
                                "WHERE module = 'reporting'").fetchall()
        # recorded once per relation: the three statements above share one record
        assert len(failures) == 1
        assert all(r == "public.reporting_events" and "value_in_business_hours" in p for r, p in failures), failures
        conn.execute("ALTER TABLE reporting_events RENAME COLUMN vbh TO value_in_business_hours")
        assert rs.rollup_mismatches(conn) != []          # the statements above were not captured
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        assert rs.rollup_mismatches(conn) == []
        rs.insert(conn, [ev("reply_time", "2024-01-12 12:00", value=1)])
        assert_reads_exact(conn)


def test_backfill_concurrent_with_writers_never_blocks_them_and_stays_exact(rdb):
    with rdb.connect() as conn:
        conn.execute("""INSERT INTO reporting_events (name, account_id, user_id, inbox_id, conversation_id, value, created_at)
                        SELECT (ARRAY['reply_time', 'conversation_resolved', 'conversation_bot_handoff'])[1 + i % 3], 1,
                               i % 5, i % 3, i % 50, i, timestamp '2024-01-01' + i * interval '13 seconds'
                          FROM generate_series(1, 150000) i""")
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
    stop, errors, latencies, during = threading.Event(), [], [], []
    backfilling = threading.Event()

    def writer(seed):
        try:
            with rdb.connect() as c:
                c.execute("SET lock_timeout = '300ms'")
                i = 0
                while not stop.is_set():
                    i += 1
                    t0 = time.monotonic()
                    rs.insert(c, [ev(("reply_time", "conversation_bot_handoff")[i % 2],
                                     f"2024-01-{1 + (seed * 7 + i) % 28:02d} {i % 24:02d}:30", user=i % 4,
                                     conv=i % 60, value=i)])
                    if i % 5 == 0:
                        c.execute("DELETE FROM reporting_events WHERE id = (SELECT max(id) - 3 FROM reporting_events)")
                    latencies.append(time.monotonic() - t0)
                    if backfilling.is_set():
                        during.append(1)
        except Exception as exc:                    # noqa: BLE001 - reported by the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    with rdb.connect() as conn:
        backfilling.set()
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        conn.execute("SELECT pgrollup.backfill_reporting(1, '2024-01-05', '2024-01-20')")
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        backfilling.clear()
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(during) > 10 and max(latencies) < 2.0
    with rdb.connect() as conn:
        assert_reads_exact_tz = rs.rollup_mismatches(conn)
        assert assert_reads_exact_tz == []
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert rs.rollup_mismatches(conn) == []


def test_one_transaction_of_a_million_events_commits_and_refresh_applies_it_in_batches(rdb):
    """One INSERT ... SELECT of 1M registered events in one transaction (the benchmark runs 10M):
    the write needs no memory per row beyond the transition table, and refresh consumes the log
    in batches of heap blocks within one transaction."""
    n = 1_000_000
    with rdb.connect() as conn:
        conn.execute("SET lock_timeout = '5s'")
        conn.execute(f"""INSERT INTO reporting_events (name, account_id, user_id, inbox_id, conversation_id, value, created_at)
                         SELECT (ARRAY['reply_time', 'conversation_resolved', 'conversation_bot_handoff'])[1 + i % 3],
                                1 + i % 2, i % 5, i % 3, i % 1000, i % 100, timestamp '2024-01-01' + i * interval '1 second'
                           FROM generate_series(1, {n}) i""")
        assert pending(conn) == n
        blocks = conn.execute("SELECT pg_relation_size('pgrollup_internal.reporting_changes') / 8192").fetchone()[0]
        assert blocks > 3 * 1024                     # several batches of 1024 blocks
        got = rs.summary(conn, 1, "2024-01-02", "2024-01-09")
        assert rs.rows_equal(rs.strip_source(got), rs.reference_summary(conn, 1, "2024-01-02", "2024-01-09"))
        status, applied = conn.execute("SELECT status, changes_applied FROM pgrollup.refresh('reporting')").fetchone()
        assert (status, applied) == ("ok", n)
        assert pending(conn) == 0
        assert rs.rollup_mismatches(conn) == []
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_batch").fetchone()[0] == 0


def test_idle_refresh_is_a_cheap_no_op(rdb):
    with rdb.connect() as conn:
        rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=1)])
        conn.execute("SELECT * FROM pgrollup.refresh('reporting', false)")
        t0 = time.monotonic()
        for _ in range(20):
            assert conn.execute("SELECT status, changes_applied FROM pgrollup.refresh('reporting', false)").fetchone() == ("ok", 0)
        assert (time.monotonic() - t0) / 20 < 0.05
        assert conn.execute("SELECT mode, pending_changes, staleness FROM pgrollup.rollup_health "
                            "WHERE module = 'reporting'").fetchone() == ("realtime", 0, dt.timedelta(0))


def test_truncate_of_one_partition_restates_from_the_others(db):
    """TRUNCATE of one partition drops exactly that partition's events from the rollups (the
    partition's TRUNCATE trigger, created by attach, queues its slices; the next refresh restates
    them), while the tail written before it stays exact."""
    with db.connect() as conn:
        conn.execute("""CREATE TABLE reporting_events (
            id bigint GENERATED ALWAYS AS IDENTITY, name varchar, value double precision,
            value_in_business_hours double precision, account_id integer, inbox_id integer, user_id integer,
            conversation_id integer, event_start_time timestamp, event_end_time timestamp,
            created_at timestamp NOT NULL, updated_at timestamp NOT NULL DEFAULT now(),
            PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)""")
        conn.execute("CREATE TABLE re_jan PARTITION OF reporting_events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')")
        conn.execute("CREATE TABLE re_feb PARTITION OF reporting_events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')")
    db.install(modules=["reporting"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        rs.insert(conn, [ev("reply_time", f"2024-{m:02d}-{d:02d} 12:00", value=d, conv=d)
                         for m in (1, 2) for d in range(1, 28, 3)])
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        rs.insert(conn, [ev("conversation_bot_handoff", "2024-01-20 12:00"), ev("reply_time", "2024-02-20 12:00", value=1)])
        conn.execute("TRUNCATE re_jan")
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert rs.rollup_mismatches(conn) == []
        assert {r[0].month for r in conn.execute("SELECT date FROM pgrollup.reporting_events_rollups").fetchall()} == {2}

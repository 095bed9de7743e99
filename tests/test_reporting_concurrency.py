"""Reporting module under concurrency: writers, backfills and timezone changes racing must leave
the rollups exact: at commit (the change log folded into reads) and after refresh."""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest

import reporting_support as rs

HANDOFF = "conversation_bot_handoff"


@pytest.fixture
def rdb(db):
    rs.setup(db)
    return db


def test_same_conversation_handoff_from_two_sessions_counts_once(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
    a = rdb.connect(autocommit=False)
    b = rdb.connect(autocommit=False)
    row = dict(name=HANDOFF, account_id=1, user_id=5, inbox_id=2, conversation_id=42, created_at="2024-05-01 10:00")
    rs.insert(a, [row])                        # both uncommitted: neither blocks the other while writing
    rs.insert(b, [dict(row, user_id=6)])
    barrier = threading.Barrier(2)

    def commit(c):
        barrier.wait()
        c.commit()                             # a refresh later meets both on the presence key

    threads = [threading.Thread(target=commit, args=(c,)) for c in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    a.close()
    b.close()
    with rdb.connect() as conn:
        got = conn.execute("SELECT dimension_type, dimension_id, count FROM pgrollup.reporting_events_rollups "
                           "WHERE metric = 'bot_handoffs_count' ORDER BY 1, 2").fetchall()
        assert got == [("account", 1, 1), ("agent", 5, 1), ("agent", 6, 1), ("inbox", 2, 1)]
        assert rs.rollup_mismatches(conn) == []
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert rs.rollup_mismatches(conn) == []


def _writer(dsn, seed, stop, errors, counter):
    rnd = random.Random(seed)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not stop.is_set():
                k = rnd.random()
                if k < 0.75:
                    rows = [dict(name=rnd.choice(rs.NAMES), account_id=rnd.choice([1, 1, 2]),
                                 user_id=rnd.choice([None, 1, 2, 3]), inbox_id=rnd.choice([None, 1, 2]),
                                 conversation_id=rnd.choice([None, 1, 2, 3, 4]),
                                 value=rnd.choice([None, rnd.random() * 1000]), value_in_business_hours=rnd.random() * 10,
                                 created_at=f"2024-03-{rnd.randint(8, 12):02d} {rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}")
                            for _ in range(rnd.randint(1, 4))]
                    rs.insert(conn, rows)
                elif k < 0.9:
                    conn.execute("UPDATE reporting_events SET value = %s, user_id = %s WHERE id = "
                                 "(SELECT max(id) - %s FROM reporting_events)",
                                 (rnd.random() * 100, rnd.choice([None, 1, 2]), rnd.randint(0, 30)))
                else:
                    conn.execute("DELETE FROM reporting_events WHERE id = (SELECT max(id) - %s FROM reporting_events)",
                                 (rnd.randint(0, 30),))
                counter.append(1)
    except Exception as exc:                    # noqa: BLE001 - reported by the test
        errors.append(str(exc))


def _maintenance(dsn, seed, stop, errors, counter):
    rnd = random.Random(seed)
    zones = ["America/New_York", "Asia/Kolkata", "UTC", "Pacific/Chatham"]
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            while not stop.is_set():
                acc = rnd.choice([1, 2])
                if rnd.random() < 0.5:
                    conn.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (acc, rnd.choice(zones)))
                else:
                    d = rnd.randint(7, 12)
                    conn.execute("SELECT pgrollup.backfill_reporting(%s, %s, %s)",
                                 (acc, f"2024-03-{d:02d}", f"2024-03-{d + rnd.randint(0, 2):02d}"))
                if rnd.random() < 0.3:
                    conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
                counter.append(1)
                time.sleep(0.02)
    except Exception as exc:                    # noqa: BLE001
        errors.append(str(exc))


@pytest.mark.parametrize("refresh", [False, True])
def test_writers_backfills_and_zone_changes_race_then_exact(rdb, refresh):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'America/New_York')")
        conn.execute("SELECT pgrollup.set_reporting_timezone(2, 'Asia/Kolkata')")
    stop, errors, writes, maint = threading.Event(), [], [], []
    threads = [threading.Thread(target=_writer, args=(rdb.dsn, i, stop, errors, writes)) for i in range(4)]
    threads.append(threading.Thread(target=_maintenance, args=(rdb.dsn, 99, stop, errors, maint)))
    for t in threads:
        t.start()
    time.sleep(6)
    stop.set()
    for t in threads:
        t.join(30)
    assert errors == [], "\n\n".join(errors)
    assert len(writes) > 100 and len(maint) > 5
    with rdb.connect() as conn:
        if refresh:
            conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert conn.execute("SELECT count(*) FROM reporting_events").fetchone()[0] > 50
        assert rs.rollup_mismatches(conn) == []
        conn.execute("SELECT pgrollup.set_rollup_reads(a, true) FROM (VALUES (1), (2)) v(a)")
        for acc in (1, 2):
            tz = conn.execute("SELECT timezone FROM pgrollup_internal.reporting_accounts WHERE account_id = %s",
                              (acc,)).fetchone()[0]
            since = conn.execute("SELECT '2024-03-08'::timestamp AT TIME ZONE %s", (tz,)).fetchone()[0]
            until = conn.execute("SELECT '2024-03-13'::timestamp AT TIME ZONE %s", (tz,)).fetchone()[0]
            for dim in ("account", "agent", "inbox"):
                got = rs.summary(conn, acc, since, until, dim)
                assert {r[-1] for r in got} <= {"rollup"}
                assert rs.rows_equal(rs.strip_source(got), rs.reference_summary(conn, acc, since, until, dim))

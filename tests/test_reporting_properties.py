"""Reporting module: property-based differential tests. Random workloads (inserts, updates,
deletes, zone changes, backfills) must leave every rollup row equal to the reference query, and
every read function must give the reference answer on every path (rollup, hybrid, raw)."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, event as hevent, given, settings, strategies as st

import reporting_support as rs

UTC = dt.timezone.utc
BASE = dt.datetime(2024, 3, 1)          # 60 days: US, EU, Chatham, Lord Howe, Santiago DST changes
SPAN_MIN = 60 * 24 * 60
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham",
         "Australia/Lord_Howe", "America/Santiago", "Europe/London", "Asia/Kathmandu"]
PATH_ONLY_ZONES = ["America/Havana"]    # ambiguous local midnight: compared across paths only

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                      HealthCheck.too_slow, HealthCheck.data_too_large])

event = st.fixed_dictionaries(dict(
    name=st.sampled_from(rs.NAMES),
    account_id=st.sampled_from([1, 1, 2]),
    user_id=st.sampled_from([None, 1, 2, 3]),
    inbox_id=st.sampled_from([None, 1, 2]),
    conversation_id=st.sampled_from([None, 1, 2, 3, 4, 5]),
    value=st.one_of(st.none(), st.integers(0, 5000).map(float), st.floats(0, 1e5, allow_nan=False)),
    value_in_business_hours=st.one_of(st.none(), st.integers(0, 3000).map(float)),
    created_at=st.integers(0, SPAN_MIN).map(lambda m: BASE + dt.timedelta(minutes=m)),
))

op = st.one_of(
    st.tuples(st.just("insert"), st.lists(event, min_size=1, max_size=25)),
    st.tuples(st.just("update"), st.integers(0, 6), st.sampled_from(["value", "user", "shift", "name", "conv", "account"])),
    st.tuples(st.just("delete"), st.integers(0, 6)),
    st.tuples(st.just("zone"), st.sampled_from([1, 2]), st.sampled_from(ZONES + PATH_ONLY_ZONES + [None])),
    st.tuples(st.just("backfill"), st.sampled_from([1, 2]), st.integers(0, 59), st.integers(0, 20)),
    st.tuples(st.just("refresh")),
    st.tuples(st.just("txn"), st.lists(event, min_size=1, max_size=5), st.integers(0, 6), st.booleans()),
)

UPDATES = {
    "value": "value = coalesce(value, 0) + 7, value_in_business_hours = NULL",
    "user": "user_id = CASE WHEN user_id IS NULL THEN 2 ELSE NULL END",
    "shift": "created_at = created_at + interval '5 hours'",
    "name": "name = CASE name WHEN 'conversation_resolved' THEN 'conversation_bot_handoff' ELSE 'conversation_resolved' END",
    "conv": "conversation_id = (coalesce(conversation_id, 0) + 1) %% 4",
    "account": "account_id = 3 - account_id",
}


@pytest.fixture
def rdb(db):
    rs.setup(db)
    return db


def reset(conn):
    conn.execute("TRUNCATE reporting_events")
    conn.execute("SELECT pgrollup.set_reporting_timezone(a, NULL) FROM (VALUES (1), (2)) v(a)")


@settings(max_examples=100, **SETTINGS)
@given(zones=st.tuples(st.sampled_from(ZONES), st.sampled_from(ZONES + PATH_ONLY_ZONES)),
       ops=st.lists(op, min_size=1, max_size=8))
def test_rollups_equal_reference_after_random_workloads(rdb, zones, ops):
    with rdb.connect() as conn:
        reset(conn)
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (zones[0],))
        conn.execute("SELECT pgrollup.set_reporting_timezone(2, %s)", (zones[1],))
        for o in ops:
            kind = o[0]
            if kind == "insert":
                rs.insert(conn, o[1])
            elif kind == "update":
                conn.execute(f"UPDATE reporting_events SET {UPDATES[o[2]]} WHERE id %% 7 = %s", (o[1],))
            elif kind == "delete":
                conn.execute("DELETE FROM reporting_events WHERE id %% 7 = %s", (o[1],))
            elif kind == "zone":
                conn.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (o[1], o[2]))
            elif kind == "backfill":
                if conn.execute("SELECT timezone FROM pgrollup_internal.reporting_accounts WHERE account_id = %s",
                                (o[1],)).fetchone()[0]:
                    d0 = (BASE + dt.timedelta(days=o[2])).date()
                    conn.execute("SELECT pgrollup.backfill_reporting(%s, %s, %s)", (o[1], d0, d0 + dt.timedelta(days=o[3])))
            elif kind == "refresh":
                conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
            elif kind == "txn":                      # several statements, committed or rolled back
                with conn.transaction() as tx:
                    rs.insert(conn, o[1])
                    conn.execute("UPDATE reporting_events SET value = value + 1 WHERE id %% 7 = %s", (o[2],))
                    rs.insert(conn, o[1][:1])
                    if o[3]:
                        raise_rollback(tx)
        assert rs.rollup_mismatches(conn) == []     # current at commit: the log folded in
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 0
        assert rs.rollup_mismatches(conn) == []


def raise_rollback(tx):
    from psycopg import Rollback
    raise Rollback(tx)


def bound(conn, spec, zone):
    """A range bound: an arbitrary minute, or local midnight of a day in the account's zone."""
    kind, n = spec
    if kind == "minute":
        return (BASE + dt.timedelta(minutes=n)).replace(tzinfo=UTC)
    day = (BASE + dt.timedelta(days=n // 1440)).date()
    return conn.execute("SELECT %s::date::timestamp AT TIME ZONE %s", (day, zone)).fetchone()[0]


bound_spec = st.tuples(st.sampled_from(["minute", "midnight", "midnight"]), st.integers(-3000, SPAN_MIN + 3000))
query = st.fixed_dictionaries(dict(
    a=bound_spec, b=bound_spec,
    fn=st.sampled_from(["summary", "timeseries"]),
    dim=st.sampled_from(["account", "agent", "inbox"]),
    dim_id=st.sampled_from([None, None, 1, 2]),
    bh=st.booleans(),
    metric=st.sampled_from(rs.METRICS),
    unit=st.sampled_from(["hour", "day", "day", "week", "month", "year"]),
    tz=st.sampled_from(["account", "account", None, "UTC", "Asia/Kolkata"]),
))


@settings(max_examples=100, **SETTINGS)
@given(zone=st.sampled_from(ZONES + PATH_ONLY_ZONES),
       events=st.lists(event, min_size=0, max_size=80),
       split=st.integers(0, 80), tail_changes=st.booleans(),
       queries=st.lists(query, min_size=1, max_size=6))
def test_reads_equal_reference_on_every_path(rdb, zone, events, split, tail_changes, queries):
    """Events applied by a refresh and events still in the change log (inserts, and with
    tail_changes updates and deletes of applied events) read the same on every path."""
    with rdb.connect() as conn:
        reset(conn)
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (zone,))
        rs.insert(conn, events[:split])
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        rs.insert(conn, events[split:])
        if tail_changes:
            conn.execute("UPDATE reporting_events SET value = coalesce(value, 0) + 1, user_id = 3 - coalesce(user_id, 1), "
                         "conversation_id = (coalesce(conversation_id, 0) + 1) % 5 WHERE id % 3 = 0")
            conn.execute("DELETE FROM reporting_events WHERE id % 4 = 1")
        for q in queries:
            since, until = sorted([bound(conn, q["a"], zone), bound(conn, q["b"], zone)])
            if since == until:
                until = since + dt.timedelta(minutes=1)
            if q["unit"] == "hour" and until - since > dt.timedelta(days=20):
                until = since + dt.timedelta(days=20)
            results = {}
            for reads in (True, False):
                conn.execute("SELECT pgrollup.set_rollup_reads(1, %s)", (reads,))
                if q["fn"] == "summary":
                    results[reads] = rs.summary(conn, 1, since, until, q["dim"], q["bh"])
                else:
                    tz = zone if q["tz"] == "account" else q["tz"]
                    results[reads] = rs.timeseries(conn, 1, q["metric"], since, until, q["unit"], tz,
                                                   q["dim"], q["dim_id"], q["bh"])
            on, off = results[True], results[False]
            hevent(f"{q['fn']} path {on[0][-1] if on else 'none'}")
            assert {r[-1] for r in off} <= {"raw"}
            assert rs.rows_equal(rs.strip_source(on), rs.strip_source(off)), (q, since, until, on, off)
            if zone not in PATH_ONLY_ZONES:
                if q["fn"] == "summary":
                    want = rs.reference_summary(conn, 1, since, until, q["dim"], q["bh"])
                else:
                    tz = zone if q["tz"] in ("account", None) else q["tz"]
                    want = rs.reference_timeseries(conn, 1, q["metric"], since, until, q["unit"], tz,
                                                   q["dim"], q["dim_id"], q["bh"])
                assert rs.rows_equal(rs.strip_source(off), want), (q, since, until, off, want)


handoff = st.fixed_dictionaries(dict(
    name=st.just("conversation_bot_handoff"),
    account_id=st.just(1),
    user_id=st.sampled_from([None, 1, 2]),
    inbox_id=st.sampled_from([1, 2]),
    conversation_id=st.sampled_from([None, 1, 2, 3, 4]),
    value=st.none(),
    value_in_business_hours=st.none(),
    created_at=st.integers(0, SPAN_MIN).map(lambda m: BASE + dt.timedelta(minutes=m)),
))


@settings(max_examples=60, **SETTINGS)
@given(zone=st.sampled_from(ZONES),
       events=st.lists(handoff, min_size=1, max_size=60),
       deletes=st.lists(st.integers(0, 59), max_size=5),
       refresh_at=st.sampled_from(["never", "before deletes", "after deletes"]),
       ranges=st.lists(st.tuples(bound_spec, bound_spec, st.sampled_from(["account", "agent", "inbox"])),
                       min_size=1, max_size=6))
def test_distinct_handoffs_over_ranges_equal_reference(rdb, zone, events, deletes, refresh_at, ranges):
    """Conversations handed off on several days, in several dimensions, some deleted again: the
    distinct count of a summary over whole days (summed daily counts minus repeats), with partial
    edge days from raw events (counted only when absent from the whole days), is exact, also
    with handoffs (and deletions of applied ones) still in the change log."""
    with rdb.connect() as conn:
        reset(conn)
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (zone,))
        rs.insert(conn, events)
        if refresh_at == "before deletes":
            conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        for i in deletes:
            conn.execute("DELETE FROM reporting_events WHERE id = (SELECT id FROM reporting_events ORDER BY id "
                         "OFFSET %s LIMIT 1)", (i,))
        if refresh_at == "after deletes":
            conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert rs.rollup_mismatches(conn) == []
        for a, b, dim in ranges:
            since, until = sorted([bound(conn, a, zone), bound(conn, b, zone)])
            if since == until:
                until = since + dt.timedelta(minutes=1)
            conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
            on = rs.summary(conn, 1, since, until, dim)
            hevent(f"path {on[0][-1] if on else 'none'}")
            want = rs.reference_summary(conn, 1, since, until, dim)
            assert rs.rows_equal(rs.strip_source(on), want), (since, until, dim, on, want)

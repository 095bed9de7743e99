"""Reporting module: behaviour scenarios from the issue (write path, settings, backfill, reads)."""
from __future__ import annotations

import datetime as dt

import psycopg
import pytest

import reporting_support as rs

NY = "America/New_York"


@pytest.fixture
def rdb(db):
    rs.setup(db)
    return db


def ev(name, created_at, account=1, user=7, inbox=3, conv=100, value=None, bh=None):
    return dict(name=name, account_id=account, user_id=user, inbox_id=inbox, conversation_id=conv,
                value=value, value_in_business_hours=bh, created_at=created_at)


def rollups(conn, account=1):
    return conn.execute(
        "SELECT date::text, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours "
        "FROM pgrollup.reporting_events_rollups WHERE account_id = %s ORDER BY 1, 2, 3, 4", (account,)).fetchall()


def test_registry_installed(rdb):
    rows = rdb.rows("SELECT event_name, rollup_metric, payload_kind FROM pgrollup.event_metrics ORDER BY 1, 2")
    assert rows == [("conversation_bot_handoff", "bot_handoffs_count", "count"),
                    ("conversation_bot_resolved", "bot_resolutions_count", "count"),
                    ("conversation_resolved", "resolution_time", "duration"),
                    ("conversation_resolved", "resolutions_count", "count"),
                    ("first_response", "first_response", "duration"),
                    ("reply_time", "reply_time", "duration")]
    idx = {r[0] for r in rdb.rows("SELECT indexdef FROM pg_indexes WHERE schemaname = 'pgrollup_internal' "
                                   "AND tablename = 'reporting_daily_rollups'")}
    assert any("(account_id, metric, date)" in i for i in idx)
    assert any("(account_id, dimension_type, date)" in i for i in idx)


def test_no_zone_no_rows(rdb):
    with rdb.connect() as conn:
        rs.insert(conn, [ev("conversation_resolved", "2024-01-10 12:00", value=5)])
        assert rollups(conn) == []
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="no reporting timezone"):
            conn.execute("SELECT pgrollup.backfill_reporting(1)")


@pytest.mark.parametrize("zone", ["IST", "+05:30", "UTC+5", "", "Mars/Olympus"])
def test_invalid_zone_rejected(rdb, zone):
    with rdb.connect() as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_timezone"):
            conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (zone,))
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_accounts WHERE timezone IS NOT NULL").fetchone()[0] == 0


def test_four_utc_is_previous_day_in_new_york(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        rs.insert(conn, [ev("conversation_resolved", "2024-01-10 04:00", value=60, bh=30)])
        rows = rollups(conn)
        assert {r[0] for r in rows} == {"2024-01-09"}
        assert ("2024-01-09", "account", 1, "resolution_time", 1, 60.0, 30.0) in rows
        assert ("2024-01-09", "agent", 7, "resolutions_count", 1, 0.0, 0.0) in rows
        assert ("2024-01-09", "inbox", 3, "resolutions_count", 1, 0.0, 0.0) in rows
        assert rs.rollup_mismatches(conn) == []


def test_duplicates_increment_nulls_and_unknown(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
        rs.insert(conn, [ev("first_response", "2024-01-10 12:00", value=10, bh=4)] * 2)
        rs.insert(conn, [ev("first_response", "2024-01-10 13:00", value=None, bh=None, user=None, inbox=None)])
        rs.insert(conn, [ev("conversation_opened", "2024-01-10 13:00", value=99)])
        rows = rollups(conn)
        assert ("2024-01-10", "account", 1, "first_response", 3, 20.0, 8.0) in rows
        assert ("2024-01-10", "agent", 7, "first_response", 2, 20.0, 8.0) in rows
        assert ("2024-01-10", "inbox", 3, "first_response", 2, 20.0, 8.0) in rows
        assert not [r for r in rows if r[3] not in ("first_response",)]
        assert rs.rollup_mismatches(conn) == []


def test_update_and_delete_remove_zero_rows(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=10), ev("reply_time", "2024-01-11 12:00", value=20)])
        conn.execute("UPDATE reporting_events SET value = 15, user_id = 8 WHERE created_at = '2024-01-10 12:00'")
        assert rs.rollup_mismatches(conn) == []
        conn.execute("UPDATE reporting_events SET updated_at = now()")            # no relevant change
        conn.execute("UPDATE reporting_events SET created_at = created_at + interval '2 days'")
        assert rs.rollup_mismatches(conn) == []
        conn.execute("UPDATE reporting_events SET name = 'conversation_opened' WHERE value = 20")
        assert rs.rollup_mismatches(conn) == []
        conn.execute("DELETE FROM reporting_events")
        assert rollups(conn) == []
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_handoffs").fetchone()[0] == 0


def test_distinct_handoffs_per_day_and_range(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
        h = "conversation_bot_handoff"
        rs.insert(conn, [ev(h, "2024-01-10 15:00", conv=1), ev(h, "2024-01-10 16:00", conv=1),
                         ev(h, "2024-01-10 16:00", conv=2), ev(h, "2024-01-11 15:00", conv=1),
                         ev(h, "2024-01-11 15:00", conv=None), ev(h, "2024-01-12 15:00", conv=3, user=9)])
        counts = {r[0]: r[4] for r in rollups(conn) if r[1] == "account"}
        assert counts == {"2024-01-10": 2, "2024-01-11": 1, "2024-01-12": 1}
        assert rs.rollup_mismatches(conn) == []
        since, until = "2024-01-10 05:00+00", "2024-01-13 05:00+00"   # whole NY days
        for reads in (True, False):
            conn.execute("SELECT pgrollup.set_rollup_reads(1, %s)", (reads,))
            s = rs.summary(conn, 1, since, until)
            assert s[0][6] == 3 and s[0][7] == ("rollup" if reads else "raw")   # not 2+1+1
            ts = rs.timeseries(conn, 1, "bot_handoffs_count", since, until, "week")
            assert [r[2] for r in ts] == [3]
            agents = rs.summary(conn, 1, since, until, "agent")
            assert [(r[0], r[6]) for r in agents] == [(7, 2), (9, 1)]
        # deleting one of two handoffs of a conversation on a day keeps it; deleting both removes it
        conn.execute("DELETE FROM reporting_events WHERE conversation_id = 1 AND created_at = '2024-01-10 15:00'")
        assert rs.rollup_mismatches(conn) == []
        conn.execute("DELETE FROM reporting_events WHERE conversation_id = 1 AND created_at < '2024-01-11'")
        assert rs.rollup_mismatches(conn) == []


def test_zone_change_restates_and_null_removes(rdb):
    with rdb.connect() as conn:
        rs.insert(conn, [ev("conversation_resolved", "2024-01-10 04:00", value=1),
                         ev("conversation_bot_handoff", "2024-01-10 04:30", conv=5)])
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        assert {r[0] for r in rollups(conn)} == {"2024-01-09"}        # history built at once
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        assert {r[0] for r in rollups(conn)} == {"2024-01-10"}
        assert rs.rollup_mismatches(conn) == []
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, NULL)")
        assert rollups(conn) == []
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_handoffs").fetchone()[0] == 0
        rs.insert(conn, [ev("conversation_resolved", "2024-01-11 04:00", value=1)])
        assert rollups(conn) == []


def test_backfill_idempotent_and_ranged(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        rs.insert(conn, [ev("reply_time", f"2024-01-{d:02d} 12:00", value=d, conv=d) for d in range(1, 20)]
                  + [ev("conversation_bot_handoff", f"2024-01-{d:02d} 12:00", conv=d % 3) for d in range(1, 20)])
        before = rollups(conn)
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert rollups(conn) == before
        # damage some rows behind pgrollup's back, then rebuild only part of the range
        conn.execute("UPDATE pgrollup_internal.reporting_daily_rollups SET count = 999")
        n = conn.execute("SELECT pgrollup.backfill_reporting(1, '2024-01-05', '2024-01-07')").fetchone()[0]
        assert n > 0
        fixed = {r[0] for r in rollups(conn) if r[4] != 999}
        assert fixed == {"2024-01-05", "2024-01-06", "2024-01-07"}
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        assert rollups(conn) == before
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        assert rollups(conn) == before
        assert rs.rollup_mismatches(conn) == []
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_from"):
            conn.execute("SELECT pgrollup.backfill_reporting(1, '2024-02-01', '2024-01-01')")


def test_backfill_failure_keeps_old_rows(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
        rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=3)])
        before = rollups(conn)
        conn.execute("""CREATE FUNCTION public.boom() RETURNS trigger LANGUAGE plpgsql AS
                        $$BEGIN RAISE EXCEPTION 'boom'; END$$""")
        conn.execute("CREATE TRIGGER boom BEFORE INSERT ON pgrollup_internal.reporting_daily_rollups "
                     "FOR EACH ROW EXECUTE FUNCTION public.boom()")
        with pytest.raises(psycopg.errors.RaiseException, match="boom"):
            conn.execute("SELECT pgrollup.backfill_reporting(1)")
        assert rollups(conn) == before
        conn.execute("DROP TRIGGER boom ON pgrollup_internal.reporting_daily_rollups")


def test_bulk_statement_and_partitioned_timestamptz_source(db):
    with db.connect() as conn:
        conn.execute("CREATE SCHEMA app")
        conn.execute("""CREATE TABLE app.reporting_events (
            id bigint GENERATED ALWAYS AS IDENTITY, name varchar, value double precision,
            value_in_business_hours double precision, account_id bigint, inbox_id bigint, user_id bigint,
            conversation_id bigint, event_start_time timestamp, event_end_time timestamp,
            created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at)""")
        conn.execute("CREATE TABLE app.re_2024 PARTITION OF app.reporting_events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
    db.install(modules=["reporting"], source_schema="app")
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        conn.execute("SELECT pgrollup.set_reporting_timezone(2, 'America/St_Johns')")
        conn.execute("""INSERT INTO app.reporting_events (name, value, value_in_business_hours, account_id, inbox_id,
                                                            user_id, conversation_id, created_at)
            SELECT (ARRAY['conversation_resolved','first_response','reply_time','conversation_bot_resolved',
                          'conversation_bot_handoff','x'])[1 + i % 6], i % 97, i % 13, 1 + i % 3, i % 4, nullif(i % 5, 0),
                   i % 50, timestamptz '2024-03-01' + i * interval '7 minutes'
              FROM generate_series(1, 20000) i""")
        assert rs.rollup_mismatches(conn, schema="app") == []
        conn.execute("UPDATE app.reporting_events SET value = value + 1 WHERE id % 7 = 0")
        conn.execute("DELETE FROM app.reporting_events WHERE id % 11 = 0")
        assert rs.rollup_mismatches(conn, schema="app") == []


def test_reads_paths_and_arguments(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        rs.insert(conn, [ev("conversation_resolved", f"2024-03-{d:02d} {h:02d}:30", value=d * h, bh=h, conv=d)
                         for d in range(1, 20) for h in (0, 6, 13, 23)])
        since, until = "2024-03-02 05:00+00", "2024-03-12 04:00+00"     # whole NY days (DST on 03-10)
        raw = rs.summary(conn, 1, since, until)
        conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
        assert rs.summary(conn, 1, since, until)[0][-1] == "rollup"
        assert rs.rows_equal(rs.strip_source(rs.summary(conn, 1, since, until)), rs.strip_source(raw))
        assert rs.summary(conn, 1, "2024-03-02 06:00+00", until)[0][-1] == "hybrid"
        assert rs.summary(conn, 1, "2024-03-02 06:00+00", "2024-03-02 07:00+00")[0][-1] == "raw"
        assert rs.timeseries(conn, 1, "resolutions_count", since, until, "hour")[0][-1] == "raw"
        assert rs.timeseries(conn, 1, "resolutions_count", since, until, "day", "UTC")[0][-1] == "raw"
        assert rs.timeseries(conn, 1, "resolutions_count", since, until, "day", NY)[0][-1] == "rollup"
        # no events: exactly one account row with zeros and NULL averages
        assert rs.summary(conn, 1, "2030-01-01", "2030-01-02")[0][:7] == (1, 0, None, None, None, 0, 0)
        assert rs.summary(conn, 1, "2030-01-01", "2030-01-02", "agent") == []
        ts = rs.timeseries(conn, 1, "avg_resolution_time", "2030-01-01", "2030-01-04")
        assert [(r[1], r[2]) for r in ts] == [(0.0, 0)] * 4      # NY days overlapping 3 UTC days
        bad = [("SELECT * FROM pgrollup.report_summary(NULL, now(), now() + interval '1 day')", "p_account_id"),
               ("SELECT * FROM pgrollup.report_summary(1, now(), now())", "p_since"),
               ("SELECT * FROM pgrollup.report_summary(1, now(), now() + interval '1 day', 'team')", "p_dimension_type"),
               ("SELECT * FROM pgrollup.report_timeseries(1, 'nope', now(), now() + interval '1 day')", "p_metric"),
               ("SELECT * FROM pgrollup.report_timeseries(1, 'resolutions_count', now(), now() + interval '1 day', 'minute')", "p_group_by"),
               ("SELECT * FROM pgrollup.report_timeseries(1, 'resolutions_count', now(), now() + interval '1 day', 'day', 'IST')", "p_timezone"),
               ("SELECT * FROM pgrollup.report_timeseries(1, 'resolutions_count', now(), now() + interval '1 day', 'day', NULL, 'x')", "p_dimension_type")]
        for q, arg in bad:
            with pytest.raises(psycopg.errors.InvalidParameterValue, match=arg):
                conn.execute(q)


def test_whole_months_read_from_monthly_totals(rdb):
    """Reads over whole local months sum the monthly totals (plus daily rows for the partial months
    around them); writes, deletes, updates, backfills of part of a month and zone changes keep those
    totals equal to their daily rows, and every path gives the reference answer."""
    zone = "Pacific/Chatham"
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (zone,))
        conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
        rs.insert(conn, [ev(name, f"2024-{m:02d}-{d:02d} {h:02d}:10", user=1 + (d + h) % 3, inbox=1 + d % 2,
                            conv=(d * h) % 7, value=d * 60 + h, bh=h)
                         for m in (1, 2, 3, 4, 5) for d in (1, 2, 14, 27, 28) for h in (0, 11, 23)
                         for name in ("conversation_resolved", "reply_time", "conversation_bot_handoff")])
        # agent 9 only on days outside most ranges below: a month's total minus those days is 0 for it
        rs.insert(conn, [ev("reply_time", "2024-01-02 10:00", user=9, value=7),
                         ev("reply_time", "2024-05-28 10:00", user=9, value=8)])
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        months = conn.execute("SELECT count(DISTINCT month) FROM pgrollup_internal.reporting_monthly_rollups "
                              "WHERE account_id = 1").fetchone()[0]
        assert months >= 5
        assert rs.rollup_mismatches(conn) == []
        conn.execute("DELETE FROM public.reporting_events WHERE created_at::date = '2024-02-14'")
        conn.execute("UPDATE public.reporting_events SET value = value + 1, user_id = 2 "
                     "WHERE created_at::date = '2024-03-27'")
        conn.execute("UPDATE pgrollup_internal.reporting_monthly_rollups SET count = 999 WHERE month = '2024-04-01'")
        conn.execute("SELECT pgrollup.backfill_reporting(1, '2024-04-10', '2024-04-20')")   # restates all of April's totals
        assert rs.rollup_mismatches(conn) == []
        for since, until in [("2024-01-01", "2024-06-01"), ("2024-01-15", "2024-05-10"), ("2024-02-01", "2024-03-01"),
                             ("2023-12-31 10:00", "2024-04-30 13:37")]:
            since, until = (conn.execute("SELECT %s::timestamp AT TIME ZONE %s", (t, zone)).fetchone()[0]
                            for t in (since, until))
            for dim in ("account", "agent", "inbox"):
                on = rs.summary(conn, 1, since, until, dim, True)
                want = rs.reference_summary(conn, 1, since, until, dim, True)
                assert rs.rows_equal(rs.strip_source(on), want), (since, until, dim, on, want)
            for unit in ("month", "year", "week"):
                on = rs.timeseries(conn, 1, "avg_reply_time", since, until, unit, zone, "agent", 2)
                want = rs.reference_timeseries(conn, 1, "avg_reply_time", since, until, unit, zone, "agent", 2)
                assert rs.rows_equal(rs.strip_source(on), want), (since, until, unit, on, want)
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
        assert rs.rollup_mismatches(conn) == []
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, NULL)")
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_monthly_rollups").fetchone()[0] == 0


def test_one_statement_with_many_handed_off_conversations(rdb):
    """A bulk statement handing off 12,000 conversations on several days: the per-conversation locks of
    the handoff repeats stay within the lock table (hash buckets), and the counts are exact."""
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
        conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
        for day in ("2024-02-01", "2024-02-02"):
            conn.execute(f"""INSERT INTO reporting_events (name, account_id, user_id, inbox_id, conversation_id, created_at)
                             SELECT 'conversation_bot_handoff', 1, g % 50, g % 7, g, '{day} 10:00'::timestamp + g * interval '1 second'
                               FROM generate_series(1, 12000) g""")
        assert rs.rollup_mismatches(conn) == []
        got = rs.summary(conn, 1, "2024-02-01", "2024-02-03")
        assert got[0][6] == 12000 and got[0][-1] == "rollup"


def test_raw_path_uses_source_index(rdb):
    with rdb.connect() as conn:
        conn.execute("""INSERT INTO reporting_events (name, account_id, user_id, inbox_id, conversation_id, value, created_at, updated_at)
            SELECT 'reply_time', 1 + i % 50, i % 7, i % 3, i, i, timestamp '2023-01-01' + i * interval '3 minutes', now()
              FROM generate_series(1, 100000) i""")
        conn.execute("ANALYZE reporting_events")
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN SELECT e.* FROM reporting_events e WHERE e.account_id = 3 AND e.name = ANY (ARRAY['reply_time']) "
            "AND e.created_at >= timestamptz '2023-03-01' AND e.created_at < timestamptz '2023-03-05'").fetchall())
        assert "Index" in plan and "Seq Scan" not in plan
        # and the read function itself is fast on a narrow range
        t0 = dt.datetime.now()
        for _ in range(20):
            rs.summary(conn, 3, "2023-03-01", "2023-03-05")
        assert (dt.datetime.now() - t0).total_seconds() < 2


def test_realtime_mode_and_health(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
        rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=5)])
        assert rollups(conn) == [("2024-01-10", t, i, "reply_time", 1, 5.0, 0.0)
                                 for t, i in (("account", 1), ("agent", 7), ("inbox", 3))]
        mode, pending, stale = conn.execute("SELECT mode, pending_changes, staleness FROM pgrollup.rollup_health "
                                            "WHERE module = 'reporting'").fetchone()
        assert (mode, pending, stale) == ("realtime", 1, dt.timedelta(0))
        res = conn.execute("SELECT status, changes_applied FROM pgrollup.refresh('reporting')").fetchone()
        assert res == ("ok", 1)
        assert conn.execute("SELECT status, changes_applied FROM pgrollup.refresh('reporting')").fetchone() == ("ok", 0)
        assert rs.rollup_mismatches(conn) == []
        rs.insert(conn, [ev("reply_time", "2024-01-11 12:00", value=5)])
        conn.execute("SELECT pgrollup.backfill_reporting(1)")     # log rows contained in the backfill
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0] == 0
        assert rs.rollup_mismatches(conn) == []
        conn.execute("SELECT pgrollup.set_reporting_mode('realtime')")
        for gone in ("immediate", "deferred", "lazy"):
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_mode must be realtime"):
                conn.execute("SELECT pgrollup.set_reporting_mode(%s)", (gone,))


def test_truncate_clears(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
        rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=5)])
        conn.execute("TRUNCATE reporting_events")
        assert rollups(conn) == []


def test_install_names_missing_columns(db, cli):
    with db.connect() as conn:
        conn.execute("CREATE TABLE reporting_events (id bigserial PRIMARY KEY, name varchar, account_id integer, "
                     "created_at timestamp NOT NULL)")
    r = cli("install", "--dsn", db.dsn, "--module", "reporting", "--no-schedule")
    assert r.returncode != 0
    assert "value_in_business_hours" in r.stderr and "Traceback" not in r.stderr


def test_application_role_needs_no_grant_on_pgrollup(rdb):
    with rdb.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS rep_app")
        conn.execute("CREATE ROLE rep_app LOGIN")
        conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON reporting_events TO rep_app")
        conn.execute("GRANT USAGE ON SEQUENCE reporting_events_id_seq TO rep_app")
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, %s)", (NY,))
    try:
        with rdb.connect(user="rep_app") as app:
            rs.insert(app, [ev("conversation_bot_handoff", "2024-01-10 12:00", conv=9)])
            app.execute("UPDATE reporting_events SET conversation_id = 10")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute("SELECT * FROM pgrollup.report_summary(1, now() - interval '1 day', now())")
        with rdb.connect() as conn:
            assert rs.rollup_mismatches(conn) == []
            assert len(rollups(conn)) == 3
    finally:
        with rdb.connect() as conn:
            conn.execute("DROP OWNED BY rep_app")
            conn.execute("DROP ROLE rep_app")


def test_savepoints_and_rollbacks_keep_rollups_exact(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
    with rdb.connect(autocommit=False) as conn:
        rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=1)])
        try:
            with conn.transaction():
                rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=100)])
                raise RuntimeError("roll back the savepoint")
        except RuntimeError:
            pass
        with conn.transaction():
            rs.insert(conn, [ev("conversation_bot_handoff", "2024-01-10 12:00", conv=4)])
        conn.commit()
        rs.insert(conn, [ev("reply_time", "2024-01-11 12:00", value=7)])
        conn.rollback()
        try:
            with conn.transaction():
                rs.insert(conn, [ev("reply_time", "2024-01-12 12:00", value=8)])   # first buffered row of the txn
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        rs.insert(conn, [ev("reply_time", "2024-01-13 12:00", value=9)])
        conn.commit()
    with rdb.connect() as conn:
        assert rs.rollup_mismatches(conn) == []
        assert {r[0] for r in rollups(conn)} == {"2024-01-10", "2024-01-13"}
        conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
        assert rs.rollup_mismatches(conn) == []
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="p_until"):
            conn.execute("SELECT * FROM pgrollup.report_timeseries(1, 'avg_reply_time', now(), 'infinity')")


def test_write_then_backfill_in_one_transaction_counts_once(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
    for refresh in (False, True):
        with rdb.connect(autocommit=False) as conn:
            rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=1), ev("reply_time", "2024-02-10 12:00", value=2)])
            conn.execute("SELECT pgrollup.backfill_reporting(1, '2024-01-01', '2024-01-31')")
            conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
            rs.insert(conn, [ev("conversation_bot_handoff", "2024-01-11 12:00", conv=3)])
            conn.commit()
        with rdb.connect() as conn:
            if refresh:
                conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
            assert rs.rollup_mismatches(conn) == []
            conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")


def test_insert_then_truncate_in_one_transaction(rdb):
    with rdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
    with rdb.connect(autocommit=False) as conn:
        rs.insert(conn, [ev("reply_time", "2024-01-10 12:00", value=1)])
        conn.execute("TRUNCATE reporting_events")
        rs.insert(conn, [ev("reply_time", "2024-01-11 12:00", value=2)])
        conn.commit()
    with rdb.connect() as conn:
        assert rs.rollup_mismatches(conn) == []
        assert {r[0] for r in rollups(conn)} == {"2024-01-11"}

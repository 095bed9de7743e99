"""Bounded reads. report_timeseries returns every bucket of its range, empty ones included: a range
of more buckets than max_read_buckets (pgrollup_internal.settings, default 100000) is refused at
once with 22023, before any work. The messaging read functions return only existing rows: they read
at most max_read_buckets + 1 rows and refuse (54000) a request that returns more, so neither the
work nor the answer grows without bound; within the limit any range works, infinite ones included."""
from __future__ import annotations

import time

import psycopg
import pytest

import messaging_support as ms
import reporting_support as rs


@pytest.fixture
def both(db):
    with db.connect() as conn:
        conn.execute(ms.source_ddl())
        rs.create_source(conn)
    db.install(modules=["messaging", "reporting"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
    return db


@pytest.mark.parametrize("group_by", ["hour", "day", "week"])
def test_huge_timeseries_is_refused_before_any_work(both, group_by):
    with both.connect() as conn:
        conn.execute("SET statement_timeout = '5s'")
        t0 = time.perf_counter()
        with pytest.raises(psycopg.errors.InvalidParameterValue) as exc:
            conn.execute("SELECT count(*) FROM pgrollup.report_timeseries(1, 'resolutions_count', "
                         "'0001-01-01', '9999-12-31', %s)", (group_by,))
        assert time.perf_counter() - t0 < 1.0
        assert "report_timeseries" in str(exc.value) and "buckets" in str(exc.value)


def test_timeseries_within_the_limit_answers(both):
    with both.connect() as conn:
        n = conn.execute("SELECT count(*) FROM pgrollup.report_timeseries(1, 'resolutions_count', "
                         "'2024-01-01', '2025-01-01', 'hour')").fetchone()[0]
        assert n == 366 * 24 + 1     # the local hours of Asia/Kolkata that overlap the UTC year 2024
        conn.execute("INSERT INTO pgrollup_internal.settings (name, value) VALUES ('max_read_buckets', '1000')")
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("SELECT count(*) FROM pgrollup.report_timeseries(1, 'resolutions_count', "
                         "'2024-01-01', '2025-01-01', 'hour')")


def test_messaging_reads_return_at_most_the_limit(both):
    with both.connect() as conn:
        conn.execute("INSERT INTO public.outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at) "
                     "SELECT 1, 1, 1, 'email', timestamptz '2024-01-01' + g * interval '1 day' "
                     "FROM generate_series(0, 9) AS g")
        conn.execute("SELECT * FROM pgrollup.refresh('messaging')")
        reads = [("tenant_daily", "SELECT count(*) FROM pgrollup.tenant_daily(1, '-infinity', 'infinity')"),
                 ("campaign_daily", "SELECT count(*) FROM pgrollup.campaign_daily(1, '1900-01-01', '2100-01-01')"),
                 ("campaign_daily", "SELECT count(*) FROM pgrollup.campaign_daily(1, '1900-01-01', '2100-01-01', 1)"),
                 ("contact_hourly", "SELECT count(*) FROM pgrollup.contact_hourly(1, 1, '-infinity', 'infinity')")]
        for _name, query in reads:
            assert conn.execute(query).fetchone()[0] == 10
        conn.execute("INSERT INTO pgrollup_internal.settings (name, value) VALUES ('max_read_buckets', '10')")
        for _name, query in reads:
            assert conn.execute(query).fetchone()[0] == 10       # exactly at the limit
        conn.execute("UPDATE pgrollup_internal.settings SET value = '9' WHERE name = 'max_read_buckets'")
        for name, query in reads:
            with pytest.raises(psycopg.errors.ProgramLimitExceeded) as exc:
                conn.execute(query)
            assert name in str(exc.value)

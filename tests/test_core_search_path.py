"""A hostile search_path (objects named like pgrollup's or like pg_catalog's in an earlier schema,
with pg_catalog pushed behind them) changes nothing pgrollup computes."""
import psycopg

import messaging_support as ms
import reporting_support as rs
from workload_support import mixed_workload

HOSTILE = """
CREATE SCHEMA evil;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE sql AS $$ SELECT timestamptz '1999-01-01 00:00+00' $$;
CREATE FUNCTION evil.date_trunc(text, timestamptz) RETURNS timestamptz LANGUAGE sql AS $$ SELECT timestamptz '1999-01-01 00:00+00' $$;
CREATE FUNCTION evil.date_trunc(text, timestamptz, text) RETURNS timestamptz LANGUAGE sql AS $$ SELECT timestamptz '1999-01-01 00:00+00' $$;
CREATE FUNCTION evil.timezone(text, timestamp) RETURNS timestamptz LANGUAGE sql AS $$ SELECT timestamptz '1999-01-01 00:00+00' $$;
CREATE FUNCTION evil.timezone(text, timestamptz) RETURNS timestamp LANGUAGE sql AS $$ SELECT timestamp '1999-01-01' $$;
CREATE FUNCTION evil.lower(text) RETURNS text LANGUAGE sql AS $$ SELECT 'evil' $$;
CREATE FUNCTION evil.format(text, text) RETURNS text LANGUAGE sql AS $$ SELECT $q$SELECT 1$q$ $$;
CREATE FUNCTION evil.hashtext(text) RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION evil.int8eq_always(bigint, bigint) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8eq_always);
CREATE FUNCTION evil.int4eq_always(integer, integer) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4eq_always);
CREATE FUNCTION evil.texteq_always(text, text) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq_always);
-- tables named like pgrollup's and like the sources
CREATE TABLE evil.modules (module text);
CREATE TABLE evil.refresh_runs (x int);
CREATE TABLE evil.reporting_events_rollups (x int);
CREATE TABLE evil.reporting_events (LIKE public.reporting_events);
CREATE TABLE evil.outbound_messages (LIKE public.outbound_messages);
CREATE TABLE evil.message_events (LIKE public.message_events);
CREATE TABLE evil.settings (name text, value text);
"""
PATH = "SET search_path = evil, pg_catalog, public, pgrollup, pgrollup_internal"


def _reads(conn):
    return [
        conn.execute("SELECT * FROM pgrollup.report_summary(1, '2026-03-02', '2026-04-20', 'agent') ORDER BY 1").fetchall(),
        conn.execute("SELECT * FROM pgrollup.report_timeseries(1, 'bot_handoffs_count', '2026-03-01 05:00+00', "
                     "'2026-04-20', 'week')").fetchall(),
        conn.execute("SELECT * FROM pgrollup.tenant_daily(1, '2026-02-01', '2026-06-01')").fetchall(),
        conn.execute("SELECT * FROM pgrollup.campaign_daily(1, '2026-02-01', '2026-06-01')").fetchall(),
        conn.execute("SELECT * FROM pgrollup.metrics_contact_hourly ORDER BY 1, 2, 3, 4").fetchall(),
        conn.execute("SELECT * FROM pgrollup.rollup_health ORDER BY 1").fetchall()[0][:2],
    ]


def test_hostile_search_path_changes_nothing(db):
    with db.connect() as conn:
        conn.execute(ms.source_ddl())
        rs.create_source(conn)
    db.install(modules=["messaging", "reporting"])
    with db.connect() as conn:
        conn.execute(HOSTILE)
    with db.connect() as hostile:
        hostile.execute(PATH)
        mixed_workload(hostile)
        hostile_reads = _reads(hostile)
    with db.connect() as conn:
        assert rs.rollup_mismatches(conn) == []
        ms.assert_exact(conn)
        assert _reads(conn) == hostile_reads
        assert db.scalar("SELECT count(*) FROM evil.reporting_events") == 0
        assert db.scalar("SELECT count(*) FROM pgrollup.reporting_events_rollups") > 0

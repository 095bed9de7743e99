"""A hostile search_path (objects named like pgrollup's or like pg_catalog's in an earlier schema,
with pg_catalog pushed behind them) changes nothing pgrollup computes."""
import psycopg

import messaging_support as ms
import reporting_support as rs

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


def _workload(conn):
    conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
    conn.execute("SELECT pgrollup.set_reporting_timezone(2, 'America/St_Johns')")
    conn.execute("SELECT pgrollup.set_rollup_reads(1, true)")
    conn.execute("SELECT pgrollup.set_tenant_timezone(1, 'Pacific/Chatham')")
    conn.execute("""
        INSERT INTO public.reporting_events (name, value, value_in_business_hours, account_id, inbox_id, user_id,
                                             conversation_id, created_at, updated_at)
        SELECT (ARRAY['conversation_resolved','first_response','reply_time','conversation_bot_handoff',
                      'conversation_bot_resolved','unknown'])[1 + g % 6],
               (g * 37) % 900, (g * 11) % 400, 1 + g % 2, nullif(g % 4, 0), nullif(g % 5, 0), g % 40,
               timestamp '2026-03-01' + g * interval '53 minutes', timestamp '2026-03-01'
          FROM generate_series(1, 1500) g""")
    conn.execute("UPDATE public.reporting_events SET value = value + 1 WHERE id % 7 = 0")
    conn.execute("DELETE FROM public.reporting_events WHERE id % 11 = 0")
    conn.execute("""
        INSERT INTO public.outbound_messages (tenant_id, campaign_id, contact_id, channel, created_at, sent_at)
        SELECT 1 + g % 2, nullif(g % 4, 0), g % 30, (ARRAY['email','sms'])[1 + g % 2],
               timestamptz '2026-03-01 00:00+00' + g * interval '41 minutes',
               CASE WHEN g % 5 <> 0 THEN timestamptz '2026-03-01 00:00+00' + g * interval '41 minutes' END
          FROM generate_series(1, 600) g""")
    conn.execute("""
        INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at)
        SELECT m.tenant_id, m.id, (ARRAY['delivered','open','click','bounce','unsubscribe','opened'])[1 + (m.id * k) % 6],
               m.created_at + k * interval '3 hours'
          FROM public.outbound_messages m, generate_series(1, 3) k""")
    conn.execute("INSERT INTO public.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                 "VALUES (1, 1, 'running', '2026-03-02 00:00+00'), (1, 1, 'done', '2026-03-10 00:00+00')")
    conn.execute("SELECT pgrollup.backfill_reporting(1)")
    conn.execute("SELECT * FROM pgrollup.refresh()")


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
        _workload(hostile)
        hostile_reads = _reads(hostile)
    with db.connect() as conn:
        assert rs.rollup_mismatches(conn) == []
        ms.assert_exact(conn)
        assert _reads(conn) == hostile_reads
        assert db.scalar("SELECT count(*) FROM evil.reporting_events") == 0
        assert db.scalar("SELECT count(*) FROM pgrollup.reporting_events_rollups") > 0

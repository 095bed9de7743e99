"""messaging: install in every supported source shape, exactness on scripted scenarios, timezones,
campaign status, registry edits with backfill, health, contract shapes and comments."""
from __future__ import annotations

import random

import psycopg
import pytest

from pgrollup.errors import UserError

from messaging_support import (Workload, assert_exact, create_sources, random_ops, source_ddl)

ALL_OPS = ["msg", "msg", "send", "fix", "delmsg", "ev", "ev", "ev", "evfix", "delev", "tr", "deltr", "trfix",
           "bulk", "tz", "refresh", "backfill"]


@pytest.mark.parametrize("variant", [
    dict(ts="timestamptz", ids="bigint"),
    dict(ts="timestamp", ids="integer"),
    dict(ts="timestamptz", ids="integer", partitioned=True),
    dict(ts="timestamp", ids="bigint", partitioned=True, schema="app"),
], ids=["tstz-bigint", "ts-int", "partitioned", "partitioned-ts-schema"])
def test_variants_exact_after_random_workload(db, variant):
    schema = variant.get("schema", "public")
    create_sources(db, **variant)
    with db.connect() as conn:
        w = Workload(conn, schema)
        rng = random.Random(7)
        for op in random_ops(rng, 40):       # data before install: the first refresh builds it
            w.apply(op)
    db.install(modules=["messaging"], source_schema=schema if schema != "public" else None)
    with db.connect() as conn:
        w = Workload(conn, schema)
        conn.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(conn, schema)
        for op in random_ops(rng, 120, ALL_OPS):
            w.apply(op)
        conn.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(conn, schema)
        # tenant moves across partitions, bulk statements, deletes
        conn.execute(f'UPDATE "{schema}".outbound_messages SET tenant_id = 3 - tenant_id WHERE tenant_id IN (1, 2) AND id % 3 = 0')
        conn.execute(f'DELETE FROM "{schema}".message_events WHERE id % 5 = 0')
        if variant.get("partitioned"):   # writes aimed at a partition directly are captured too
            conn.execute(f'UPDATE "{schema}".outbound_messages_p0 SET sent_at = NULL WHERE id % 2 = 0')
            conn.execute(f'DELETE FROM "{schema}".message_events_p1 WHERE id % 3 = 0')
            conn.execute(f'INSERT INTO "{schema}".message_events_p0 (tenant_id, message_id, event_type, occurred_at) '
                         f'SELECT tenant_id, id, \'open\', now() FROM "{schema}".outbound_messages WHERE tenant_id = 2')
        conn.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(conn, schema)


def test_install_names_missing_tables_and_columns(db, cli):
    with db.connect() as conn:
        conn.execute("CREATE TABLE outbound_messages (id bigint PRIMARY KEY, tenant_id bigint, contact_id bigint, "
                     "channel text, created_at timestamptz)")
        conn.execute("CREATE TABLE message_events (id bigint PRIMARY KEY, tenant_id bigint, message_id bigint, "
                     "event_type text, occurred_at timestamptz, created_at timestamptz)")
    with pytest.raises(UserError) as exc:
        db.install(modules=["messaging"])
    msg = str(exc.value)
    assert "outbound_messages.campaign_id" in msg and "outbound_messages.sent_at" in msg
    assert "campaign_transitions" in msg
    assert db.scalar("SELECT to_regnamespace('pgrollup_internal') IS NULL")
    res = cli("install", "--module", "messaging", "--no-schedule", "--dsn", db.dsn)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "campaign_transitions" in res.stderr


def test_contract_shapes_and_comments(db):
    create_sources(db)
    db.install(modules=["messaging"])
    missing = db.rows("""
        SELECT c.relname || '.' || a.attname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE n.nspname = 'pgrollup' AND c.relkind IN ('v', 'r')
           AND (c.relname LIKE 'metrics_%%' OR c.relname = 'message_event_metrics')
           AND col_description(c.oid, a.attnum) IS NULL""")
    assert missing == []
    assert db.scalar("""SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = 'pgrollup' AND c.relname LIKE 'metrics_%%'
                           AND obj_description(c.oid, 'pg_class') IS NOT NULL""") == 4
    funcs = db.rows("""SELECT p.oid::regprocedure::text, obj_description(p.oid, 'pg_proc') IS NOT NULL,
                              p.prosecdef, has_function_privilege('public', p.oid, 'EXECUTE'),
                              array_to_string(p.proconfig, ',')
                         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname IN ('pgrollup', 'pgrollup_internal')
                          AND (p.proname LIKE '%%messag%%' OR p.proname IN ('campaign_daily', 'tenant_daily',
                               'contact_hourly', 'set_tenant_timezone'))""")
    assert len(funcs) >= 20
    for sig, commented, secdef, public_exec, config in funcs:
        assert commented, sig
        assert "search_path=pg_catalog, pg_temp" in config, sig
        assert not public_exec, sig
        if sig.startswith("pgrollup."):
            assert secdef, sig
    registry = dict(db.rows("SELECT event_type, metric FROM pgrollup.message_event_metrics"))
    assert registry == {"delivered": "delivered", "open": "opens", "opened": "opens", "click": "clicks",
                        "clicked": "clicks", "bounce": "bounces", "bounced": "bounces",
                        "unsubscribe": "unsubscribes", "unsubscribed": "unsubscribes"}
    # installing again is idempotent and keeps the state
    db.install(modules=["messaging"])
    assert db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgrollup_messaging_%%'") == 12


def _setup(db, **kw):
    create_sources(db, **kw)
    db.install(modules=["messaging"])
    conn = db.connect()
    conn.execute("SET TimeZone = 'UTC'")
    conn.execute("SELECT pgrollup.refresh('messaging')")
    return conn


def test_timezones_and_status(db):
    conn = _setup(db)
    ex = conn.execute
    ex("SELECT pgrollup.set_tenant_timezone(1, 'Asia/Kolkata')")
    ex("SELECT pgrollup.set_tenant_timezone(2, 'Pacific/Chatham')")
    ex("SELECT pgrollup.set_tenant_timezone(3, 'America/St_Johns')")
    for tenant in (1, 2, 3, 4):
        # around the St_Johns DST start (2024-03-10) and the Chatham DST end (2024-04-07)
        for day, hour in (("2024-03-09", "23:10"), ("2024-03-10", "03:20"), ("2024-03-10", "05:40"),
                          ("2024-04-06", "13:50"), ("2024-04-06", "14:20"), ("2024-04-06", "18:35")):
            mid = ex("INSERT INTO outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at) "
                     "VALUES (%s, 7, 70, 'email', %s) RETURNING id", (tenant, f"{day} {hour}")).fetchone()[0]
            ex("INSERT INTO message_events (tenant_id, message_id, event_type, occurred_at) VALUES "
               "(%s, %s, 'open', %s::timestamptz + interval '50 minutes'), (%s, %s, 'opened', %s::timestamptz + interval '3 hours')",
               (tenant, mid, f"{day} {hour}", tenant, mid, f"{day} {hour}"))
        ex("INSERT INTO campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) VALUES "
           "(%s, 7, 'scheduled', '2024-03-01'), (%s, 7, 'running', '2024-03-09 20:00'), (%s, 7, 'paused', '2024-03-09 20:00'), "
           "(%s, 7, 'done', '2024-04-06 12:00')", (tenant, tenant, tenant, tenant))
    ex("SELECT pgrollup.refresh('messaging')")
    assert_exact(conn)
    # Kolkata: 2024-03-09 23:10 UTC is 2024-03-10 04:40 local
    rows = ex("SELECT date, sends FROM pgrollup.tenant_daily(1, '2024-03-01', '2024-03-31')").fetchall()
    assert [tuple(r) for r in rows] == [(__import__("datetime").date(2024, 3, 10), 3)]
    # Chatham hours start at :45 UTC
    hours = ex("SELECT DISTINCT extract(minute FROM hour) FROM pgrollup.metrics_contact_hourly WHERE tenant_id = 2").fetchall()
    assert {int(h[0]) for h in hours} == {15}
    # St_Johns: -03:30 before and -02:30 after 2024-03-10 02:00 local
    hours = ex("SELECT DISTINCT extract(minute FROM hour) FROM pgrollup.metrics_contact_hourly WHERE tenant_id = 3").fetchall()
    assert {int(h[0]) for h in hours} == {30}
    # ties at the same instant go to the higher id ('paused')
    st = ex("SELECT status FROM pgrollup.metrics_campaign_daily WHERE tenant_id = 4 AND date = '2024-03-10'").fetchone()[0]
    assert st == "paused"
    # changing a zone restates all of that tenant's history at the next refresh
    ex("SELECT pgrollup.set_tenant_timezone(1, 'America/St_Johns')")
    ex("SELECT pgrollup.set_tenant_timezone(4, 'Asia/Kolkata')")
    assert ex("SELECT pending_changes FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()[0] == 2
    ex("SELECT pgrollup.refresh('messaging')")
    assert_exact(conn)
    # a transition moves the status of later dates without touching metrics
    ex("INSERT INTO campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) VALUES (4, 7, 'archived', '2024-03-10 12:00')")
    ex("SELECT pgrollup.refresh('messaging')")
    assert_exact(conn)
    for bad in ("IST", "+05:30", "UTC+5", "", "Mars/Olympus"):
        with pytest.raises(psycopg.errors.InvalidParameterValue) as exc:
            ex("SELECT pgrollup.set_tenant_timezone(1, %s)", (bad,))
        assert repr(bad)[1:-1] in str(exc.value)


def test_registry_edit_then_backfill(db):
    conn = _setup(db)
    w = Workload(conn)
    for op in random_ops(random.Random(3), 80):
        w.apply(op)
    conn.execute("SELECT pgrollup.refresh('messaging')")
    assert_exact(conn)
    conn.execute("INSERT INTO pgrollup.message_event_metrics VALUES ('spam', 'unsubscribes')")
    conn.execute("UPDATE pgrollup.message_event_metrics SET metric = 'clicks' WHERE event_type = 'bounce'")
    # a slice: one tenant and some days, then everything
    n = conn.execute("SELECT pgrollup.backfill_messaging(1, '2024-03-09', '2024-03-11')").fetchone()[0]
    assert n > 0
    conn.execute("SELECT pgrollup.backfill_messaging()")
    assert_exact(conn)


def test_health_pending_and_staleness(db):
    conn = _setup(db)
    h = conn.execute("SELECT mode, pending_changes, staleness FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()
    assert h[0] == "incremental" and h[1] == 0
    conn.execute("INSERT INTO outbound_messages (tenant_id, contact_id, channel) VALUES (1, 1, 'sms')")
    h = conn.execute("SELECT pending_changes, staleness > interval '0' FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()
    assert h == (1, True)
    conn.execute("SELECT pgrollup.refresh('messaging')")
    assert conn.execute("SELECT pending_changes FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()[0] == 0
    # updates of columns the rollups do not use are not captured
    conn.execute("UPDATE outbound_messages SET created_at = created_at - interval '1 day'")
    assert conn.execute("SELECT pending_changes FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()[0] == 0
    # TRUNCATE asks for a rebuild
    conn.execute("TRUNCATE outbound_messages")
    conn.execute("SELECT pgrollup.refresh('messaging')")
    assert_exact(conn)
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT pgrollup.set_messaging_mode('bogus')")
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT pgrollup.backfill_messaging(1, '2024-02-01', '2024-01-01')")


def test_read_functions_are_index_scans(db):
    conn = _setup(db)
    conn.execute("""
        INSERT INTO outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at)
        SELECT 1 + g % 50, g % 20, g % 500, 'email', timestamptz '2024-01-01' + g * interval '7 minutes'
          FROM generate_series(1, 20000) g""")
    conn.execute("""
        INSERT INTO campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at)
        SELECT 1 + g % 50, g % 20, 'running', timestamptz '2024-01-01' + g * interval '1 hour'
          FROM generate_series(1, 3000) g""")
    conn.execute("SELECT pgrollup.refresh('messaging')")
    conn.execute("ANALYZE")
    for mode in ("incremental", "materialized_view"):
        conn.execute("SELECT pgrollup.set_messaging_mode(%s)", (mode,))
        conn.execute("ANALYZE")
        notices = []

        def handler(diag, notices=notices):
            notices.append(diag.message_primary)
        conn.add_notice_handler(handler)
        conn.execute("LOAD 'auto_explain'")
        conn.execute("SET auto_explain.log_min_duration = 0")
        conn.execute("SET auto_explain.log_nested_statements = on")
        conn.execute("SET auto_explain.log_level = notice")
        conn.execute("SELECT * FROM pgrollup.campaign_daily(3, '2024-01-01', '2024-03-31')").fetchall()
        conn.execute("SELECT * FROM pgrollup.campaign_daily(3, '2024-01-01', '2024-03-31', 5)").fetchall()
        conn.execute("SELECT * FROM pgrollup.tenant_daily(3, '2024-01-01', '2024-03-31')").fetchall()
        conn.execute("SELECT * FROM pgrollup.contact_hourly(3, 53, '2024-01-01', '2024-04-01')").fetchall()
        conn.execute("SET auto_explain.log_min_duration = -1")
        plans = [n for n in notices if "Query Text" in n and "metrics_" in n]
        assert len(plans) == 4, notices
        for p in plans:
            # msg_tenants (a row per tenant with a zone, empty here) may be read whole while it is
            # tiny; with many zoned tenants it is read by key (below)
            assert all(line.strip().startswith("->  Seq Scan on msg_tenants")
                       for line in p.splitlines() if "Seq Scan" in line), p
            assert "Index" in p, p
        conn.remove_notice_handler(handler)
    # many tenants with a zone (none of them with messages): the zone is looked up by key
    conn.execute("SELECT pgrollup.set_messaging_mode('incremental')")
    conn.execute("SELECT pgrollup.refresh('messaging')")
    conn.execute("INSERT INTO pgrollup_internal.msg_tenants (tenant_id, timezone) "
                 "SELECT g, 'Asia/Kolkata' FROM generate_series(1000, 50999) AS g")
    conn.execute("ANALYZE pgrollup_internal.msg_tenants")
    plan = "\n".join(r[0] for r in conn.execute(
        "EXPLAIN SELECT * FROM pgrollup.metrics_campaign_daily "
        "WHERE tenant_id = 3 AND date BETWEEN '2024-01-01' AND '2024-03-31'").fetchall())
    assert "msg_transitions" in plan and "Seq Scan" not in plan, plan


def test_app_and_reader_roles_need_no_internal_grants(db):
    create_sources(db)
    db.install(modules=["messaging"])
    with db.connect() as conn:
        conn.execute("DO $$ BEGIN CREATE ROLE msg_app LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute("DO $$ BEGIN CREATE ROLE msg_bi LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        reader = conn.execute("SELECT role_name FROM pgrollup.access_roles WHERE role_kind = 'reader'").fetchone()[0]
        conn.execute(f'GRANT "{reader}" TO msg_bi')
        conn.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON outbound_messages, message_events, campaign_transitions TO msg_app")
        conn.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO msg_app")
    with db.connect(user="msg_app") as app:
        w = Workload(app)
        for op in random_ops(random.Random(21), 60):
            w.apply(op)
        # upserts fire the insert and the update capture
        app.execute("INSERT INTO message_events (id, tenant_id, message_id, event_type, occurred_at) "
                    "SELECT id, tenant_id, message_id, 'click', occurred_at + interval '1 day' FROM message_events "
                    "ON CONFLICT (id) DO UPDATE SET event_type = excluded.event_type, occurred_at = excluded.occurred_at")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("SELECT count(*) FROM pgrollup_internal.msg_changes")
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(conn)
    with db.connect(user="msg_bi") as bi:
        assert bi.execute("SELECT count(*) FROM pgrollup.metrics_campaign_daily").fetchone()[0] > 0
        bi.execute("SELECT * FROM pgrollup.tenant_daily(1, '2024-01-01', '2024-12-31')").fetchall()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            bi.execute("SELECT pgrollup.backfill_messaging()")
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_messaging_mode('materialized_view')")
    with db.connect(user="msg_bi") as bi:
        for view in ("metrics_contact_hourly", "metrics_campaign_daily", "metrics_tenant_daily", "metrics_message"):
            assert bi.execute(f"SELECT count(*) FROM pgrollup.{view}").fetchone()[0] > 0
        bi.execute("SELECT * FROM pgrollup.campaign_daily(1, '2024-01-01', '2024-12-31')").fetchall()


def test_uninstall_removes_triggers_keeps_sources(db, cli):
    create_sources(db, partitioned=True)
    db.install(modules=["messaging"])
    with db.connect() as conn:
        conn.execute("INSERT INTO outbound_messages (tenant_id, contact_id, channel) VALUES (1, 1, 'sms')")
        # insert, update, delete on the 3 tables and their 6 partitions, truncate on the 3 tables; a
        # partition's TRUNCATE is seen by the core's trigger
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgrollup_messaging_%'").fetchone()[0] == 30
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'pgrollup_partition_truncate'").fetchone()[0] == 6
    res = cli("uninstall", "--yes", "--dsn", db.dsn)
    assert res.returncode == 0, res.stderr
    with db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgrollup_%'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM outbound_messages").fetchone()[0] == 1
        conn.execute("INSERT INTO outbound_messages (tenant_id, contact_id, channel) VALUES (1, 1, 'sms')")


def test_refresh_of_few_changes_goes_by_key(db):
    """The refresh cost follows the number of changes: no statement scans a source table or a
    rollup in full when a few messages changed."""
    conn = _setup(db)
    conn.execute("""
        INSERT INTO outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at)
        SELECT 1 + g % 10, g % 30, g % 3000, 'email', timestamptz '2024-01-01' + g * interval '5 minutes'
          FROM generate_series(1, 30000) g;
        INSERT INTO message_events (tenant_id, message_id, event_type, occurred_at)
        SELECT 1, 1 + g % 30000, (ARRAY['delivered', 'open', 'click'])[1 + g % 3], timestamptz '2024-01-01' + g * interval '3 minutes'
          FROM generate_series(1, 60000) g""")
    conn.execute("SELECT pgrollup.refresh('messaging')")
    conn.execute("ANALYZE")
    conn.execute("INSERT INTO message_events (tenant_id, message_id, event_type, occurred_at) "
                 "SELECT 1, g * 97, 'open', timestamptz '2024-02-01' + g * interval '1 day' FROM generate_series(1, 200) g")
    conn.execute("UPDATE outbound_messages SET campaign_id = campaign_id + 1 WHERE id % 1000 = 0")
    notices = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    conn.execute("LOAD 'auto_explain'")
    conn.execute("SET auto_explain.log_min_duration = 0")
    conn.execute("SET auto_explain.log_nested_statements = on")
    conn.execute("SET auto_explain.log_level = warning")
    assert conn.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
    conn.execute("SET auto_explain.log_min_duration = -1")
    plans = "\n".join(notices)
    assert "pgr_msg_pts" in plans        # restated messages
    assert "pgr_msg_fast_ev" in plans    # messages with inserted events only
    for table in ("outbound_messages", "message_events", "msg_state", "msg_contrib", "msg_contact_hourly",
                  "msg_campaign_daily", "msg_tenant_daily", "msg_transitions"):
        assert f"Seq Scan on {table}" not in plans, table
    assert_exact(conn)


def test_exact_without_the_recommended_index(db):
    create_sources(db)
    with db.connect() as conn:
        conn.execute("DROP INDEX message_events_message_id_idx")
    res = db.install(modules=["messaging"])
    assert any("message_events" in m and "CREATE INDEX" in m for m in res.messages), res.messages
    with db.connect() as conn:
        w = Workload(conn)
        for op in random_ops(random.Random(31), 80, ALL_OPS):
            w.apply(op)
        conn.execute("SELECT pgrollup.refresh('messaging')")
        assert_exact(conn)

"""pgrollup on a Citus coordinator: source tables that Citus distributes in a way pgrollup cannot
capture (anything but reporting_events by account_id, see test_citus_reporting) are refused before
anything changes, whatever the session's Citus settings; a captured source that the application
distributes later never fails a write on any node, shows as critical in health (with the repair),
and uninstall frees it; local source tables on a coordinator install as on PostgreSQL."""
from __future__ import annotations

import uuid

import re

import psycopg
import pytest

from citus_support import citus  # noqa: F401  (fixture)
from messaging_support import source_ddl as messaging_ddl
from reporting_support import SOURCE_DDL

REPORTING_DDL = SOURCE_DDL.format(schema="public", ts="timestamp")

pytestmark = pytest.mark.slow


def _db(citus):  # noqa: F811
    return citus.create_database("c_" + uuid.uuid4().hex[:10])


def _pgrollup_objects(dsn):
    with psycopg.connect(dsn) as c:
        schemas = c.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgrollup%'").fetchone()[0]
        triggers = c.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgrollup%'").fetchone()[0]
    return schemas, triggers


@pytest.mark.parametrize("layout", ["by id", "reference"])
def test_reporting_events_distributed_otherwise_than_by_account_id_refused_before_anything_changes(citus, cli, layout):  # noqa: F811
    dsn = _db(citus)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(REPORTING_DDL)
        c.execute("ALTER TABLE public.reporting_events DROP CONSTRAINT reporting_events_pkey")
        c.execute("ALTER TABLE public.reporting_events ADD PRIMARY KEY (account_id, id)")
        if layout == "by id":
            c.execute("SELECT create_distributed_table('public.reporting_events', 'id')")
        else:
            c.execute("SELECT create_reference_table('public.reporting_events')")
    res = cli("install", "--dsn", dsn, "--no-schedule", env={"PGOPTIONS": "-c citus.enable_unsafe_triggers=on"})
    assert res.returncode != 0
    assert res.stderr.count("\n") == 1, res.stderr
    kind = "a distributed table (by id)" if layout == "by id" else "a reference table"
    assert f"reporting_events is {kind}" in res.stderr and "nothing was changed" in res.stderr, res.stderr
    assert "reporting_events distributed by account_id" in res.stderr
    assert _pgrollup_objects(dsn) == (0, 0)
    # the application's writes go on, on every shard
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("INSERT INTO public.reporting_events (name, account_id, created_at, updated_at) "
                  "SELECT 'conversation_resolved', a, now(), now() FROM generate_series(1, 20) AS a")
        assert c.execute("SELECT count(*) FROM public.reporting_events").fetchone()[0] == 20


def test_messaging_refused_when_a_source_is_a_reference_table_and_reporting_still_installs(citus, cli):  # noqa: F811
    dsn = _db(citus)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(messaging_ddl())
        c.execute("SELECT create_reference_table('public.campaign_transitions')")
        c.execute(REPORTING_DDL)
    res = cli("install", "--dsn", dsn, "--no-schedule")
    assert res.returncode != 0 and "campaign_transitions is a reference table" in res.stderr, res.stderr
    assert _pgrollup_objects(dsn) == (0, 0)
    # the module whose sources stay local on the coordinator installs and captures as on PostgreSQL
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "reporting")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        c.execute("INSERT INTO public.reporting_events (name, account_id, created_at, updated_at) "
                  "VALUES ('conversation_resolved', 1, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')")
        c.execute("SELECT * FROM pgrollup.refresh()")
        assert c.execute("SELECT count FROM pgrollup.reporting_events_rollups WHERE account_id = 1 "
                         "AND dimension_type = 'account' AND metric = 'resolutions_count'").fetchone()[0] == 1


def _table_state(c):
    """Rows, ids, indexes and triggers of reporting_events."""
    return (c.execute("SELECT count(*), sum(id) FROM public.reporting_events").fetchone(),
            c.execute("SELECT array_agg(indexname ORDER BY indexname) FROM pg_catalog.pg_indexes "
                      "WHERE schemaname = 'public' AND tablename = 'reporting_events'").fetchone()[0],
            c.execute("SELECT count(*) FROM pg_catalog.pg_trigger "
                      "WHERE tgrelid = 'public.reporting_events'::regclass AND NOT tgisinternal").fetchone()[0])


@pytest.mark.parametrize("unsafe_triggers", ["off", "on"])
def test_a_captured_source_distributed_later_never_fails_writes_and_uninstall_frees_it(citus, cli, unsafe_triggers):  # noqa: F811
    """The application moves a captured source table to Citus after install. Without
    citus.enable_unsafe_triggers Citus refuses (pgrollup's statement triggers) and nothing changes.
    With it the table distributes and Citus copies pgrollup's triggers to the shards, where
    pgrollup's tables are not: every write still succeeds on every shard (uncaptured), rollup_health
    turns critical naming the table, and uninstall removes the triggers from every shard, leaving
    the table's rows and indexes as they were."""
    dsn = _db(citus)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(REPORTING_DDL)
        c.execute("ALTER TABLE public.reporting_events DROP CONSTRAINT reporting_events_pkey")
        c.execute("ALTER TABLE public.reporting_events ADD PRIMARY KEY (account_id, id)")
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "reporting")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
        c.execute(f"SET citus.enable_unsafe_triggers = {unsafe_triggers}")
        if unsafe_triggers == "off":
            with pytest.raises(psycopg.Error) as err:
                c.execute("SELECT create_distributed_table('public.reporting_events', 'account_id')")
            assert "trigger" in str(err.value).lower(), err.value
            assert c.execute("SELECT count(*) FROM pg_catalog.pg_dist_partition "
                             "WHERE logicalrelid = 'public.reporting_events'::regclass").fetchone()[0] == 0
        else:
            c.execute("SELECT create_distributed_table('public.reporting_events', 'account_id')")
    with psycopg.connect(dsn, autocommit=True) as c:   # a new session, the application's default settings
        c.execute("INSERT INTO public.reporting_events (name, account_id, created_at, updated_at) "
                  "VALUES ('conversation_resolved', 1, now() AT TIME ZONE 'UTC', now())")
        c.execute("INSERT INTO public.reporting_events (name, account_id, created_at, updated_at) "
                  "SELECT 'conversation_resolved', a, now() AT TIME ZONE 'UTC', now() FROM generate_series(1, 40) AS a")
        c.execute("UPDATE public.reporting_events SET name = 'first_response' WHERE account_id = 2")
        c.execute("DELETE FROM public.reporting_events WHERE account_id = 3")
        with c.cursor().copy("COPY public.reporting_events (name, account_id, created_at, updated_at) FROM STDIN") as cp:
            for a in range(1, 21):
                cp.write_row(("conversation_resolved", a, "2026-01-01 00:00", "2026-01-01 00:00"))
        assert c.execute("SELECT count(*) FROM public.reporting_events").fetchone()[0] == 60
        level, alert = c.execute("SELECT alert_level, alert FROM pgrollup.rollup_health "
                                 "WHERE module = 'reporting'").fetchone()
        if unsafe_triggers == "off":
            assert c.execute("SELECT sum(count) FROM pgrollup.reporting_events_rollups WHERE account_id = 1 "
                             "AND dimension_type = 'account' AND metric = 'resolutions_count'").fetchone()[0] == 3
            assert level == "ok", alert
        else:
            assert level == "critical" and "reporting_events is a Citus distributed table (by account_id)" in alert, alert
            assert "re-run pgrollup install" in alert, alert   # the repair (test_citus_reporting)
            assert cli("status", "--dsn", dsn).returncode == 2
        before = _table_state(c)
    res = cli("uninstall", "--dsn", dsn, "--yes")
    assert res.returncode == 0, res.stderr
    assert _pgrollup_objects(dsn) == (0, 0)
    with psycopg.connect(dsn, autocommit=True) as c:
        if unsafe_triggers == "off":
            c.execute("SELECT create_distributed_table('public.reporting_events', 'account_id')")
        after = _table_state(c)
        assert after[:2] == before[:2] and before[2] == 4 and after[2] == 0
        # no trigger left on any shard: the workers hold no pgrollup trigger
        for w in citus.workers:
            with psycopg.connect(w.dsn(c.info.dbname), autocommit=True) as wc:
                assert wc.execute("SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgname LIKE 'pgrollup%'").fetchone()[0] == 0
        c.execute("INSERT INTO public.reporting_events (name, account_id, created_at, updated_at) "
                  "SELECT 'conversation_resolved', a, now(), now() FROM generate_series(1, 40) AS a")


def test_messaging_sources_distributed_later_never_fail_writes_on_any_shard(citus, cli):  # noqa: F811
    """The same for messaging's three partitioned sources, distributed by tenant after install with
    citus.enable_unsafe_triggers: inserts, updates, deletes and the TRUNCATE of a partition succeed
    on the shards (pgrollup's statement and partition triggers there capture nothing), health is
    critical for each table, and uninstall leaves the tables distributed with their rows."""
    dsn = _db(citus)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(messaging_ddl(partitioned=True))
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "messaging")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET citus.enable_unsafe_triggers = on")
        for table in ("outbound_messages", "message_events", "campaign_transitions"):
            c.execute("SELECT create_distributed_table(%s, 'tenant_id', colocate_with => %s)",
                      (f"public.{table}", "default" if table == "outbound_messages" else "public.outbound_messages"))
    # the OID bound into each capture function is the coordinator's table's; on a worker the same
    # number can name a shard by chance (it once did): make it so, on every worker
    dbname = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    for w in citus.workers:
        with psycopg.connect(w.dsn(dbname), autocommit=True) as wc:
            wc.execute("SET citus.enable_ddl_propagation = off")
            wc.execute("SET citus.show_shards_for_app_name_prefixes = '*'")   # shards are hidden otherwise
            for fn, table in (("messaging_capture_message", "outbound_messages"),
                              ("messaging_capture_event", "message_events"),
                              ("messaging_capture_transition", "campaign_transitions")):
                shard = wc.execute("SELECT oid FROM pg_catalog.pg_class WHERE relkind IN ('r', 'p') AND relname ~ %s "
                                   "ORDER BY oid LIMIT 1", (f"^{table}_[0-9]+$",)).fetchone()
                assert shard, (w.port, table)
                body = wc.execute("SELECT pg_catalog.pg_get_functiondef(%s::regprocedure)",
                                  (f"pgrollup_internal.{fn}()",)).fetchone()[0]
                assert re.search(r"'[0-9]+'::pg_catalog\.regclass", body), fn
                wc.execute(re.sub(r"'[0-9]+'::pg_catalog\.regclass", f"'{shard[0]}'::pg_catalog.regclass", body))
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("INSERT INTO public.outbound_messages (id, tenant_id, campaign_id, contact_id, channel, sent_at) "
                  "SELECT t, t, 1, t, 'email', now() FROM generate_series(1, 30) AS t")
        c.execute("INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at) "
                  "SELECT t, t, 'open', now() FROM generate_series(1, 30) AS t")
        c.execute("INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at) "
                  "VALUES (4, 4, 'click', now())")
        c.execute("INSERT INTO public.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                  "SELECT t, 1, 'running', now() FROM generate_series(1, 30) AS t")
        c.execute("UPDATE public.message_events SET event_type = 'click' WHERE tenant_id = 5")
        c.execute("UPDATE public.outbound_messages SET contact_id = 9 WHERE tenant_id = 6")
        c.execute("DELETE FROM public.campaign_transitions WHERE tenant_id = 7")
        c.execute("TRUNCATE public.message_events_p0")
        remaining = c.execute("SELECT count(*) FROM public.message_events").fetchone()[0]
        assert 0 < remaining < 31
        alert_level, alert = c.execute("SELECT alert_level, alert FROM pgrollup.rollup_health "
                                       "WHERE module = 'messaging'").fetchone()
        assert alert_level == "critical", alert
        for table in ("outbound_messages", "message_events", "campaign_transitions"):
            assert f"{table} is a Citus distributed table (by tenant_id)" in alert, alert
        assert "run pgrollup uninstall" in alert, alert
    res = cli("uninstall", "--dsn", dsn, "--yes")
    assert res.returncode == 0, res.stderr
    assert _pgrollup_objects(dsn) == (0, 0)
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM public.message_events").fetchone()[0] == remaining
        assert c.execute("SELECT count(*) FROM pg_catalog.pg_dist_partition").fetchone()[0] >= 3
        for w in citus.workers:
            with psycopg.connect(w.dsn(c.info.dbname), autocommit=True) as wc:
                assert wc.execute("SELECT count(*) FROM pg_catalog.pg_trigger WHERE tgname LIKE 'pgrollup%'").fetchone()[0] == 0

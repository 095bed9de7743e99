"""pgrollup on a Citus coordinator: source tables that Citus distributes are refused before
anything changes, whatever the session's Citus settings, so the application's writes never fail
because of pgrollup on any node; local source tables on a coordinator install as on PostgreSQL."""
from __future__ import annotations

import uuid

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


@pytest.mark.parametrize("unsafe_triggers", ["off", "on"])
def test_distributed_reporting_events_refused_before_anything_changes(citus, cli, unsafe_triggers):  # noqa: F811
    dsn = _db(citus)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(REPORTING_DDL)
        c.execute("ALTER TABLE public.reporting_events DROP CONSTRAINT reporting_events_pkey")
        c.execute("ALTER TABLE public.reporting_events ADD PRIMARY KEY (account_id, id)")
        c.execute("SELECT create_distributed_table('public.reporting_events', 'account_id')")
    res = cli("install", "--dsn", dsn, "--no-schedule",
              env={"PGOPTIONS": f"-c citus.enable_unsafe_triggers={unsafe_triggers}"})
    assert res.returncode != 0
    assert res.stderr.count("\n") == 1, res.stderr
    assert "reporting_events is a distributed table (by account_id)" in res.stderr and "nothing was changed" in res.stderr
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

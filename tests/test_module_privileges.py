"""Least privilege with the real modules: a non-superuser database owner installs and runs
pgrollup; the application's writer role needs no grant on pgrollup's internals; a BI reader can
read and nothing else."""
import psycopg
import pytest

import messaging_support as ms
import reporting_support as rs


@pytest.fixture
def roles(db, pg_cluster):
    owner, app, bi = (f"{db.name}_{r}" for r in ("owner", "app", "bi"))
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {owner} LOGIN")
        c.execute(f"CREATE ROLE {app} LOGIN")
        c.execute(f"ALTER DATABASE {db.name} OWNER TO {owner}")
    with db.connect() as conn:
        conn.execute(f"ALTER SCHEMA public OWNER TO {owner}")
    with db.connect(user=owner) as conn:                     # the application's schema, owned by its owner
        conn.execute(ms.source_ddl())
        rs.create_source(conn)
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}")
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {app}")
    yield owner, app, bi
    with db.connect() as conn:
        conn.execute(f"REASSIGN OWNED BY {owner} TO postgres")
        for r in (owner, app, bi):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (r,)).fetchone():
                conn.execute(f"DROP OWNED BY {r}")
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"ALTER DATABASE {db.name} OWNER TO postgres")
        for r in (owner, app, bi):
            c.execute(f"DROP ROLE IF EXISTS {r}")


def test_owner_installs_app_writes_reader_reads(db, pg_cluster, cli, roles):
    owner, app, bi = roles
    # an owner without CREATEROLE is given the statements that create this database's roles; a
    # role that may create roles runs them, and the next install grants to them
    res = cli("install", "--dsn", db.dsn_as(owner), "--no-schedule")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(db.dsn, autocommit=True) as c:
        for line in res.stdout.splitlines():
            if line.startswith(("CREATE ROLE", "COMMENT ON ROLE", "GRANT pgrollup_")):
                c.execute(line)
    for _ in range(2):
        res = cli("install", "--dsn", db.dsn_as(owner), "--no-schedule")
        assert res.returncode == 0, res.stderr
    reader = db.scalar("SELECT role_name FROM pgrollup.access_roles WHERE role_kind = 'reader'")
    with db.connect(user=owner) as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        conn.execute("SELECT pgrollup.set_tenant_timezone(1, 'America/St_Johns')")
    # the application role: plain DML on its own tables, no grant on pgrollup_internal at all
    assert db.scalar(f"SELECT has_schema_privilege('{app}', 'pgrollup_internal', 'USAGE')") is False
    with db.connect(user=app) as conn:
        mixed_workload_app(conn)
    with db.connect(user=owner) as conn:
        conn.execute("SELECT * FROM pgrollup.refresh()")
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        conn.execute("SELECT pgrollup.backfill_messaging()")
    with db.connect() as conn:
        assert rs.rollup_mismatches(conn) == []
        ms.assert_exact(conn)
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {bi} LOGIN IN ROLE {reader}")
    with db.connect(user=bi) as conn:
        assert conn.execute("SELECT count(*) FROM pgrollup.metrics_tenant_daily").fetchone()[0] > 0
        conn.execute("SELECT * FROM pgrollup.tenant_daily(1, '2026-01-01', '2026-12-31')").fetchall()
        conn.execute("SELECT * FROM pgrollup.campaign_daily(1, '2026-01-01', '2026-12-31')").fetchall()
        conn.execute("SELECT * FROM pgrollup.contact_hourly(1, 1, '2026-01-01', '2026-12-31')").fetchall()
        conn.execute("SELECT * FROM pgrollup.report_summary(1, '2026-03-01', '2026-04-01', 'agent')").fetchall()
        conn.execute("SELECT * FROM pgrollup.report_timeseries(1, 'resolutions_count', '2026-03-01', '2026-04-01')").fetchall()
        conn.execute("SELECT * FROM pgrollup.reporting_events_rollups LIMIT 1").fetchall()
        # a view over the applied rows and the change log: not writable by anyone
        for stmt in ("INSERT INTO pgrollup.reporting_events_rollups (account_id, date, dimension_type, dimension_id, metric, count) "
                     "VALUES (1, '2026-01-01', 'account', 1, 'x', 1)",
                     "DELETE FROM pgrollup.reporting_events_rollups"):
            with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectNotInPrerequisiteState)):
                conn.execute(stmt)
        for stmt in ("UPDATE pgrollup.event_metrics SET payload_kind = 'count'",
                     "INSERT INTO pgrollup.message_event_metrics VALUES ('sparkle', 'opens')",
                     "SELECT pgrollup.set_reporting_timezone(1, 'UTC')",
                     "SELECT pgrollup.set_tenant_timezone(1, 'UTC')",
                     "SELECT pgrollup.set_rollup_reads(1, false)",
                     "SELECT pgrollup.set_messaging_mode('materialized_view')",
                     "SELECT pgrollup.backfill_reporting(1)",
                     "SELECT pgrollup.backfill_messaging()",
                     "SELECT * FROM pgrollup.refresh()",
                     "SELECT * FROM pgrollup_internal.modules"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)


def mixed_workload_app(conn):
    """The application's writes only (settings, backfill and refresh belong to the owner)."""
    conn.execute("""
        INSERT INTO public.reporting_events (name, value, value_in_business_hours, account_id, inbox_id, user_id,
                                             conversation_id, created_at, updated_at)
        SELECT (ARRAY['conversation_resolved','first_response','reply_time','conversation_bot_handoff'])[1 + g % 4],
               g % 500, g % 200, 1, nullif(g % 3, 0), nullif(g % 4, 0), g % 25,
               timestamp '2026-03-01' + g * interval '37 minutes', timestamp '2026-03-01'
          FROM generate_series(1, 800) g""")
    conn.execute("UPDATE public.reporting_events SET user_id = 9 WHERE id % 5 = 0")
    conn.execute("DELETE FROM public.reporting_events WHERE id % 13 = 0")
    conn.execute("""
        INSERT INTO public.outbound_messages (tenant_id, campaign_id, contact_id, channel, created_at, sent_at)
        SELECT 1, 1 + g % 3, 1 + g % 10, 'email', timestamptz '2026-03-01 00:00+00' + g * interval '29 minutes',
               timestamptz '2026-03-01 00:00+00' + g * interval '29 minutes'
          FROM generate_series(1, 300) g""")
    conn.execute("""
        INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at)
        SELECT 1, m.id, (ARRAY['delivered','open','click'])[1 + (m.id + k) % 3], m.created_at + k * interval '1 hour'
          FROM public.outbound_messages m, generate_series(1, 2) k""")
    conn.execute("DELETE FROM public.message_events WHERE id % 7 = 0")

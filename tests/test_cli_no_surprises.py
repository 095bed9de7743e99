"""Install, demo and the command line without surprises (issue 12, point 7): required columns are
exactly those read, incomplete sources name the module and the fix while the others install, every
option is checked before anything changes, --dry-run shows the job, the indexes and the role
statements first, demo --dsn never changes what exists, options that do not apply are errors,
`timezone` covers accounts and tenants, install prints next steps and refreshes messaging once,
one error prefix, region-only time zones and source schemas of any spelling. Run as a
non-superuser owner where it concerns one."""
from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

import messaging_support as ms
import reporting_support as rs
from pgrollup.engine.cronexpr import check_cron, check_lock_timeout
from pgrollup.errors import UserError

REPO = Path(__file__).resolve().parent.parent


def one_error_line(res) -> str:
    assert res.returncode != 0, res.stdout
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pgrollup: error: "), res.stderr
    assert "pgrollup: error: pgrollup: error:" not in lines[0]
    return lines[0]


def nothing_installed(db) -> bool:
    return db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname IN ('pgrollup', 'pgrollup_internal')") == 0


@pytest.fixture
def owner(db, pg_cluster):
    """A LOGIN role without any special attribute that owns the database and its public schema."""
    role = f"{db.name}_owner"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {role} LOGIN")
        c.execute(f"ALTER DATABASE {db.name} OWNER TO {role}")
    with db.connect() as conn:
        conn.execute(f"ALTER SCHEMA public OWNER TO {role}")
    yield role
    with db.connect() as conn:
        conn.execute(f"REASSIGN OWNED BY {role} TO postgres")
        conn.execute(f"DROP OWNED BY {role}")
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        if pg_cluster.has_cron:
            c.execute("SELECT cron.unschedule(jobid) FROM cron.job WHERE database = %s", (db.name,))
        c.execute(f"ALTER DATABASE {db.name} OWNER TO postgres")
        c.execute(f"DROP ROLE IF EXISTS {role}")


def _as_owner(db, owner, ddl):
    with db.connect(user=owner) as conn:
        conn.execute(ddl)


def _owner_sources(db, owner, *statements):
    """Both modules' source tables, owned by the owner, and the given statements run as the owner."""
    _as_owner(db, owner, ms.source_ddl())
    with db.connect(user=owner) as conn:
        rs.create_source(conn)
        for stmt in statements:
            conn.execute(stmt)


# --- required columns ---------------------------------------------------------------------------

def _manifest_ddl(schema: str = "public") -> str:
    """Source tables with exactly the columns the module manifests list, nothing else."""
    s = sql.Identifier(schema).as_string(None)
    out = []
    for module in ("messaging", "reporting"):
        meta = json.loads((REPO / "sql" / "modules" / f"{module}.json").read_text())
        for table, cols in meta["tables"].items():
            defs = []
            for c in cols:
                if c == "id":
                    defs.append("id bigserial PRIMARY KEY")
                elif c.endswith("_id"):
                    defs.append(f"{c} bigint")
                elif c.endswith("_at"):
                    defs.append(f"{c} {'timestamp' if module == 'reporting' else 'timestamptz'}")
                elif c.startswith("value"):
                    defs.append(f"{c} double precision")
                else:
                    defs.append(f"{c} text")
            out.append(f"CREATE TABLE {s}.{table} ({', '.join(defs)});")
    return "\n".join(out)


def test_manifest_columns_are_enough_for_every_path(db, cli):
    """Source tables holding only the manifest's columns (no message_events.created_at or tenant_id,
    no reporting_events.updated_at) install and work on every path: capture, refresh, backfill,
    plans, materialized-view mode and reads."""
    with db.connect() as conn:
        conn.execute(_manifest_ddl())
    res = cli("install", "--dsn", db.dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    assert set(db.rows("SELECT module FROM pgrollup_internal.modules")) == {("messaging",), ("reporting",)}
    with db.connect() as conn:
        conn.execute("INSERT INTO outbound_messages (tenant_id, campaign_id, contact_id, channel, created_at, sent_at) "
                     "SELECT 1, 7, g, 'email', '2026-03-01 10:00+00', '2026-03-01 10:05+00' FROM generate_series(1, 20) g")
        conn.execute("INSERT INTO message_events (message_id, event_type, occurred_at) "
                     "SELECT id, 'open', sent_at + interval '1 hour' FROM outbound_messages")
        conn.execute("INSERT INTO campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                     "VALUES (1, 7, 'running', '2026-02-28')")
        conn.execute("UPDATE message_events SET occurred_at = occurred_at + interval '1 minute' WHERE id % 3 = 0")
        conn.execute("SELECT pgrollup.set_tenant_timezone(1, 'Asia/Kolkata')")
        conn.execute("SELECT * FROM pgrollup.refresh()")
        ms.assert_exact(conn)
        conn.execute("SELECT * FROM pgrollup.messaging_backfill_plan(1)").fetchall()
        conn.execute("SELECT pgrollup.backfill_messaging(1)")
        conn.execute("SELECT pgrollup.set_messaging_mode('materialized_view')")
        conn.execute("SELECT * FROM pgrollup.refresh()")
        ms.assert_exact(conn)
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        conn.execute("INSERT INTO reporting_events (name, value, value_in_business_hours, account_id, inbox_id, user_id, "
                     "conversation_id, created_at) VALUES ('conversation_resolved', 60, 30, 1, 2, 3, 4, '2026-03-01 10:00'), "
                     "('conversation_bot_handoff', NULL, NULL, 1, 2, NULL, 5, '2026-03-02 10:00')")
        conn.execute("UPDATE reporting_events SET value = 90 WHERE name = 'conversation_resolved'")
        conn.execute("SELECT * FROM pgrollup.refresh()")
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        conn.execute("SELECT * FROM pgrollup.reporting_backfill_plan(1)").fetchall()
        assert rs.rollup_mismatches(conn) == []
        conn.execute("SELECT * FROM pgrollup.report_summary(1, '2026-02-01', '2026-04-01', 'agent')").fetchall()
        conn.execute("SELECT * FROM pgrollup.report_timeseries(1, 'bot_handoffs_count', '2026-02-01', '2026-04-01')").fetchall()


def test_incomplete_module_is_named_while_the_others_install(db, owner, cli):
    _owner_sources(db, owner, "ALTER TABLE message_events DROP COLUMN event_type")
    # asked for explicitly: stops before anything changes and says how to install the rest
    res = cli("install", "--dsn", db.dsn_as(owner), "--module", "messaging", "--no-schedule")
    line = one_error_line(res)
    assert "message_events.event_type" in line and "--module reporting" in line
    assert nothing_installed(db)
    # by default: reporting installs, messaging is named with the fix
    res = cli("install", "--dsn", db.dsn_as(owner), "--no-schedule")
    assert res.returncode == 0, res.stderr
    assert "messaging" in res.stderr and "message_events.event_type" in res.stderr and "--module messaging" in res.stderr
    assert db.rows("SELECT module FROM pgrollup_internal.modules") == [("reporting",)]
    # fixed: the next install adds messaging
    with db.connect(user=owner) as conn:
        conn.execute("ALTER TABLE message_events ADD COLUMN event_type text")
    res = cli("install", "--dsn", db.dsn_as(owner), "--no-schedule")
    assert res.returncode == 0 and "warning" not in res.stderr, res.stderr
    assert set(db.rows("SELECT module FROM pgrollup_internal.modules")) == {("messaging",), ("reporting",)}


# --- options checked before anything changes ----------------------------------------------------

@pytest.mark.parametrize("args", [
    ["--schedule", "61 * * * *"],
    ["--cron", "* * *"],
    ["--schedule", "*/0 * * * *"],
    ["--schedule", "30 seconds"],
    ["--lock-timeout", "0"],
    ["--lock-timeout", "soon"],
    ["--retries", "-1"],
    ["--module", "sales"],
    ["--source-schema", "no_such_schema"],
    ["--schedule", "0 * * * *", "--no-schedule"],
])
def test_bad_install_option_changes_nothing(db, owner, cli, args):
    _as_owner(db, owner, ms.source_ddl())
    res = cli("install", "--dsn", db.dsn_as(owner), *args)
    line = one_error_line(res)
    assert args[0] in line or args[1] in line, line
    assert nothing_installed(db)
    if db.cluster.has_cron:
        with psycopg.connect(db.cluster.dsn("postgres")) as c:
            assert c.execute("SELECT count(*) FROM cron.job WHERE database = %s", (db.name,)).fetchone()[0] == 0


def test_schedule_option_checked_and_aliases(cli):
    res = cli("schedule", "--schedule", "0 25 * * *", "--dsn", "host=/nonexistent dbname=x")
    line = one_error_line(res)
    assert "hour 25" in line
    for cmd, first, second in (("install", "--schedule", "--cron"), ("schedule", "--cron", "--schedule")):
        out = cli(cmd, "--help").stdout
        assert f"{first}, {second} CRON" in out, out


def test_install_cron_and_schedule_schedule_aliases_register_the_job(db, cli):
    if not db.cluster.has_cron:
        pytest.skip("pg_cron is not available")
    ms.create_sources(db)

    def job_schedule():
        with psycopg.connect(db.cluster.dsn("postgres")) as c:
            return c.execute("SELECT schedule FROM cron.job WHERE database = %s", (db.name,)).fetchall()

    res = cli("install", "--dsn", db.dsn, "--cron", "*/7 * * * *")
    assert res.returncode == 0, res.stderr
    assert job_schedule() == [("*/7 * * * *",)] and "scheduled with pg_cron at '*/7 * * * *'" in res.stdout
    res = cli("schedule", "--dsn", db.dsn, "--schedule", "@daily")
    assert res.returncode == 0, res.stderr
    assert job_schedule() == [("0 0 * * *",)]


def test_cron_and_lock_timeout_checks():
    for ok in ("0 * * * *", "*/15 * * * *", "0 3 * * mon-fri", "0 0 1,15 jan,jul *", "0-30/10 8-18 * * 1-5", "5 4 * * 7"):
        assert check_cron(ok) == ok
    assert check_cron("@hourly") == "0 * * * *" and check_cron("  0  *  * * * ") == "0 * * * *"
    for bad in ("61 * * * *", "* * * *", "* * * * * *", "0 24 * * *", "0 0 0 * *", "0 0 * 13 *", "0 0 * * 8",
                "5/10 * * * *", "10-5 * * * *", "30 seconds", "", "0 * * * ;", "x" * 10_000):
        with pytest.raises(UserError) as err:
            check_cron(bad)
        assert len(str(err.value)) < 400
    assert check_lock_timeout("5s") == "5s" and check_lock_timeout("250") == "250ms"
    for bad in ("0", "-1s", "5 parsecs", "2d", ""):
        with pytest.raises(UserError):
            check_lock_timeout(bad)


# --- dry run ----------------------------------------------------------------------------------------

def _dry_run_head(res):
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    sql_start = out.index("-- the SQL it would run:")
    assert "nothing was changed" in out[0]
    assert any(line.startswith("CREATE OR REPLACE FUNCTION") for line in out[sql_start:])
    return "\n".join(out[:sql_start])


def test_dry_run_shows_job_indexes_and_roles_first(db, owner, cli):
    _as_owner(db, owner, ms.source_ddl().replace('CREATE INDEX ON "public".message_events (message_id);', ""))
    head = _dry_run_head(cli("install", "--dsn", db.dsn_as(owner), "--dry-run"))
    assert "-- pg_cron job:" in head
    if f"pg_cron job: pgrollup-refresh-{db.name}" in head:
        assert "schedule '0 * * * *'" in head
    assert 'CREATE INDEX CONCURRENTLY "message_events_message_id_idx" ON "public"."message_events" ("message_id");' in head
    assert "-- roles:" in head
    assert "first refresh" in head
    assert nothing_installed(db)
    if db.cluster.has_cron:       # where pg_cron is reachable: the job, its schedule, command and databases
        head = _dry_run_head(cli("install", "--dsn", db.dsn, "--dry-run", "--schedule", "*/10 * * * *"))
        assert f"-- pg_cron job: pgrollup-refresh-{db.name}, schedule '*/10 * * * *' (UTC)" in head
        assert "command: CALL pgrollup.run_refresh()" in head and f"runs in database {db.name}" in head
        assert nothing_installed(db)


# --- demo --dsn -------------------------------------------------------------------------------------

def test_demo_dsn_refuses_existing_data_and_keeps_settings(db, owner, cli):
    _as_owner(db, owner, ms.source_ddl())
    with db.connect(user=owner) as conn:
        conn.execute("INSERT INTO outbound_messages (tenant_id, contact_id, channel, sent_at) VALUES (1, 1, 'sms', now())")
    assert cli("install", "--dsn", db.dsn_as(owner), "--no-schedule").returncode == 0
    with db.connect(user=owner) as conn:
        conn.execute("SELECT pgrollup.set_tenant_timezone(1, 'Pacific/Chatham')")
    before = db.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    line = one_error_line(cli("demo", "--dsn", db.dsn_as(owner)))
    assert "outbound_messages has rows" in line and "--yes" in line
    assert db.rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1") == before
    res = cli("demo", "--dsn", db.dsn_as(owner), "--yes")
    assert res.returncode == 0, res.stderr
    assert db.scalar("SELECT timezone FROM pgrollup_internal.msg_tenants WHERE tenant_id = 1") == "Pacific/Chatham"
    assert db.scalar("SELECT count(*) FROM outbound_messages") == 1             # no rows added to an existing table
    assert db.scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'message_events'") == 2  # no index added
    if db.cluster.has_cron:
        with psycopg.connect(db.cluster.dsn("postgres")) as c:
            assert c.execute("SELECT count(*) FROM cron.job WHERE database = %s", (db.name,)).fetchone()[0] == 0


# --- options that do not apply, timezone ------------------------------------------------------------

def test_backfill_options_that_do_not_apply_are_errors(db, cli):
    ms.create_sources(db)
    rs.setup(db)
    db.install(["messaging"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
    runs = db.scalar("SELECT count(*) FROM pgrollup.refresh_runs")
    line = one_error_line(cli("backfill", "--dsn", db.dsn, "--module", "messaging", "--account", "5"))
    assert "--account" in line and "--tenant" in line
    line = one_error_line(cli("backfill", "--dsn", db.dsn, "--module", "reporting", "--tenant", "3"))
    assert "--tenant" in line and "--account" in line
    assert db.scalar("SELECT count(*) FROM pgrollup.refresh_runs") == runs
    help_text = cli("backfill", "--help").stdout
    assert "--from DATE" in help_text and "--account ID" in help_text and "%Y" not in help_text
    assert "--module MODULE" in help_text


def test_timezone_for_tenants_and_accounts(db, owner, cli):
    _owner_sources(db, owner, "INSERT INTO outbound_messages (tenant_id, contact_id, channel, sent_at) "
                              "VALUES (3, 1, 'sms', '2026-03-01 20:00+00')")
    assert cli("install", "--dsn", db.dsn_as(owner), "--no-schedule").returncode == 0
    assert db.scalar("SELECT date FROM pgrollup.metrics_tenant_daily WHERE tenant_id = 3").isoformat() == "2026-03-01"
    res = cli("timezone", "--dsn", db.dsn_as(owner), "--tenant", "3", "asia/kolkata")
    assert res.returncode == 0, res.stderr
    assert "Asia/Kolkata" in res.stdout and "next refresh" in res.stdout and "1 message over" in res.stdout
    assert cli("refresh", "--dsn", db.dsn_as(owner)).returncode == 0
    assert db.scalar("SELECT date FROM pgrollup.metrics_tenant_daily WHERE tenant_id = 3").isoformat() == "2026-03-02"
    res = cli("timezone", "--dsn", db.dsn_as(owner), "--account", "1", "America/St_Johns")
    assert res.returncode == 0, res.stderr
    assert db.scalar("SELECT timezone FROM pgrollup_internal.reporting_accounts WHERE account_id = 1") == "America/St_Johns"
    for args in (["--tenant", "3", "--account", "1", "UTC"], ["UTC"]):
        assert "exactly one" in one_error_line(cli("timezone", "--dsn", db.dsn_as(owner), *args))
    assert "localtime" in one_error_line(cli("timezone", "--dsn", db.dsn_as(owner), "--tenant", "3", "localtime"))
    assert db.scalar("SELECT timezone FROM pgrollup_internal.msg_tenants WHERE tenant_id = 3") == "Asia/Kolkata"


# --- after install ----------------------------------------------------------------------------------

def test_install_prints_next_steps_and_refreshes_messaging(db, owner, cli):
    _owner_sources(db, owner, "INSERT INTO outbound_messages (tenant_id, contact_id, channel, sent_at) "
                              "SELECT 1, g, 'email', now() - g * interval '1 hour' FROM generate_series(1, 50) g")
    res = cli("install", "--dsn", db.dsn_as(owner), "--no-schedule")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "next steps:" in out
    assert "pgrollup timezone --account ID ZONE" in out and "nothing is rolled up" in out
    assert "pgrollup timezone --tenant ID ZONE" in out and "UTC" in out
    assert "first refresh done in" in out
    assert "pgrollup refresh" in out                                     # no scheduler: say so
    # messaging's views are current right after install, not after the first scheduled run
    assert db.scalar("SELECT sum(sends) FROM pgrollup.metrics_tenant_daily") == 50
    assert db.rows("SELECT module, status FROM pgrollup.refresh_runs") == [("messaging", "ok")]
    # a second install does not refresh again
    res = cli("install", "--dsn", db.dsn_as(owner), "--no-schedule")
    assert res.returncode == 0 and "first refresh" not in res.stdout
    assert db.scalar("SELECT count(*) FROM pgrollup.refresh_runs") == 1


def test_install_no_refresh_says_views_are_empty(db, owner, cli):
    _owner_sources(db, owner, "INSERT INTO outbound_messages (tenant_id, contact_id, channel, sent_at) VALUES (1, 1, 'sms', now())")
    res = cli("install", "--dsn", db.dsn_as(owner), "--no-schedule", "--no-refresh")
    assert res.returncode == 0, res.stderr
    assert "not refreshed yet" in res.stdout and "pgrollup refresh --module messaging" in res.stdout
    assert db.scalar("SELECT count(*) FROM pgrollup.refresh_runs") == 0


# --- errors -----------------------------------------------------------------------------------------

def test_permission_errors_name_the_role_to_connect_as(db, owner, pg_cluster, cli):
    other = f"{db.name}_other"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {other} LOGIN")
    try:
        with db.connect() as conn:                      # source tables owned by another role
            conn.execute(ms.source_ddl())
            conn.execute(f"ALTER TABLE outbound_messages OWNER TO {other}")
            conn.execute(f"GRANT CONNECT ON DATABASE {db.name} TO {other}")
        line = one_error_line(cli("install", "--dsn", db.dsn_as(owner), "--no-schedule"))
        assert "permission denied" in line and "outbound_messages" in line and other in line
        assert line.count("permission denied") == 1
        assert nothing_installed(db)
        with db.connect() as conn:
            conn.execute(f"ALTER TABLE outbound_messages OWNER TO {owner}")
            conn.execute(f"ALTER TABLE message_events OWNER TO {owner}")
            conn.execute(f"ALTER TABLE campaign_transitions OWNER TO {owner}")
        assert cli("install", "--dsn", db.dsn_as(owner), "--no-schedule").returncode == 0
        # another role: upgrading is refused up front, naming the role to connect as
        line = one_error_line(cli("install", "--dsn", db.dsn_as(other), "--no-schedule"))
        assert "permission denied" in line and f"connect as {owner}" in line
        # reading without a grant: one "permission denied", with a hint
        line = one_error_line(cli("status", "--dsn", db.dsn_as(other)))
        assert line.count("permission denied") == 1 and f"connect as {owner}" in line
    finally:
        with db.connect() as conn:
            conn.execute(f"DROP OWNED BY {other}")
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"DROP ROLE IF EXISTS {other}")


def test_role_hint_is_one_statement_per_line_and_only_those_needed(db, owner, cli):
    """An owner without CREATEROLE gets this database's role statements, one per line, only those
    a role with CREATEROLE must run (the grants on pgrollup's objects come with the next install)."""
    _as_owner(db, owner, ms.source_ddl())
    res = cli("install", "--dsn", db.dsn_as(owner), "--no-schedule")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "a role with CREATEROLE runs" in line)
    stmts = []
    for line in lines[start + 1:]:
        if not line.strip().endswith(";"):
            break
        stmts.append(line.strip())
    assert stmts and all(st.count(";") == 1 for st in stmts), stmts
    assert all(st.startswith(("CREATE ROLE", "COMMENT ON ROLE")) or (st.startswith("GRANT") and " ON " not in st)
               for st in stmts), stmts
    assert sum(st.startswith("CREATE ROLE") for st in stmts) == 2
    assert all(len(line) < 200 for line in lines), lines


def test_help_lines_are_whole(cli):
    out = cli("--help").stdout
    commands = out.split("Commands:", 1)[1]
    assert "..." not in commands and "…" not in commands
    for cmd in ("install", "uninstall", "status", "refresh", "schedule", "unschedule", "backfill", "timezone", "demo"):
        assert f"  {cmd} " in commands
    for cmd in ("install", "backfill", "refresh"):
        assert "--module MODULE" in cli(cmd, "--help").stdout
    line = one_error_line(cli("install", "--no-such-option"))
    assert "--no-such-option" in line


# --- time zones -------------------------------------------------------------------------------------

def test_only_region_time_zones(db):
    ms.create_sources(db)
    db.install(["messaging"])
    with db.connect() as conn:
        for bad in ("localtime", "posixrules", "Factory", "factory", "posix/Asia/Kolkata", "right/UTC",
                    "SystemV/EST5", "IST", "+05:30", "UTC+5", ""):
            with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
                conn.execute("SELECT pgrollup_internal.check_timezone(%s)", (bad,))
            assert repr(bad)[1:-1] in str(err.value) or bad == ""
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                conn.execute("SELECT pgrollup.set_tenant_timezone(1, %s)", (bad,))
        for good, canonical in (("UTC", "UTC"), ("Etc/GMT+5", "Etc/GMT+5"), ("asia/kolkata", "Asia/Kolkata"),
                                ("US/Eastern", "US/Eastern"), ("Pacific/Chatham", "Pacific/Chatham")):
            assert conn.execute("SELECT pgrollup_internal.check_timezone(%s)", (good,)).fetchone()[0] == canonical
        huge = "x" * 10_000_000
        t0 = time.perf_counter()
        with pytest.raises(psycopg.errors.InvalidParameterValue) as err:
            conn.execute("SELECT pgrollup.set_tenant_timezone(1, %s)", (huge,))
        assert time.perf_counter() - t0 < 2
        message = str(err.value).splitlines()[0]
        assert len(message) < 400 and "x" * 100 + "'…" in message and "10000000 characters" in message


# --- source schemas of any spelling -----------------------------------------------------------------

@pytest.mark.parametrize("schema", ["s$$x", "Mixed Case", 'a"b', "it's $q$"])
def test_source_schema_of_any_spelling(db, cli, schema):
    q = sql.Identifier(schema).as_string(None)
    with db.connect() as conn:
        conn.execute(ms.source_ddl(schema))
        rs.create_source(conn, q)
    res = cli("install", "--dsn", db.dsn, "--source-schema", schema, "--no-schedule")
    assert res.returncode == 0, res.stderr
    assert set(db.rows("SELECT module, source_schema FROM pgrollup_internal.modules")) == \
        {("messaging", schema), ("reporting", schema)}
    with db.connect() as conn:
        conn.execute(f"INSERT INTO {q}.outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at) "
                     "VALUES (1, 2, 3, 'email', '2026-03-01 10:00+00'), (1, NULL, 4, 'sms', '2026-03-02 10:00+00')")
        conn.execute(f"INSERT INTO {q}.message_events (tenant_id, message_id, event_type, occurred_at) "
                     f"SELECT tenant_id, id, 'open', sent_at + interval '5 minutes' FROM {q}.outbound_messages")
        conn.execute(f"INSERT INTO {q}.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                     "VALUES (1, 2, 'running', '2026-02-27')")
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'Asia/Kolkata')")
        rs.insert(conn, [{"name": "conversation_resolved", "value": 60.0, "account_id": 1, "user_id": 2, "inbox_id": 3,
                          "conversation_id": 4, "created_at": "2026-03-01 20:00"}], schema=q)
        conn.execute("SELECT * FROM pgrollup.refresh()")
        ms.assert_exact(conn, schema)
        assert rs.rollup_mismatches(conn, q) == []
        assert conn.execute("SELECT count(*) FROM pgrollup.report_summary(1, '2026-02-01', '2026-04-01', 'agent')").fetchone()[0] == 1
        conn.execute("SELECT * FROM pgrollup.messaging_backfill_plan(1)").fetchall()
        conn.execute("SELECT pgrollup.set_messaging_mode('materialized_view')")
        conn.execute("SELECT * FROM pgrollup.refresh()")
        ms.assert_exact(conn, schema)

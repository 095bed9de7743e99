"""Do no harm: nothing outside pgrollup can block it. The per-module maintenance lock is a row lock
on pgrollup's own registry, which a role without pgrollup's privileges cannot take; the advisory
lock keys the lock used to be (one namespace shared by every role) no longer matter."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest

from messaging_support import create_sources


@pytest.fixture
def nobody(db, pg_cluster):
    role = f"{db.name}_nobody"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {role} LOGIN")
    yield role
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"DROP OWNED BY {role}")
        c.execute(f"DROP ROLE {role}")


@pytest.fixture
def mdb(db):
    create_sources(db)
    db.install(modules=["messaging"])
    return db


def _refresh_fast(conn, module="messaging"):
    conn.execute("SET lock_timeout = '2s'")
    conn.execute("SET statement_timeout = '20s'")
    return conn.execute("SELECT status FROM pgrollup.refresh(%s)", (module,)).fetchall()


def test_old_advisory_keys_do_not_block_refresh(mdb, nobody):
    with mdb.connect(user=nobody) as hostile:
        assert hostile.execute("SELECT pg_advisory_lock(1885827701, hashtext('messaging'))").fetchone()
        assert hostile.execute("SELECT pg_advisory_lock(1885827701, hashtext('reporting'))").fetchone()
        with mdb.connect() as conn:
            assert _refresh_fast(conn) == [("ok",)]
            # without waiting, too: the module is not reported busy
            assert conn.execute("SELECT status FROM pgrollup.refresh('messaging', false)").fetchall() == [("ok",)]


def test_role_without_grants_cannot_take_the_module_lock(mdb, nobody):
    with mdb.connect(user=nobody, autocommit=False) as hostile:
        for stmt in ("SELECT * FROM pgrollup_internal.modules FOR UPDATE",
                     "SELECT pgrollup_internal.lock_module('messaging', true)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                hostile.execute(stmt)
            hostile.rollback()
    with mdb.connect() as conn:
        assert _refresh_fast(conn) == [("ok",)]


def test_module_lock_still_serializes_refreshes(mdb):
    with mdb.connect(autocommit=False) as holder:
        assert holder.execute("SELECT pgrollup_internal.lock_module('messaging', true)").fetchone()[0] is True
        with mdb.connect() as conn:
            assert conn.execute("SELECT status FROM pgrollup.refresh('messaging', false)").fetchall() == [("skipped",)]
            assert conn.execute("SELECT pgrollup_internal.lock_module('messaging', false)").fetchone()[0] is False
        holder.rollback()
    with mdb.connect() as conn:
        assert conn.execute("SELECT status FROM pgrollup.refresh('messaging', false)").fetchall() == [("ok",)]


# ---------------------------------------------------------------------------------------------
# Lost capture is loud: missing or disabled capture triggers and a source table dropped and
# recreated make rollup_health critical (with the reason and the repair) and pgrollup status exit 2.

def _health(conn, module):
    return conn.execute("SELECT alert_level, alert FROM pgrollup.rollup_health WHERE module = %s", (module,)).fetchone()


@pytest.fixture
def bothdb(db):
    from core_support import REPORTING_EVENTS_DDL
    create_sources(db)
    with db.connect() as conn:
        conn.execute(REPORTING_EVENTS_DDL)
    db.install(modules=["messaging", "reporting"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.refresh()")
    return db


def _assert_critical(db, cli, module, *words):
    with db.connect() as conn:
        level, alert = _health(conn, module)
    assert level == "critical", alert
    for w in words:
        assert w in alert, alert
    res = cli("status", "--dsn", db.dsn)
    assert res.returncode == 2, res.stdout + res.stderr


def _assert_ok(db, cli):
    with db.connect() as conn:
        rows = conn.execute("SELECT module, alert_level, alert FROM pgrollup.rollup_health ORDER BY 1").fetchall()
    assert [r[1] for r in rows] == ["ok", "ok"], rows
    assert cli("status", "--dsn", db.dsn).returncode == 0


def test_health_ok_after_install(bothdb, cli):
    _assert_ok(bothdb, cli)


@pytest.mark.parametrize("module, table, trigger", [
    ("messaging", "message_events", "pgrollup_messaging_insert"),
    ("messaging", "outbound_messages", "pgrollup_messaging_truncate"),
    ("reporting", "reporting_events", "pgrollup_reporting_update"),
])
def test_dropped_trigger_is_critical_until_install(bothdb, cli, module, table, trigger):
    with bothdb.connect() as conn:
        conn.execute(f"DROP TRIGGER {trigger} ON {table}")
    _assert_critical(bothdb, cli, module, trigger, table, "install")
    with bothdb.connect() as conn:   # a refresh does not hide it
        conn.execute("SELECT pgrollup.refresh()")
    _assert_critical(bothdb, cli, module, trigger)
    bothdb.install(modules=["messaging", "reporting"])
    _assert_ok(bothdb, cli)


def test_disabled_trigger_is_critical(bothdb, cli):
    with bothdb.connect() as conn:
        conn.execute("ALTER TABLE reporting_events DISABLE TRIGGER pgrollup_reporting_insert")
    _assert_critical(bothdb, cli, "reporting", "disabled", "pgrollup_reporting_insert")
    with bothdb.connect() as conn:
        conn.execute("ALTER TABLE reporting_events ENABLE TRIGGER pgrollup_reporting_insert")
        conn.execute("ALTER TABLE campaign_transitions DISABLE TRIGGER USER")
    _assert_critical(bothdb, cli, "messaging", "disabled", "campaign_transitions")
    with bothdb.connect() as conn:
        conn.execute("ALTER TABLE campaign_transitions ENABLE TRIGGER USER")
    _assert_ok(bothdb, cli)


def test_source_table_dropped_and_recreated_is_critical_until_install(bothdb, cli):
    from core_support import REPORTING_EVENTS_DDL
    with bothdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
        conn.execute("INSERT INTO reporting_events (name, account_id, created_at) "
                     "VALUES ('conversation_resolved', 1, '2024-03-01 10:00')")
        conn.execute("DROP TABLE reporting_events")
        conn.execute(REPORTING_EVENTS_DDL)
        conn.execute("INSERT INTO reporting_events (name, account_id, created_at) "
                     "VALUES ('conversation_resolved', 1, '2024-03-02 10:00')")
        conn.execute("SELECT pgrollup.refresh()")
    _assert_critical(bothdb, cli, "reporting", "dropped and recreated", "install")
    bothdb.install(modules=["messaging", "reporting"])   # restates everything from the new table
    _assert_ok(bothdb, cli)
    with bothdb.connect() as conn:
        assert conn.execute("SELECT date::text, count FROM pgrollup.reporting_events_rollups "
                            "WHERE dimension_type = 'account' AND metric = 'resolutions_count'").fetchall() == [("2024-03-02", 1)]


def test_messaging_source_dropped_is_critical(bothdb, cli):
    with bothdb.connect() as conn:
        conn.execute("DROP TABLE campaign_transitions")
    _assert_critical(bothdb, cli, "messaging", "campaign_transitions", "missing")


# one write per source table, with the columns it must name (NOT NULL without a default) and
# literals that fit whatever type a column is changed to
_WRITES = {
    "reporting_events": {"name": "'conversation_resolved'", "account_id": "'1'", "created_at": "'2024-03-01 10:00'"},
    "outbound_messages": {"tenant_id": "'1'", "contact_id": "'1'", "channel": "'email'"},
    "message_events": {"tenant_id": "'1'", "message_id": "'1'", "event_type": "'open'", "occurred_at": "'2024-03-01 10:00'"},
    "campaign_transitions": {"tenant_id": "'1'", "campaign_id": "'1'", "to_status": "'running'",
                             "transitioned_at": "'2024-03-01 10:00'"},
}


def test_every_column_read_renamed_or_retyped_never_fails_a_write(bothdb):
    """For every column a module reads (every row of pgrollup_internal.source_columns), a rename and
    a change to a type its kind does not accept let the application's INSERT through and record the
    capture failure; the same session writes before and after each migration, so the column check
    folded into its cached plans is planned again after each one."""
    with bothdb.connect() as conn:
        columns = conn.execute("SELECT table_name, column_name, kind FROM pgrollup_internal.source_columns "
                               "ORDER BY 1, 2").fetchall()
        assert {t for t, _c, _k in columns} == set(_WRITES)
        for table, column, kind in columns:
            wrong = "jsonb" if kind == "text" else "text"   # a type its kind does not accept
            original = conn.execute(
                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attname = %s", (table, column)).fetchone()[0]
            for renamed in (True, False):
                conn.execute("DELETE FROM pgrollup_internal.capture_failures")
                if renamed:
                    conn.execute(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_x")
                    values = {(f"{column}_x" if c == column else c): v for c, v in _WRITES[table].items()}
                else:
                    conn.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {wrong} USING {column}::text::{wrong}"
                                 if wrong == "text" else
                                 f"ALTER TABLE {table} ALTER COLUMN {column} TYPE jsonb USING to_jsonb({column})")
                    values = {c: (f"to_jsonb({v}::text)" if c == column and wrong == "jsonb" else v)
                              for c, v in _WRITES[table].items()}
                conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(values.values())})")
                assert conn.execute("SELECT count(*) FROM pgrollup_internal.capture_failures").fetchone()[0] >= 1, \
                    (table, column, "renamed" if renamed else "retyped")
                if renamed:
                    conn.execute(f"ALTER TABLE {table} RENAME COLUMN {column}_x TO {column}")
                else:
                    conn.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {original} "
                                 f"USING ({column} #>> '{{}}')::{original}" if wrong == "jsonb" else
                                 f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {original} USING {column}::{original}")


_TABLES = {"reporting_events": ("reporting", "value_in_business_hours", "pgrollup_internal.reporting_capture()"),
           "message_events": ("messaging", "id", "pgrollup_internal.messaging_capture_event()")}


def _log_rows(conn, table):
    log = "pgrollup_internal.reporting_changes" if table == "reporting_events" else "pgrollup_internal.msg_changes"
    return conn.execute(f"SELECT count(*) FROM {log}").fetchone()[0]


def _insert(conn, table):
    values = _WRITES[table]
    conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(values.values())})")


@pytest.mark.parametrize("table", sorted(_TABLES))
def test_a_migration_committed_after_a_repeatable_read_snapshot_never_fails_a_write(bothdb, table):
    """A REPEATABLE READ transaction whose snapshot predates a column rename that commits before
    its INSERT: the trigger's own SQL is parsed against the new columns, so the column check must
    not read the catalog through that snapshot (it did, and the INSERT failed with 'column ...
    does not exist'). Also when the INSERT waited for the migration's lock."""
    module, column, _fn = _TABLES[table]
    with bothdb.connect() as app, bothdb.connect() as dba:
        _insert(app, table)                                   # plans cached in this session
        for blocked in (False, True):
            dba.execute("DELETE FROM pgrollup_internal.capture_failures")
            app.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            app.execute("SELECT count(*) FROM pg_class")      # the transaction's snapshot
            if blocked:
                dba.execute("BEGIN")
                dba.execute(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_x")
                threading.Timer(0.5, lambda: dba.execute("COMMIT")).start()
            else:
                dba.execute(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_x")
            _insert_any(app, table, column)
            app.execute("COMMIT")
            time.sleep(0.6)
            failures = dba.execute("SELECT module, problem FROM pgrollup_internal.capture_failures").fetchall()
            assert failures == [(module, f"column public.{table}.{column} is missing (renamed or dropped)")], failures
            dba.execute(f"ALTER TABLE {table} RENAME COLUMN {column}_x TO {column}")


def _insert_any(conn, table, column):
    """An INSERT that names neither the old nor the new name of the renamed column."""
    values = {c: v for c, v in _WRITES[table].items() if c != column}
    conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join(values.values())})")


@pytest.mark.parametrize("table", sorted(_TABLES))
def test_capture_follows_migrations_of_another_session(bothdb, table):
    """The capture functions are bound to their source tables at install (their column check is
    folded into cached plans that depend on the table): a session keeps writing while another
    renames a column (skipped and recorded, the write goes through), renames it back (captured
    again), and drops and recreates the table (unbound until install binds the new one)."""
    from core_support import REPORTING_EVENTS_DDL
    from messaging_support import source_ddl
    module, column, fn = _TABLES[table]

    def bound_to(conn):
        return conn.execute("SELECT substring(pg_get_functiondef(%s::regprocedure) "
                            "FROM $$'([0-9]+)'::pg_catalog.regclass$$)::oid", (fn,)).fetchone()[0]

    with bothdb.connect() as app, bothdb.connect() as dba:
        assert bound_to(dba) == dba.execute("SELECT %s::regclass::oid", (table,)).fetchone()[0]
        before = _log_rows(dba, table)
        _insert(app, table)
        assert _log_rows(dba, table) == before + 1
        dba.execute(f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_x")
        _insert_any(app, table, column)
        assert _log_rows(dba, table) == before + 1
        assert dba.execute("SELECT count(*) FROM pgrollup_internal.capture_failures WHERE module = %s",
                           (module,)).fetchone()[0] == 1
        dba.execute(f"ALTER TABLE {table} RENAME COLUMN {column}_x TO {column}")
        _insert(app, table)
        assert _log_rows(dba, table) == before + 2
        # dropped and recreated: the new table has no triggers and the function no binding to it
        # until install
        dba.execute(f"DROP TABLE {table} CASCADE")
        if table == "reporting_events":
            dba.execute(REPORTING_EVENTS_DDL)
        else:
            ddl = source_ddl()
            start = ddl.index('CREATE TABLE "public".message_events')
            dba.execute(ddl[start:ddl.index("CREATE TABLE", start + 1)])
        assert bound_to(dba) != dba.execute("SELECT %s::regclass::oid", (table,)).fetchone()[0]
    bothdb.install(modules=["messaging", "reporting"])
    with bothdb.connect() as app, bothdb.connect() as dba:
        assert bound_to(dba) == dba.execute("SELECT %s::regclass::oid", (table,)).fetchone()[0]
        before = _log_rows(dba, table)
        _insert(app, table)
        assert _log_rows(dba, table) == before + 1


def test_columns_of_a_domain_over_an_accepted_type_are_captured(db):
    """Source columns declared with a domain (with or without a CHECK, a domain over a domain) over
    a type pgrollup accepts are no drift: both modules install, capture, refresh and read exactly,
    and health stays ok (they were reported as drift, and nothing was captured)."""
    import test_core_partitions as tp
    from messaging_support import assert_exact
    with db.connect() as conn:
        conn.execute("CREATE DOMAIN public.ident AS integer CHECK (VALUE > 0); "
                     "CREATE DOMAIN public.big_ident AS bigint; CREATE DOMAIN public.label AS varchar; "
                     "CREATE DOMAIN public.short_label AS public.label CHECK (length(VALUE) < 100); "
                     "CREATE DOMAIN public.moment AS timestamp; CREATE DOMAIN public.amount AS double precision")
        conn.execute(tp.REPORTING_DDL.split(" PARTITION BY")[0].replace("PRIMARY KEY (id, created_at))", "PRIMARY KEY (id))")
                     .replace("name varchar", "name public.short_label").replace("account_id integer", "account_id public.ident")
                     .replace("value double precision", "value public.amount")
                     .replace("created_at timestamp NOT NULL", "created_at public.moment NOT NULL") + ";")
        conn.execute(tp.MESSAGING_DDL.replace(" PARTITION BY LIST (tenant_id)", "")
                     .replace("tenant_id bigint", "tenant_id public.big_ident").replace("event_type text", "event_type public.label"))
    db.install(modules=["messaging", "reporting"])
    with db.connect() as conn:
        for account, zone in ((1, "Asia/Kolkata"), (2, "America/St_Johns"), (3, "UTC")):
            conn.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, zone))
        tp._rep_rows(conn, "reporting_events", 1, 40)
        tp._msg_rows(conn, 1, 8)
        tp._msg_rows(conn, 2, 8)
        conn.execute("UPDATE reporting_events SET value = value + 1 WHERE id % 3 = 0")
        conn.execute("DELETE FROM message_events WHERE id % 4 = 0")
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.capture_failures").fetchone()[0] == 0
        for module in ("reporting", "messaging"):
            assert tp._health(conn, module)[0] == "ok", tp._health(conn, module)
        tp._refresh_all(conn)
        assert not tp._rep_mismatches(conn)
        assert_exact(conn)
        assert conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups").fetchone()[0] > 0


def test_numeric_values_beyond_double_precision_never_fail_a_write(db):
    """A numeric value column holding what double precision cannot (beyond its range, too close to
    zero, NaN, infinities): the application's writes, updates and deletes go through (the capture's
    cast used to raise 'out of range for type double precision'), the refresh and the reads
    succeed, and the accounts with ordinary values stay exact."""
    import test_core_partitions as tp
    with db.connect() as conn:
        conn.execute(tp.REPORTING_DDL.split(" PARTITION BY")[0].replace("PRIMARY KEY (id, created_at))", "PRIMARY KEY (id))")
                     .replace("value double precision, value_in_business_hours double precision",
                              "value numeric, value_in_business_hours numeric") + ";")
    db.install(modules=["reporting"])
    with db.connect() as conn:
        for account, zone in ((1, "Asia/Kolkata"), (2, "UTC"), (3, "UTC")):
            conn.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, zone))
        tp._rep_rows(conn, "reporting_events", 1, 30)
        for v in ("1e400", "-1e400", "1e-400", "'NaN'", "'Infinity'", "'-Infinity'"):
            conn.execute("INSERT INTO reporting_events (name, value, value_in_business_hours, account_id, created_at) "
                         f"VALUES ('first_response', {v}, {v}, 1, '2024-01-05 10:00')")
        conn.execute("UPDATE reporting_events SET value = 1e-500 WHERE value = 1e400")
        conn.execute("DELETE FROM reporting_events WHERE value = -1e400")
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.capture_failures").fetchone()[0] == 0
        rows = conn.execute("SELECT count(*) FROM pgrollup.report_summary(1, '2024-01-01', '2024-02-01', 'agent')").fetchone()[0]
        assert rows > 0
        tp._refresh_all(conn)
        assert conn.execute("SELECT count(*) FROM pgrollup.report_summary(1, '2024-01-01', '2024-02-01', 'agent')").fetchone()[0] == rows
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        from reporting_support import REFERENCE_ROLLUPS, close
        got = {r[:5]: r[5:] for r in conn.execute(
            "SELECT account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours "
            "FROM pgrollup.reporting_events_rollups WHERE account_id <> 1").fetchall()}
        want = {r[:5]: r[5:] for r in conn.execute(REFERENCE_ROLLUPS.format(schema="public")).fetchall() if r[0] != 1}
        assert got and set(got) == set(want)
        assert all(close(x, y) for k in got for x, y in zip(got[k], want[k]))
        assert tp._health(conn, "reporting")[0] == "ok", tp._health(conn, "reporting")

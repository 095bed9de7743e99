"""Uninstall never destroys what is not pgrollup's, never blocks the application longer than its
lock timeout, reports the real error, and is idempotent."""
import threading
import time

import psycopg

import messaging_support as ms
import reporting_support as rs
from owner_support import database_owner


def schemas(db):
    return {r[0] for r in db.rows("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgrollup%'")}


def our_triggers(db):
    return db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgrollup\\_%' "
                     "AND tgrelid::regclass::text NOT LIKE 'pgrollup%'")


def install_both(db):
    with db.connect() as conn:
        conn.execute(ms.source_ddl())
        rs.create_source(conn)
    db.install()


def test_application_view_over_a_pgrollup_view_stops_uninstall(db, cli):
    install_both(db)
    with db.connect() as conn:
        conn.execute("CREATE VIEW public.app_daily AS SELECT tenant_id, date, sends FROM pgrollup.metrics_tenant_daily")
        conn.execute("CREATE VIEW public.app_daily_2 AS SELECT * FROM public.app_daily")   # depends on the app's view
    triggers = our_triggers(db)
    res = cli("uninstall", "--dsn", db.dsn, "--yes")
    assert res.returncode == 1, res.stdout
    lines = res.stderr.strip().splitlines()
    assert lines[0].startswith("pgrollup: error: uninstall would also drop 1 application object")
    assert any(line.strip().startswith("view app_daily (uses view pgrollup.metrics_tenant_daily)") for line in lines), lines
    assert "--drop-dependents" in lines[-1]
    assert schemas(db) == {"pgrollup", "pgrollup_internal"} and our_triggers(db) == triggers
    assert db.scalar("SELECT count(*) FROM public.app_daily_2") == 0          # still there, still works
    res = cli("uninstall", "--dsn", db.dsn, "--yes", "--drop-dependents")
    assert res.returncode == 0, res.stderr
    assert "dropped dependent view app_daily" in res.stdout
    assert schemas(db) == set() and our_triggers(db) == 0
    assert db.scalar("SELECT to_regclass('public.app_daily')") is None
    assert db.scalar("SELECT count(*) FROM public.outbound_messages") == 0   # source tables untouched


def test_column_default_using_a_pgrollup_function_stops_uninstall(db, cli):
    install_both(db)
    with db.connect() as conn:
        conn.execute("CREATE TABLE public.app_notes (id int PRIMARY KEY, note text, "
                     "made_with text DEFAULT pgrollup.version())")
        conn.execute("INSERT INTO public.app_notes (id, note) VALUES (1, 'keep me')")
    res = cli("uninstall", "--dsn", db.dsn, "--yes")
    assert res.returncode == 1
    assert "default value for column made_with of table app_notes (uses function pgrollup.version())" in res.stderr
    assert schemas(db) == {"pgrollup", "pgrollup_internal"}
    assert db.rows("SELECT id, note, made_with FROM public.app_notes")[0][:2] == (1, "keep me")


def test_an_application_transaction_on_a_source_table_makes_uninstall_give_up_without_blocking_readers(db, cli):
    install_both(db)
    triggers = our_triggers(db)
    app = db.connect(autocommit=False)
    app.execute("INSERT INTO public.reporting_events (name, account_id, created_at) VALUES ('x', 1, now())")
    # the application's transaction stays open (RowExclusiveLock on reporting_events)
    stop = threading.Event()
    waits = []

    def reader():
        with db.connect() as conn:
            while not stop.is_set():
                t0 = time.monotonic()
                conn.execute("SELECT count(*) FROM public.reporting_events").fetchone()
                waits.append(time.monotonic() - t0)
                time.sleep(0.05)

    t = threading.Thread(target=reader)
    t.start()
    try:
        t0 = time.monotonic()
        res = cli("uninstall", "--dsn", db.dsn, "--yes", "--lock-timeout", "400ms", "--retries", "2")
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        t.join()
        app.rollback()
        app.close()
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "gave up after 3 attempts" in res.stderr and "lock" in res.stderr
    assert elapsed < 30
    assert waits and max(waits) < 0.4 + 0.6, max(waits)      # never blocked longer than the lock timeout
    assert schemas(db) == {"pgrollup", "pgrollup_internal"} and our_triggers(db) == triggers
    res = cli("uninstall", "--dsn", db.dsn, "--yes")           # once the transaction ended
    assert res.returncode == 0, res.stderr


def test_an_object_of_another_role_in_pgrollups_schema_is_listed(db, cli):
    install_both(db)
    with db.connect() as conn:        # an object of another role inside pgrollup's schema
        conn.execute("CREATE ROLE uninstall_stranger NOLOGIN")
        conn.execute("CREATE TABLE pgrollup.strangers_table (x int)")
        conn.execute("ALTER TABLE pgrollup.strangers_table OWNER TO uninstall_stranger")
    try:
        res = cli("uninstall", "--dsn", db.dsn, "--yes")
        assert res.returncode == 1 and "table pgrollup.strangers_table (owned by uninstall_stranger)" in res.stderr
    finally:
        with db.connect() as conn:
            conn.execute("DROP TABLE pgrollup.strangers_table")
            conn.execute("DROP ROLE uninstall_stranger")


def test_uninstall_as_the_owner_twice(db, pg_cluster, cli):
    def sources(conn):
        rs.create_source(conn)
    with database_owner(db, pg_cluster, sources=sources) as owner:
        dsn = db.dsn_as(owner)
        assert cli("install", "--dsn", dsn).returncode == 0
        with psycopg.connect(pg_cluster.dsn("postgres")) as c:
            assert c.execute("SELECT count(*) FROM cron.job WHERE database = %s", (db.name,)).fetchone()[0] == 2
        res = cli("uninstall", "--dsn", dsn, "--yes")
        assert res.returncode == 0, res.stderr
        assert "removed schemas" in res.stdout and f"removed pg_cron job pgrollup-apply-{db.name}" in res.stdout
        with psycopg.connect(pg_cluster.dsn("postgres")) as c:
            assert c.execute("SELECT count(*) FROM cron.job WHERE database = %s", (db.name,)).fetchone()[0] == 0
        assert schemas(db) == set() and our_triggers(db) == 0
        res = cli("uninstall", "--dsn", dsn, "--yes")
        assert res.returncode == 0, res.stderr
        assert res.stdout.startswith("nothing to remove") and "removed" not in res.stdout


def test_the_real_error_is_reported(db, pg_cluster, cli):
    """A drop that fails reports its own error (each drop in its own savepoint), not "current
    transaction is aborted", and nothing is removed."""
    with database_owner(db, pg_cluster, sources=rs.create_source) as owner:
        dsn = db.dsn_as(owner)
        assert cli("install", "--dsn", dsn, "--no-schedule").returncode == 0
        with db.connect() as conn:          # the source table changes hands
            conn.execute("ALTER TABLE public.reporting_events OWNER TO postgres")
        res = cli("uninstall", "--dsn", dsn, "--yes")
        assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
        assert "trigger pgrollup_reporting_delete on reporting_events" in res.stderr and "must be owner" in res.stderr
        assert "aborted" not in res.stderr
        assert schemas(db) == {"pgrollup", "pgrollup_internal"}

"""Install on a live database: lock timeouts and retries on busy source tables, nothing
half-installed, source data untouched by install and uninstall."""
import threading
import time

import psycopg

from core_support import REPORTING_EVENTS_DDL


def _schemas(db):
    return db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgrollup%'")


def _hold_writer_lock(db, seconds, ready):
    """An application transaction that wrote to the source table and stays open."""
    with db.connect(autocommit=False) as conn:
        conn.execute("INSERT INTO public.reporting_events (name, account_id) VALUES ('conversation_resolved', 1)")
        ready.set()
        time.sleep(seconds)
        conn.commit()


def test_install_waits_retries_and_succeeds_when_the_lock_frees(db, cli):
    with db.connect() as conn:
        conn.execute(REPORTING_EVENTS_DDL)
    ready = threading.Event()
    holder = threading.Thread(target=_hold_writer_lock, args=(db, 3, ready))
    holder.start()
    ready.wait()
    # a second writer keeps inserting during the install: it must never wait much longer than lock_timeout
    waits, stop = [], threading.Event()

    def writer():
        with db.connect() as conn:
            while not stop.is_set():
                t0 = time.monotonic()
                conn.execute("INSERT INTO public.reporting_events (name, account_id) VALUES ('first_response', 2)")
                waits.append(time.monotonic() - t0)
                time.sleep(0.02)

    w = threading.Thread(target=writer)
    w.start()
    started = time.monotonic()
    res = cli("install", "--dsn", db.dsn, "--module", "reporting", "--no-schedule",
              "--lock-timeout", "300ms", "--retries", "30")
    elapsed = time.monotonic() - started
    stop.set()
    w.join()
    holder.join()
    assert res.returncode == 0, res.stderr
    assert elapsed >= 2.0                          # it really waited for the long transaction
    assert max(waits) < 1.5, max(waits)            # writers only ever waited about one lock_timeout
    assert db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.reporting_events'::regclass "
                     "AND NOT tgisinternal") > 0


def test_install_gives_up_clearly_and_leaves_nothing(db, cli):
    with db.connect() as conn:
        conn.execute(REPORTING_EVENTS_DDL)
    ready = threading.Event()
    holder = threading.Thread(target=_hold_writer_lock, args=(db, 6, ready))
    holder.start()
    ready.wait()
    try:
        res = cli("install", "--dsn", db.dsn, "--module", "reporting", "--no-schedule",
                  "--lock-timeout", "200ms", "--retries", "2")
    finally:
        holder.join()
    assert res.returncode != 0
    assert res.stderr.count("\n") == 1 and "lock" in res.stderr and "Traceback" not in res.stderr
    assert _schemas(db) == 0
    assert db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.reporting_events'::regclass "
                     "AND NOT tgisinternal") == 0


def test_install_and_uninstall_never_touch_source_rows(db, cli):
    with db.connect() as conn:
        conn.execute(REPORTING_EVENTS_DDL)
        conn.execute("INSERT INTO public.reporting_events (name, value, account_id, user_id, inbox_id, conversation_id, created_at) "
                     "SELECT (ARRAY['conversation_resolved','first_response','reply_time','conversation_bot_handoff'])[1 + g % 4], "
                     "g % 300, 1 + g % 3, g % 7, g % 5, g % 50, timestamp '2026-01-01' + g * interval '17 minutes' "
                     "FROM generate_series(1, 2000) g")
    snapshot = "SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM public.reporting_events t"
    before = db.scalar(snapshot)
    assert cli("install", "--dsn", db.dsn, "--no-schedule").returncode == 0
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'America/New_York')")
        conn.execute("SELECT pgrollup.backfill_reporting(1)")
        conn.execute("SELECT * FROM pgrollup.refresh()")
    assert db.scalar("SELECT count(*) FROM pgrollup.reporting_events_rollups") > 0
    assert db.scalar(snapshot) == before
    assert cli("uninstall", "--dsn", db.dsn, "--yes").returncode == 0
    assert db.scalar(snapshot) == before
    assert _schemas(db) == 0

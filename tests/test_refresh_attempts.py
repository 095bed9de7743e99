"""Every refresh attempt leaves a record, also one cancelled by statement_timeout, lock_timeout or
a client: pgrollup.run_refresh (pg_cron, pgrollup refresh) commits it before the work; a direct
pgrollup.refresh() leaves a trace no rollback undoes, which health reads at once and the next
refresh records. Slowness comes from the stand-in module's pg_sleep (test-only)."""
import threading
import time

import psycopg
import pytest

from core_support import add_fake_module


@pytest.fixture
def fakedb(db):
    db.install()
    add_fake_module(db)
    with db.connect() as conn:
        conn.execute("UPDATE fake.control SET sleep_seconds = 3")
    return db


def runs(db):
    return db.rows("SELECT status, finished_at IS NULL, error FROM pgrollup.refresh_runs WHERE module = 'fake' ORDER BY run_id")


def health(db):
    return db.rows("SELECT alert_level, alert, last_status FROM pgrollup.rollup_health WHERE module = 'fake'")[0]


def refresh_fast(db):
    with db.connect() as conn:
        conn.execute("UPDATE fake.control SET sleep_seconds = 0")
        assert conn.execute("SELECT status FROM pgrollup.refresh('fake')").fetchone()[0] == "ok"


def assert_did_not_finish_warning(db):
    level, alert, _ = health(db)
    assert level == "warning" and "did not finish" in alert and "statement_timeout" in alert, alert


def test_statement_timeout_cancels_run_refresh_and_the_attempt_is_on_record(fakedb):
    with fakedb.connect() as conn:
        conn.execute("SET statement_timeout = '500ms'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("CALL pgrollup.run_refresh('fake')")
        assert runs(fakedb) == [("running", True, None)]
        assert_did_not_finish_warning(fakedb)              # the session is alive, its statement is gone
    assert fakedb.scalar("SELECT count(*) FROM fake.applied") == 0
    refresh_fast(fakedb)                                   # the next refresh records what happened
    assert [r[0] for r in runs(fakedb)] == ["cancelled", "ok"]
    assert "did not finish" in runs(fakedb)[0][2]
    assert health(fakedb)[0] == "ok"


def test_statement_timeout_cancels_a_direct_refresh(fakedb):
    with fakedb.connect() as conn:
        conn.execute("SET statement_timeout = '500ms'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT * FROM pgrollup.refresh('fake')")
    assert runs(fakedb) == []                              # rolled back with the attempt...
    assert_did_not_finish_warning(fakedb)                  # ...but health sees the trace at once
    refresh_fast(fakedb)
    assert [r[:2] for r in runs(fakedb)] == [("cancelled", True), ("ok", False)]
    assert health(fakedb)[0] == "ok"


def test_client_cancel_of_a_direct_refresh(fakedb):
    conn = fakedb.connect()
    try:
        timer = threading.Timer(0.7, conn.cancel)
        timer.start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT * FROM pgrollup.refresh('fake')")
        assert_did_not_finish_warning(fakedb)
        conn.execute("UPDATE fake.control SET sleep_seconds = 0")
        conn.execute("SELECT * FROM pgrollup.refresh('fake')")          # the same session, later
        assert [r[0] for r in runs(fakedb)] == ["cancelled", "ok"]
    finally:
        conn.close()


def test_client_cancel_of_run_refresh(fakedb):
    conn = fakedb.connect()
    try:
        timer = threading.Timer(0.7, conn.cancel)
        timer.start()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("CALL pgrollup.run_refresh()")
    finally:
        conn.close()                                       # the session ends too
    assert runs(fakedb) == [("running", True, None)]
    assert_did_not_finish_warning(fakedb)


def test_lock_timeout_while_another_refresh_runs(fakedb):
    t = threading.Thread(target=lambda: fakedb.rows("SELECT * FROM pgrollup.refresh('fake')"))
    t.start()
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline and not fakedb.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT * FROM pgrollup.refresh(%%'"):
        time.sleep(0.05)
    time.sleep(0.2)
    try:
        # while the other refresh runs, health does not call it unfinished
        level, alert, _ = health(fakedb)
        assert alert is None or "did not finish" not in alert, alert
        with fakedb.connect() as conn:
            conn.execute("SET lock_timeout = '200ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                conn.execute("CALL pgrollup.run_refresh('fake')")
    finally:
        t.join()
    statuses = [r[0] for r in runs(fakedb)]
    assert sorted(statuses) == ["ok", "running"], statuses
    assert_did_not_finish_warning(fakedb)


def test_running_attempts_are_not_reported_as_unfinished(fakedb):
    with fakedb.connect() as conn:
        conn.execute("UPDATE fake.control SET sleep_seconds = 6")
    t = threading.Thread(target=lambda: fakedb.rows("CALL pgrollup.run_refresh('fake')"))
    t.start()
    try:
        deadline = time.monotonic() + 4
        while not runs(fakedb) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)                                    # the attempt is now doing its work
        assert runs(fakedb) == [("running", True, None)]
        level, alert, last_status = health(fakedb)
        assert last_status == "running" and (alert is None or "did not finish" not in alert), alert
    finally:
        t.join()
    assert runs(fakedb) == [("ok", False, None)]


def test_cli_refresh_cancelled_by_statement_timeout_is_on_record(fakedb, cli):
    res = cli("refresh", "--dsn", fakedb.dsn, env={"PGOPTIONS": "-c statement_timeout=500"})
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "statement timeout" in res.stderr, res.stderr
    assert runs(fakedb) == [("running", True, None)]
    res = cli("status", "--dsn", fakedb.dsn, "--json")
    assert res.returncode == 1 and "did not finish" in res.stdout
    with fakedb.connect() as conn:
        conn.execute("UPDATE fake.control SET sleep_seconds = 0")
    res = cli("refresh", "--dsn", fakedb.dsn)
    assert res.returncode == 0 and "fake: ok" in res.stdout, res.stderr
    assert [r[0] for r in runs(fakedb)] == ["cancelled", "ok"]

"""The refresh engine: statuses, per-module locking, failure recording, health, timezone checks."""
import threading
import time

import psycopg
import pytest

from core_support import add_fake_module


@pytest.fixture
def fakedb(db):
    db.install()
    add_fake_module(db)
    return db


def test_refresh_ok_is_recorded(fakedb):
    rows = fakedb.rows("SELECT module, status, changes_applied FROM pgrollup.refresh('fake')")
    assert rows == [("fake", "ok", 7)]
    run = fakedb.rows("SELECT module, status, changes_applied, error, duration >= '0' FROM pgrollup.refresh_runs")
    assert run == [("fake", "ok", 7, None, True)]
    health = fakedb.rows("SELECT module, mode, last_status, pending_changes, staleness, failures_24h, alert_level, alert "
                         "FROM pgrollup.rollup_health")
    assert health == [("fake", "incremental", "ok", 0, __import__("datetime").timedelta(0), 0, "ok", None)]


def test_refresh_all_modules_and_unknown_module(fakedb):
    assert fakedb.rows("SELECT module, status FROM pgrollup.refresh()") == [("fake", "ok")]
    with fakedb.connect() as conn, pytest.raises(psycopg.errors.InvalidParameterValue, match="nope"):
        conn.execute("SELECT * FROM pgrollup.refresh('nope')")


def test_failed_refresh_rolls_back_its_work_and_is_recorded(fakedb):
    with fakedb.connect() as conn:
        conn.execute("UPDATE fake.control SET fail = true, pending = 5")
        rows = conn.execute("SELECT module, status, changes_applied FROM pgrollup.refresh('fake')").fetchall()
    assert rows == [("fake", "failed", 0)]
    assert fakedb.scalar("SELECT count(*) FROM fake.applied") == 0            # the module's work rolled back
    assert fakedb.scalar("SELECT pending FROM fake.control") == 5
    err = fakedb.rows("SELECT status, error FROM pgrollup.refresh_runs")
    assert err == [("failed", "XX001: injected failure")]
    h = fakedb.rows("SELECT last_status, last_success_at, failures_24h, alert_level, alert, pending_changes, "
                    "staleness >= '3 hours' FROM pgrollup.rollup_health")[0]
    assert h[0] == "failed" and h[1] is None and h[2] == 1 and h[5] == 5 and h[6]
    assert h[3] == "warning"             # 1 failure, 3 h stale: both at the default warning thresholds
    assert "last refresh failed" in h[4] and "failed refreshes in 24h" in h[4]
    # the next refresh retries and succeeds
    with fakedb.connect() as conn:
        conn.execute("UPDATE fake.control SET fail = false")
    assert fakedb.rows("SELECT status FROM pgrollup.refresh('fake')") == [("ok",)]
    assert fakedb.scalar("SELECT count(*) FROM fake.applied") == 1
    assert fakedb.rows("SELECT last_status, failures_24h FROM pgrollup.rollup_health") == [("ok", 1)]


def test_alert_thresholds_are_configurable(fakedb):
    with fakedb.connect() as conn:
        conn.execute("UPDATE fake.control SET pending = 1")
        assert conn.execute("SELECT alert_level FROM pgrollup.rollup_health").fetchone()[0] == "warning"  # 3 h >= 2 h
        conn.execute("INSERT INTO pgrollup.alert_thresholds VALUES ('fake', '1 hour', '2 hours', '1 minute', "
                     "'5 minutes', 1, 3)")
        row = conn.execute("SELECT alert_level, alert FROM pgrollup.rollup_health").fetchone()
        assert row[0] == "critical" and row[1].startswith("critical: stale for 03:00:00")
        conn.execute("UPDATE pgrollup.alert_thresholds SET staleness_warning = '1 day', staleness_critical = '2 days' "
                     "WHERE module = 'fake'")
        assert conn.execute("SELECT alert_level, alert FROM pgrollup.rollup_health").fetchone() == ("ok", None)


def test_slow_refresh_raises_duration_alert(fakedb):
    with fakedb.connect() as conn:
        conn.execute("INSERT INTO pgrollup.alert_thresholds VALUES ('fake', '1 hour', '2 hours', '0.1 seconds', "
                     "'1 hour', 1, 3)")
        conn.execute("UPDATE fake.control SET sleep_seconds = 0.2")
        conn.execute("SELECT * FROM pgrollup.refresh('fake')")
        row = conn.execute("SELECT alert_level, alert FROM pgrollup.rollup_health").fetchone()
    assert row[0] == "warning" and "last refresh took" in row[1]


def _refresh_in_thread(db, wait, out):
    with db.connect() as conn:
        out.append(conn.execute("SELECT status FROM pgrollup.refresh('fake', %s)", (wait,)).fetchone()[0])


def test_concurrent_refresh_no_wait_is_skipped_and_wait_waits(fakedb):
    with fakedb.connect() as conn:
        conn.execute("UPDATE fake.control SET sleep_seconds = 1.5")
    first = []
    t = threading.Thread(target=_refresh_in_thread, args=(fakedb, True, first))
    t.start()
    time.sleep(0.5)
    with fakedb.connect() as conn:
        row = conn.execute("SELECT status, changes_applied, duration FROM pgrollup.refresh('fake', false)").fetchone()
    assert row[0] == "skipped" and row[1] == 0
    waited = []
    started = time.monotonic()
    _refresh_in_thread(fakedb, True, waited)          # waits for the first one, then runs
    assert time.monotonic() - started >= 1.5 * 0.5
    t.join()
    assert first == ["ok"] and waited == ["ok"]
    # skipped runs are not recorded; the two real runs are, and never overlapped
    runs = fakedb.rows("SELECT started_at, finished_at FROM pgrollup.refresh_runs ORDER BY run_id")
    assert len(runs) == 2 and runs[0][1] <= runs[1][0]


def test_refresh_from_many_sessions_at_once(fakedb):
    out = []
    threads = [threading.Thread(target=_refresh_in_thread, args=(fakedb, True, out)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == ["ok"] * 6
    assert fakedb.scalar("SELECT count(*) FROM pgrollup.refresh_runs WHERE status = 'ok'") == 6


def test_refresh_runs_are_pruned(fakedb):
    with fakedb.connect() as conn:
        conn.execute("INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status) "
                     "VALUES ('fake', now() - interval '40 days', now() - interval '40 days', 'ok')")
        conn.execute("SELECT * FROM pgrollup.refresh('fake')")
        assert conn.execute("SELECT count(*) FROM pgrollup.refresh_runs").fetchone()[0] == 1
        conn.execute("INSERT INTO pgrollup_internal.settings VALUES ('refresh_runs_retention', '1 hour')")
        conn.execute("INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status) "
                     "VALUES ('fake', now() - interval '2 hours', now() - interval '2 hours', 'ok')")
        conn.execute("SELECT * FROM pgrollup.refresh('fake')")
        assert conn.execute("SELECT count(*) FROM pgrollup.refresh_runs").fetchone()[0] == 2


def test_status_exit_codes(fakedb, cli):
    res = cli("status", "--dsn", fakedb.dsn)
    assert res.returncode == 0, res.stderr
    assert "fake" in res.stdout
    with fakedb.connect() as conn:
        conn.execute("UPDATE fake.control SET pending = 1")          # 3 h stale: warning
    res = cli("status", "--dsn", fakedb.dsn, "--json")
    assert res.returncode == 1
    import json
    data = json.loads(res.stdout)
    assert data["alert_level"] == "warning" and data["modules"][0]["pending_changes"] == 1
    with fakedb.connect() as conn:
        conn.execute("UPDATE pgrollup.alert_thresholds SET staleness_critical = '1 hour', staleness_warning = '1 hour'")
    assert cli("status", "--dsn", fakedb.dsn).returncode == 2


def test_cli_refresh_reports_failure(fakedb, cli):
    res = cli("refresh", "--dsn", fakedb.dsn)
    assert res.returncode == 0 and "fake: ok, 7 changes applied" in res.stdout
    with fakedb.connect() as conn:
        conn.execute("UPDATE fake.control SET fail = true")
    res = cli("refresh", "--dsn", fakedb.dsn)
    assert res.returncode == 1
    assert "injected failure" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("bad", ["IST", "+05:30", "UTC+5", "", "Mars/Olympus", "EST5EDT,M3.2.0,M11.1.0"])
def test_invalid_timezones_are_rejected_with_22023(db, bad):
    db.install()
    with db.connect() as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue) as exc:
            conn.execute("SELECT pgrollup_internal.check_timezone(%s, 'p_timezone')", (bad,))
    assert repr(bad) in str(exc.value).replace('"', "'") or f"'{bad}'" in str(exc.value)
    assert "p_timezone" in str(exc.value)


@pytest.mark.parametrize("good,canonical", [("Asia/Kolkata", "Asia/Kolkata"), ("America/St_Johns", "America/St_Johns"),
                                            ("Pacific/Chatham", "Pacific/Chatham"), ("UTC", "UTC"),
                                            ("asia/kolkata", "Asia/Kolkata")])
def test_valid_timezones_are_accepted(db, good, canonical):
    db.install()
    assert db.scalar("SELECT pgrollup_internal.check_timezone(%s)", (good,)) == canonical


def test_null_timezone_is_rejected(db):
    db.install()
    with db.connect() as conn, pytest.raises(psycopg.errors.InvalidParameterValue, match="NULL"):
        conn.execute("SELECT pgrollup_internal.check_timezone(NULL)")

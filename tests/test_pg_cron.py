"""pg_cron: the job is registered in the pg_cron database for the target database, and runs."""
import time

import psycopg
import pytest

from core_support import add_fake_module


def cron_jobs(pg_cluster, dbname):
    with psycopg.connect(pg_cluster.dsn("postgres")) as c:
        return c.execute("SELECT jobname, schedule, database, active FROM cron.job WHERE database = %s",
                         (dbname,)).fetchall()


def test_install_registers_one_hourly_job_idempotently(db, pg_cluster, cli):
    assert cli("install", "--dsn", db.dsn).returncode == 0
    assert cli("install", "--dsn", db.dsn).returncode == 0
    assert cron_jobs(pg_cluster, db.name) == [(f"pgrollup-refresh-{db.name}", "0 * * * *", db.name, True)]
    res = cli("schedule", "--dsn", db.dsn, "--cron", "*/5 * * * *")
    assert res.returncode == 0, res.stderr
    assert cron_jobs(pg_cluster, db.name) == [(f"pgrollup-refresh-{db.name}", "*/5 * * * *", db.name, True)]
    res = cli("unschedule", "--dsn", db.dsn)
    assert res.returncode == 0 and cron_jobs(pg_cluster, db.name) == []
    res = cli("install", "--dsn", db.dsn, "--no-schedule")
    assert res.returncode == 0 and cron_jobs(pg_cluster, db.name) == []


def test_bad_cron_expression_is_one_line(db, cli):
    res = cli("install", "--dsn", db.dsn, "--schedule", "every hour")
    assert res.returncode != 0 and res.stderr.count("\n") == 1 and "every hour" in res.stderr


def test_install_in_the_pg_cron_database_itself(pg_cluster, cli):
    dsn = pg_cluster.dsn("postgres")
    try:
        assert cli("install", "--dsn", dsn).returncode == 0
        assert cron_jobs(pg_cluster, "postgres") == [("pgrollup-refresh-postgres", "0 * * * *", "postgres", True)]
    finally:
        assert cli("uninstall", "--dsn", dsn, "--yes").returncode == 0
    assert cron_jobs(pg_cluster, "postgres") == []


@pytest.mark.slow
def test_pg_cron_really_runs_the_refresh(db, pg_cluster, cli):
    db.install()
    add_fake_module(db)
    res = cli("schedule", "--dsn", db.dsn, "--cron", "* * * * *")
    assert res.returncode == 0, res.stderr
    deadline = time.monotonic() + 80
    runs = 0
    while time.monotonic() < deadline:
        runs = db.scalar("SELECT count(*) FROM pgrollup.refresh_runs WHERE module = 'fake' AND status = 'ok'")
        if runs:
            break
        time.sleep(2)
    assert runs >= 1, "pg_cron did not run pgrollup.refresh() within 80 s"
    with psycopg.connect(pg_cluster.dsn("postgres")) as c:
        status = c.execute("SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid) "
                           "WHERE j.database = %s ORDER BY d.runid DESC LIMIT 1", (db.name,)).fetchone()
    assert status is not None and status[0] in ("succeeded", "running")


def test_health_alerts_when_the_job_stops_running_or_disappears(db, pg_cluster, cli):
    db.install(schedule=True)
    add_fake_module(db)
    assert cli("status", "--dsn", db.dsn).returncode == 0
    with db.connect() as conn:   # pretend the job was scheduled, and last ran, three hours ago
        conn.execute("UPDATE pgrollup_internal.settings SET value = (now() - interval '3 hours')::text "
                     "WHERE name = 'cron_scheduled_at'")
        conn.execute("UPDATE pgrollup_internal.modules SET installed_at = now() - interval '3 hours'")
        conn.execute("INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status) "
                     "VALUES ('fake', now() - interval '3 hours', now() - interval '3 hours', 'ok')")
        level, alert = conn.execute("SELECT alert_level, alert FROM pgrollup.rollup_health").fetchone()
    assert level == "warning" and "no refresh for two schedule intervals" in alert
    # the job removed behind pgrollup's back (pg_cron lives in another database): status looks there
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute("SELECT cron.unschedule(jobid) FROM cron.job WHERE database = %s", (db.name,))
    res = cli("status", "--dsn", db.dsn)
    assert res.returncode == 2 and "missing" in res.stdout


def test_health_sees_an_inactive_job_in_the_same_database(pg_cluster, cli):
    dsn = pg_cluster.dsn("postgres")
    try:
        assert cli("install", "--dsn", dsn).returncode == 0
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("UPDATE cron.job SET active = false WHERE jobname = 'pgrollup-refresh-postgres'")
        with psycopg.connect(dsn, autocommit=True) as c:
            assert c.execute("SELECT pgrollup_internal.cron_job_state()").fetchone()[0] == "inactive"
    finally:
        assert cli("uninstall", "--dsn", dsn, "--yes").returncode == 0

"""pg_cron: the job is registered in the pg_cron database for the target database, and runs."""
import time

import psycopg
import pytest

from core_support import add_fake_module


def cron_jobs(pg_cluster, dbname):
    with psycopg.connect(pg_cluster.dsn("postgres")) as c:
        return c.execute("SELECT jobname, schedule, database, active FROM cron.job WHERE database = %s",
                         (dbname,)).fetchall()


def wait_for_run(db, module, seconds):
    """Whether a refresh of the module shows in refresh_runs within that many seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if db.scalar("SELECT count(*) FROM pgrollup.refresh_runs WHERE module = %s AND status = 'ok'", (module,)):
            return True
        time.sleep(2)
    return False


def test_install_registers_one_hourly_job_idempotently(db, pg_cluster, cli):
    assert cli("install", "--dsn", db.dsn).returncode == 0
    assert cli("install", "--dsn", db.dsn).returncode == 0
    assert cron_jobs(pg_cluster, db.name) == [(f"pgrollup-refresh-{db.name}", "0 * * * *", db.name, True)]
    res = cli("schedule", "--dsn", db.dsn, "--cron", "*/5 * * * *")
    assert res.returncode == 0, res.stderr
    assert cron_jobs(pg_cluster, db.name) == [(f"pgrollup-refresh-{db.name}", "*/5 * * * *", db.name, True)]
    # an upgrade without --schedule keeps the schedule chosen earlier; --schedule changes it
    assert cli("install", "--dsn", db.dsn).returncode == 0
    assert cron_jobs(pg_cluster, db.name) == [(f"pgrollup-refresh-{db.name}", "*/5 * * * *", db.name, True)]
    assert cli("install", "--dsn", db.dsn, "--schedule", "*/10 * * * *").returncode == 0
    assert cron_jobs(pg_cluster, db.name) == [(f"pgrollup-refresh-{db.name}", "*/10 * * * *", db.name, True)]
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
    assert wait_for_run(db, "fake", 80), "pg_cron did not run pgrollup.refresh() within 80 s"
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


@pytest.mark.slow
def test_non_superuser_owner_schedules_runs_monitors_and_unschedules(db, pg_cluster, cli):
    """The managed-PostgreSQL path: the database owner (no superuser, no pg_read_all_settings) with
    the documented pg_cron grants installs with scheduling, pg_cron runs the refresh as that owner,
    status is ok, unschedule removes both jobs."""
    import reporting_support as rs
    from owner_support import database_owner

    with database_owner(db, pg_cluster, sources=rs.create_source) as owner:
        dsn = db.dsn_as(owner)
        res = cli("install", "--dsn", dsn, "--schedule", "* * * * *")
        assert res.returncode == 0, res.stderr
        assert f"pgrollup-refresh-{db.name}" in res.stdout and f"pgrollup-apply-{db.name}" in res.stdout
        jobs = sorted(cron_jobs(pg_cluster, db.name))
        assert jobs == [(f"pgrollup-apply-{db.name}", "* * * * *", db.name, True),
                        (f"pgrollup-refresh-{db.name}", "* * * * *", db.name, True)]
        with psycopg.connect(pg_cluster.dsn("postgres")) as c:
            assert {r[0] for r in c.execute("SELECT username FROM cron.job WHERE database = %s", (db.name,))} == {owner}
        assert wait_for_run(db, "reporting", 90), "pg_cron did not run the refresh within 90 s"
        with psycopg.connect(pg_cluster.dsn("postgres", user=owner)) as c:   # the owner sees its own runs
            statuses = {r[0] for r in c.execute(
                "SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.database = %s",
                (db.name,))}
        assert statuses and statuses <= {"succeeded", "running", "starting"}, statuses
        res = cli("status", "--dsn", dsn)
        assert res.returncode == 0, res.stdout + res.stderr
        res = cli("schedule", "--dsn", dsn, "--cron", "0 * * * *")
        assert res.returncode == 0, res.stderr
        assert (f"pgrollup-refresh-{db.name}", "0 * * * *", db.name, True) in cron_jobs(pg_cluster, db.name)
        res = cli("unschedule", "--dsn", dsn)
        assert res.returncode == 0, res.stderr
        assert "2" in res.stdout or (f"pgrollup-apply-{db.name}" in res.stdout and f"pgrollup-refresh-{db.name}" in res.stdout)
        assert cron_jobs(pg_cluster, db.name) == []
        res = cli("status", "--dsn", dsn)
        assert res.returncode == 0, res.stdout + res.stderr


def test_non_superuser_owner_without_cron_grants_is_told_the_grants(db, pg_cluster, cli):
    from owner_support import database_owner

    with database_owner(db, pg_cluster, cron_grants=False) as owner:
        dsn = db.dsn_as(owner)
        res = cli("schedule", "--dsn", dsn)
        assert res.returncode == 1 and res.stderr.count("\n") == 1
        assert f"GRANT USAGE ON SCHEMA cron TO {owner};" in res.stderr
        res = cli("install", "--dsn", dsn)                # pg_cron optional: install goes on and says why
        assert res.returncode == 0, res.stderr
        assert "GRANT USAGE ON SCHEMA cron" in res.stdout and cron_jobs(pg_cluster, db.name) == []


def test_explicit_cron_database(db, pg_cluster, cli):
    res = cli("install", "--dsn", db.dsn, "--schedule", "0 * * * *", "--cron-database", "nosuchdb")
    assert res.returncode == 1 and "nosuchdb" in res.stderr and res.stderr.count("\n") == 1
    res = cli("install", "--dsn", db.dsn, "--cron-database", "postgres")
    assert res.returncode == 0, res.stderr
    assert cli("unschedule", "--dsn", db.dsn, "--cron-database", "postgres").returncode == 0
    res = cli("schedule", "--dsn", db.dsn, "--cron-database", "nosuchdb")
    assert res.returncode == 1 and "nosuchdb" in res.stderr and res.stderr.count("\n") == 1
    res = cli("schedule", "--dsn", db.dsn, env={"PGROLLUP_CRON_DATABASE": "postgres"})
    assert res.returncode == 0, res.stderr
    assert cron_jobs(pg_cluster, db.name) == [(f"pgrollup-refresh-{db.name}", "0 * * * *", db.name, True)]

"""Registering the refresh job with pg_cron.

pg_cron lives in one database per cluster (``cron.database_name``, usually ``postgres``). When the
target database is another one, the job is registered from the pg_cron database with
``cron.schedule_in_database``.
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

from .connection import first_line, with_dbname
from ..errors import UserError

DEFAULT_SCHEDULE = "0 * * * *"
COMMAND = "SELECT module, status, changes_applied FROM pgrollup.refresh()"


def job_name(dbname: str) -> str:
    return f"pgrollup-refresh-{dbname}"


@dataclass
class CronInfo:
    available: bool
    database: str | None = None      # the pg_cron database
    same_database: bool = False
    reason: str = ""


def _cron_database_setting(conn: psycopg.Connection) -> str | None:
    try:
        with conn.transaction():
            return conn.execute("SELECT pg_catalog.current_setting('cron.database_name', true)").fetchone()[0]
    except psycopg.Error:
        return None  # superuser-only setting on some servers


def detect(conn: psycopg.Connection, dsn: str) -> CronInfo:
    """Where pg_cron is, if anywhere reachable."""
    target = conn.info.dbname
    if conn.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')").fetchone()[0]:
        return CronInfo(True, target, True)
    cron_db = _cron_database_setting(conn)
    preloaded = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_settings WHERE name = 'cron.database_name')").fetchone()[0]
    if not preloaded and cron_db is None:
        return CronInfo(False, reason="pg_cron is not loaded on this server (shared_preload_libraries)")
    cron_db = cron_db or "postgres"
    if cron_db == target:
        return CronInfo(False, cron_db, True, reason=f"the pg_cron extension is not created in {cron_db}")
    try:
        with psycopg.connect(with_dbname(dsn, cron_db), autocommit=True, connect_timeout=10) as c2:
            ok = c2.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')").fetchone()[0]
    except psycopg.Error as exc:
        return CronInfo(False, cron_db, False, reason=f"cannot connect to the pg_cron database {cron_db}: {first_line(exc)}")
    if not ok:
        return CronInfo(False, cron_db, False, reason=f"the pg_cron extension is not created in {cron_db}")
    return CronInfo(True, cron_db, False)


def _cron_conn(conn: psycopg.Connection, dsn: str, info: CronInfo) -> psycopg.Connection:
    if info.same_database:
        return conn
    return psycopg.connect(with_dbname(dsn, info.database), autocommit=True, connect_timeout=10)


def interval_of(expr: str) -> str:
    """Roughly how often a cron expression fires (for the "has not run for two intervals" alert)."""
    fields = expr.split()
    if len(fields) != 5:
        return "1 day"
    minute, hour = fields[0], fields[1]
    if minute == "*":
        return "1 minute"
    if minute.startswith("*/") and minute[2:].isdigit():
        return f"{int(minute[2:])} minutes"
    if hour == "*":
        return "1 hour"
    if hour.startswith("*/") and hour[2:].isdigit():
        return f"{int(hour[2:])} hours"
    return "1 day"


def _remember(conn: psycopg.Connection, cron: str | None) -> None:
    """Record (or forget) the expected job in the target database, for rollup_health."""
    if not conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.settings') IS NOT NULL").fetchone()[0]:
        return
    with conn.transaction():
        conn.execute("DELETE FROM pgrollup_internal.settings WHERE name IN "
                     "('cron_job_name', 'cron_schedule', 'cron_interval', 'cron_scheduled_at')")
        if cron:
            conn.cursor().executemany("INSERT INTO pgrollup_internal.settings (name, value) VALUES (%s, %s)", [
                ("cron_job_name", job_name(conn.info.dbname)), ("cron_schedule", cron),
                ("cron_interval", interval_of(cron)),
                ("cron_scheduled_at", conn.execute("SELECT now()::text").fetchone()[0])])


def schedule(conn: psycopg.Connection, dsn: str, info: CronInfo, cron: str = DEFAULT_SCHEDULE) -> int:
    """Create or update the refresh job; returns its job id."""
    target = conn.info.dbname
    c = _cron_conn(conn, dsn, info)
    try:
        if info.same_database:
            row = c.execute("SELECT cron.schedule(%s, %s, %s)", (job_name(target), cron, COMMAND)).fetchone()
        else:
            row = c.execute("SELECT cron.schedule_in_database(%s, %s, %s, %s)",
                            (job_name(target), cron, COMMAND, target)).fetchone()
        _remember(conn, cron)
        return row[0]
    except psycopg.errors.InsufficientPrivilege as exc:
        raise UserError(f"no privilege to schedule with pg_cron in {info.database}: {first_line(exc)} "
                        f"(a superuser can GRANT USAGE ON SCHEMA cron and EXECUTE on cron.schedule_in_database)") from None
    except psycopg.Error as exc:
        raise UserError(f"pg_cron refused the schedule {cron!r}: {first_line(exc)}") from None
    finally:
        if c is not conn:
            c.close()


def jobs(conn: psycopg.Connection, dsn: str, info: CronInfo) -> list[dict]:
    """The pgrollup job(s) of this database, as pg_cron sees them (only the caller's own jobs
    are visible to a non-superuser)."""
    target = conn.info.dbname
    c = _cron_conn(conn, dsn, info)
    try:
        cur = c.execute(
            "SELECT jobid, jobname, schedule, command, database, username, active FROM cron.job "
            "WHERE jobname = %s", (job_name(target),))
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    except psycopg.Error:
        return []
    finally:
        if c is not conn:
            c.close()


def unschedule(conn: psycopg.Connection, dsn: str, info: CronInfo) -> int:
    """Remove the refresh job(s) of this database; returns how many were removed."""
    target = conn.info.dbname
    c = _cron_conn(conn, dsn, info)
    removed = 0
    try:
        for (jobid,) in c.execute("SELECT jobid FROM cron.job WHERE jobname = %s", (job_name(target),)).fetchall():
            c.execute("SELECT cron.unschedule(%s::bigint)", (jobid,))
            removed += 1
        _remember(conn, None)
        return removed
    except psycopg.Error as exc:
        raise UserError(f"cannot remove the pg_cron job in {info.database}: {first_line(exc)}") from None
    finally:
        if c is not conn:
            c.close()

"""Registering pgrollup's jobs with pg_cron.

pg_cron lives in one database per cluster (``cron.database_name``, usually ``postgres``). That
setting is readable only by superusers and members of ``pg_read_all_settings``, so pgrollup finds
pg_cron from what the installing role can see: the ``cron`` schema and its functions, looked for in
an explicit database (``--cron-database`` / ``$PGROLLUP_CRON_DATABASE``), else in the target
database, else in the database ``cron.database_name`` names (when readable), else in ``postgres``.
When the target database is another one, jobs are registered from the pg_cron database with
``cron.schedule_in_database``. Jobs run as the role that registers them, in the target database.

Jobs of a database ``<db>``:

- ``pgrollup-refresh-<db>``: every module, on the schedule the user chose (default hourly);
- ``pgrollup-apply-<db>``: when the reporting module is installed, every minute, the reporting
  module alone without waiting (reporting's reads fold the not-yet-applied change log; this keeps
  that tail short).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from .connection import first_line, with_dbname
from ..errors import UserError

DEFAULT_SCHEDULE = "0 * * * *"
APPLY_SCHEDULE = "* * * * *"
# run_refresh commits a record of each attempt before its work, so a cancelled run is on record
COMMAND = "CALL pgrollup.run_refresh()"
APPLY_COMMAND = "CALL pgrollup.run_refresh('reporting', false)"
APPLY_MODULE = "reporting"
CRON_DATABASE_ENV = "PGROLLUP_CRON_DATABASE"
SCHEDULE_IN_DATABASE = "cron.schedule_in_database(text,text,text,text,text,boolean)"


def job_name(dbname: str) -> str:
    return f"pgrollup-refresh-{dbname}"


def apply_job_name(dbname: str) -> str:
    return f"pgrollup-apply-{dbname}"


@dataclass
class CronInfo:
    available: bool                  # pg_cron found and the role may use its schema
    database: str | None = None      # the pg_cron database
    same_database: bool = False
    reason: str = ""
    missing_grants: list[str] = field(default_factory=list)   # for a superuser to run in `database`

    @property
    def can_schedule(self) -> bool:
        return self.available and not self.missing_grants


_RESERVED = {"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "both", "case", "cast", "check",
             "collate", "column", "constraint", "create", "current_role", "current_user", "default", "do", "else",
             "end", "except", "false", "for", "foreign", "from", "grant", "group", "having", "in", "into", "is",
             "limit", "not", "null", "on", "only", "or", "order", "primary", "public", "references", "select",
             "session_user", "table", "then", "to", "true", "union", "unique", "user", "using", "when", "where", "with"}


def quote_ident(name: str) -> str:
    """An identifier as PostgreSQL prints it: bare when it may be, else double-quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _RESERVED:
        return name
    return sql.Identifier(name).as_string(None)


def grant_statements(role: str, same_database: bool) -> list[str]:
    """What a superuser (or the managed service's admin) runs once in the pg_cron database so
    ``role`` can register, list and remove its own jobs."""
    q = quote_ident(role)
    out = [f"GRANT USAGE ON SCHEMA cron TO {q};"]
    if not same_database:
        out.append(f"GRANT EXECUTE ON FUNCTION {SCHEDULE_IN_DATABASE} TO {q};")
    return out


def _probe(conn: psycopg.Connection, target: str) -> CronInfo | None:
    """pg_cron as seen from the database conn is connected to (None: not there)."""
    # catalogs only: naming a cron function without USAGE on its schema would be an error
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'), "
        "       pg_catalog.has_schema_privilege(current_user, n.oid, 'USAGE'), "
        "       EXISTS (SELECT 1 FROM pg_catalog.pg_proc AS p WHERE p.pronamespace = n.oid "
        "                  AND p.proname = 'schedule_in_database' "
        "                  AND pg_catalog.has_function_privilege(current_user, p.oid, 'EXECUTE')) "
        "  FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'cron'").fetchone()
    if row is None or not row[0]:
        return None
    dbname = conn.info.dbname
    same = dbname == target
    user = conn.info.user
    missing = []
    if not row[1]:
        missing = grant_statements(user, same)
    elif not same and not row[2]:
        missing = grant_statements(user, same)[1:]
    if not row[1]:
        return CronInfo(False, dbname, same, missing_grants=missing,
                        reason=f"role {user} may not use pg_cron in database {dbname}; a superuser runs there once: "
                               + " ".join(missing))
    return CronInfo(True, dbname, same, missing_grants=missing,
                    reason=("" if not missing else
                            f"role {user} may not register jobs for another database in {dbname}; a superuser "
                            f"runs there once: " + " ".join(missing)))


def _cron_database_setting(conn: psycopg.Connection) -> str | None:
    try:
        with conn.transaction():
            return conn.execute("SELECT pg_catalog.current_setting('cron.database_name', true)").fetchone()[0]
    except psycopg.Error:
        return None  # superuser or pg_read_all_settings only


def _remembered_database(conn: psycopg.Connection) -> str | None:
    try:
        if conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.settings') IS NOT NULL").fetchone()[0]:
            row = conn.execute("SELECT value FROM pgrollup_internal.settings WHERE name = 'cron_database'").fetchone()
            return row[0] if row else None
    except psycopg.Error:
        pass
    return None


def detect(conn: psycopg.Connection, dsn: str, cron_database: str | None = None) -> CronInfo:
    """Where pg_cron is and whether this role may use it, from what a non-superuser can see."""
    target = conn.info.dbname
    explicit = cron_database or os.environ.get(CRON_DATABASE_ENV) or None
    if explicit:
        candidates = [explicit]
    else:
        candidates = [target]
        for db in (_remembered_database(conn), _cron_database_setting(conn), "postgres"):
            if db and db not in candidates:
                candidates.append(db)
    problems = []
    for db in candidates:
        if db == target:
            found = _probe(conn, target)
        else:
            try:
                with psycopg.connect(with_dbname(dsn, db), autocommit=True, connect_timeout=10) as c2:
                    found = _probe(c2, target)
            except psycopg.Error as exc:
                problems.append(f"cannot connect to database {db}: {first_line(exc)}")
                continue
        if found is not None:
            return found
        problems.append(f"no pg_cron extension in database {db}")
    hint = "" if explicit else f"; set {CRON_DATABASE_ENV} (or --cron-database) when pg_cron lives in another database"
    return CronInfo(False, explicit, False, reason="pg_cron not found (" + "; ".join(problems) + ")" + hint)


def _cron_conn(conn: psycopg.Connection, dsn: str, info: CronInfo) -> psycopg.Connection:
    if info.same_database:
        return conn
    try:
        return psycopg.connect(with_dbname(dsn, info.database), autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise UserError(f"cannot connect to the pg_cron database {info.database}: {first_line(exc)}") from None


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


CRON_SETTINGS = ("cron_job_name", "cron_apply_job_name", "cron_schedule", "cron_interval", "cron_scheduled_at",
                 "cron_database", "cron_job_owner")


def _remember(conn: psycopg.Connection, cron: str | None, info: CronInfo | None = None,
              with_apply: bool = False) -> None:
    """Record (or forget) the expected jobs in the target database, for rollup_health."""
    if not conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.settings') IS NOT NULL").fetchone()[0]:
        return
    with conn.transaction():
        conn.execute("DELETE FROM pgrollup_internal.settings WHERE name = ANY(%s)", (list(CRON_SETTINGS),))
        if cron:
            values = [("cron_job_name", job_name(conn.info.dbname)), ("cron_schedule", cron),
                      ("cron_interval", interval_of(cron)),
                      ("cron_scheduled_at", conn.execute("SELECT now()::text").fetchone()[0])]
            if with_apply:
                values.append(("cron_apply_job_name", apply_job_name(conn.info.dbname)))
            values.append(("cron_job_owner", conn.info.user))
            if info is not None and info.database:
                values.append(("cron_database", info.database))
            conn.cursor().executemany("INSERT INTO pgrollup_internal.settings (name, value) VALUES (%s, %s)", values)


def wants_apply_job(conn: psycopg.Connection) -> bool:
    """The frequent apply job exists for the reporting module only."""
    if not conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.modules') IS NOT NULL").fetchone()[0]:
        return False
    return conn.execute("SELECT EXISTS (SELECT 1 FROM pgrollup_internal.modules WHERE module = %s)",
                        (APPLY_MODULE,)).fetchone()[0]


def planned_jobs(dbname: str, cron: str, with_apply: bool) -> list[tuple[str, str, str]]:
    """(job name, schedule, command) of the jobs pgrollup registers for a database."""
    out = [(job_name(dbname), cron, COMMAND)]
    if with_apply:
        out.append((apply_job_name(dbname), APPLY_SCHEDULE, APPLY_COMMAND))
    return out


def planned_statements(dbname: str, info: CronInfo, cron: str, with_apply: bool) -> list[str]:
    """The pg_cron calls schedule() makes (for --dry-run)."""
    lit = lambda s: "'" + s.replace("'", "''") + "'"   # noqa: E731
    out = [f"-- pg_cron, in database {info.database}"]
    for name, expr, cmd in planned_jobs(dbname, cron, with_apply):
        if info.same_database:
            out.append(f"SELECT cron.schedule({lit(name)}, {lit(expr)}, {lit(cmd)});")
        else:
            out.append(f"SELECT cron.schedule_in_database({lit(name)}, {lit(expr)}, {lit(cmd)}, {lit(dbname)});")
    return out


def _require_grants(info: CronInfo) -> None:
    if not info.available:
        raise UserError(f"pg_cron is not available: {info.reason}")
    if info.missing_grants:
        raise UserError(f"cannot schedule: {info.reason}")


def schedule(conn: psycopg.Connection, dsn: str, info: CronInfo, cron: str = DEFAULT_SCHEDULE) -> dict[str, int]:
    """Create or update this database's jobs (named jobs upsert); returns {job name: job id}. The
    apply job is registered when the reporting module is installed and removed otherwise."""
    _require_grants(info)
    target = conn.info.dbname
    with_apply = wants_apply_job(conn)
    c = _cron_conn(conn, dsn, info)
    ids = {}
    try:
        for name, expr, cmd in planned_jobs(target, cron, with_apply):
            if info.same_database:
                row = c.execute("SELECT cron.schedule(%s, %s, %s)", (name, expr, cmd)).fetchone()
            else:
                row = c.execute("SELECT cron.schedule_in_database(%s, %s, %s, %s)", (name, expr, cmd, target)).fetchone()
            ids[name] = row[0]
        if not with_apply:
            _unschedule_named(c, [apply_job_name(target)])
        _remember(conn, cron, info, with_apply)
        return ids
    except psycopg.errors.InsufficientPrivilege as exc:
        raise UserError(f"no privilege to schedule with pg_cron in {info.database}: {first_line(exc)} (a superuser "
                        f"runs there once: {' '.join(grant_statements(conn.info.user, info.same_database))})") from None
    except psycopg.Error as exc:
        raise UserError(f"pg_cron refused the schedule {cron!r}: {first_line(exc)}") from None
    finally:
        if c is not conn:
            c.close()


def job_names(dbname: str) -> list[str]:
    return [job_name(dbname), apply_job_name(dbname)]


def jobs(conn: psycopg.Connection, dsn: str, info: CronInfo) -> list[dict]:
    """This database's pgrollup jobs as pg_cron shows them to this role (a non-superuser sees its
    own jobs only)."""
    c = _cron_conn(conn, dsn, info)
    try:
        cur = c.execute(
            "SELECT jobid, jobname, schedule, command, database, username, active FROM cron.job "
            "WHERE jobname = ANY(%s) AND database = %s ORDER BY jobid", (job_names(conn.info.dbname), conn.info.dbname))
        cols = [d.name for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    except psycopg.Error:
        return []
    finally:
        if c is not conn:
            c.close()


def _unschedule_named(c: psycopg.Connection, names: list[str], database: str | None = None) -> list[str]:
    removed = []
    for jobid, name in c.execute("SELECT jobid, jobname FROM cron.job WHERE jobname = ANY(%s) "
                                 "AND (%s::text IS NULL OR database = %s) ORDER BY jobid",
                                 (names, database, database)).fetchall():
        c.execute("SELECT cron.unschedule(%s::bigint)", (jobid,))
        removed.append(name)
    return removed


def unschedule(conn: psycopg.Connection, dsn: str, info: CronInfo) -> list[str]:
    """Remove this database's jobs; returns the names removed."""
    if not info.available:
        raise UserError(f"pg_cron is not available: {info.reason}")
    c = _cron_conn(conn, dsn, info)
    try:
        removed = _unschedule_named(c, job_names(conn.info.dbname), conn.info.dbname)
        _remember(conn, None)
        return removed
    except psycopg.Error as exc:
        raise UserError(f"cannot remove the pg_cron jobs in {info.database}: {first_line(exc)}") from None
    finally:
        if c is not conn:
            c.close()


def expected_jobs(conn: psycopg.Connection) -> list[str]:
    """Names of the jobs this database expects (recorded when they were scheduled)."""
    if not conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.settings') IS NOT NULL").fetchone()[0]:
        return []
    return [r[0] for r in conn.execute(
        "SELECT value FROM pgrollup_internal.settings WHERE name IN ('cron_job_name', 'cron_apply_job_name') "
        "ORDER BY name DESC").fetchall()]


def problem(conn: psycopg.Connection, dsn: str, cron_database: str | None = None) -> str | None:
    """Why an expected job is not running (None when fine or when no job is expected), looked up
    in the pg_cron database as this role."""
    expected = expected_jobs(conn)
    if not expected:
        return None
    owner = conn.execute("SELECT value FROM pgrollup_internal.settings WHERE name = 'cron_job_owner'").fetchone()
    if owner and owner[0] != conn.info.user and not conn.execute(
            "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()[0]:
        return None          # pg_cron shows a role its own jobs only: the owner's are not visible to this role
    info = detect(conn, dsn, cron_database)
    if not info.available:
        return f"a pg_cron job is expected but pg_cron is not reachable ({info.reason})"
    found = {j["jobname"]: j for j in jobs(conn, dsn, info)}
    for name in expected:
        if name not in found:
            return f"pg_cron job {name} is missing in database {info.database} (run pgrollup schedule)"
        if not found[name]["active"]:
            return f"pg_cron job {name} is inactive"
    return None

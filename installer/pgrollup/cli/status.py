"""``pgrollup status`` (rollup_health, exit code by alert level) and ``pgrollup refresh``."""
from __future__ import annotations

import json
import sys

import click
import psycopg

from ..engine import schedule as cron
from ..engine.connection import connect, resolve_dsn
from ..engine.install import installed_modules, missing_indexes
from ..engine.sqlfiles import check_module_names, modules
from .common import EXIT_BY_LEVEL, dsn_option, module_option, user_errors
from .schedule import cron_database_option


def _health(conn):
    cur = conn.execute("SELECT * FROM pgrollup.rollup_health ORDER BY module")
    cols = [d.name for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _jsonable(v):
    if v is None or isinstance(v, (int, float, str, bool)):
        return v
    if hasattr(v, "total_seconds"):
        return v.total_seconds()
    return str(v)


def _missing_indexes(conn):
    """The recommended source indexes that are missing; none for a role that may not read
    pgrollup's module registry (a reader or admin role monitoring health)."""
    shipped = modules()
    try:
        with conn.transaction():
            return [ddl for name, schema in installed_modules(conn).items() if name in shipped
                    for ddl in missing_indexes(conn, shipped[name], schema)]
    except psycopg.errors.InsufficientPrivilege:
        return []


def _cron_problem(conn, dsn, cron_database=None):
    """When pg_cron lives in another database (or shows the jobs to their owner only),
    rollup_health cannot see the jobs: look them up in the pg_cron database."""
    try:
        state = conn.execute("SELECT pgrollup_internal.cron_job_state()").fetchone()[0]
    except psycopg.errors.InsufficientPrivilege:
        return None          # a monitoring role without access to the internals: rollup_health only
    if state in (None, "missing", "inactive", "active"):
        return None          # nothing expected, or rollup_health saw the jobs itself
    return cron.problem(conn, dsn, cron_database)


@click.command()
@dsn_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (intervals in seconds).")
@cron_database_option
@user_errors
def status(dsn, as_json, cron_database):
    """Print pgrollup.rollup_health; exit 0 ok, 1 warning, 2 critical."""
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        rows = _health(conn)
        cron_problem = _cron_problem(conn, dsn, cron_database)
        indexes = _missing_indexes(conn)
    if cron_problem:
        for r in rows:
            r["alert_level"] = "critical"
            r["alert"] = "; ".join(x for x in (r["alert"], f"critical: {cron_problem}") if x)
    level = "ok"
    for r in rows:
        if EXIT_BY_LEVEL.get(r["alert_level"], 2) > EXIT_BY_LEVEL[level]:
            level = r["alert_level"]
    if as_json:
        click.echo(json.dumps({"alert_level": level,
                               "modules": [{k: _jsonable(v) for k, v in r.items()} for r in rows],
                               "recommended_indexes": indexes}, indent=2))
    else:
        from rich.console import Console
        from rich.table import Table
        table = Table(title="pgrollup rollup health")
        for col in ("module", "mode", "last_success_at", "last_status", "last_duration", "pending_changes",
                    "staleness", "failures_24h", "alert_level", "alert"):
            table.add_column(col)
        for r in rows:
            table.add_row(*["" if r[c] is None else str(r[c]) for c in
                            ("module", "mode", "last_success_at", "last_status", "last_duration", "pending_changes",
                             "staleness", "failures_24h", "alert_level", "alert")])
        Console(width=200).print(table)
        for ddl in indexes:
            click.echo(f"recommended index (pgrollup does not create it): {ddl}")
        click.echo(f"overall: {level}")
    sys.exit(EXIT_BY_LEVEL.get(level, 2))


@click.command()
@dsn_option
@module_option(help="Refresh only this module.")
@click.option("--no-wait", is_flag=True, help="Skip a module whose refresh is already running.")
@user_errors
def refresh(dsn, module, no_wait):
    """Run pgrollup.refresh() (for schedulers other than pg_cron); exit 1 when a module failed."""
    if module:
        check_module_names([module])
    with connect(dsn) as conn:
        # the two steps of pgrollup.run_refresh: each attempt is committed (status running) before
        # its work, so one cancelled by statement_timeout or a client stays on record
        run_ids = [r[0] for r in conn.execute("SELECT pgrollup.refresh_begin(%s)", (module,)).fetchall()]
        failed = False
        for run_id in run_ids:
            m, st, n, d = conn.execute("SELECT module, status, changes_applied, duration FROM pgrollup.refresh_run(%s, %s)",
                                       (run_id, not no_wait)).fetchone()
            click.echo(f"{m}: {st}, {n} changes applied in {d.total_seconds():.3f}s")
            if st == "failed":
                err = conn.execute("SELECT error FROM pgrollup.refresh_runs WHERE run_id = %s", (run_id,)).fetchone()
                click.echo(f"pgrollup: error: {m} refresh failed: {err[0] if err else 'unknown error'}", err=True)
                failed = True
    if failed:
        sys.exit(1)

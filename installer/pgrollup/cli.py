"""The ``pgrollup`` command line."""
from __future__ import annotations

import functools
import json
import sys

import click
import psycopg

from . import __version__, schedule as cron
from .connection import connect, first_line, resolve_dsn
from .errors import UserError
from .install import install as do_install, uninstall as do_uninstall
from .sqlfiles import check_module_names, optional_modules

EXIT_BY_LEVEL = {"ok": 0, "warning": 1, "critical": 2}


def fail(message: str, code: int = 1):
    click.echo(f"pgrollup: error: {message}", err=True)
    sys.exit(code)


def user_errors(fn):
    """Turn user-caused errors into one line on stderr and a non-zero exit, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            fail(str(exc), exc.exit_code)
        except psycopg.errors.InsufficientPrivilege as exc:
            fail(f"permission denied: {first_line(exc)}")
        except psycopg.errors.InvalidParameterValue as exc:
            fail(first_line(exc))
        except psycopg.errors.UndefinedTable as exc:
            fail(f"{first_line(exc)} (is pgrollup installed in this database? run 'pgrollup install')")
        except psycopg.errors.UndefinedFunction as exc:
            fail(f"{first_line(exc)} (is pgrollup installed in this database? run 'pgrollup install')")
        except psycopg.OperationalError as exc:
            fail(f"database connection failed: {first_line(exc)}")
        except psycopg.Error as exc:
            fail(first_line(exc))
    return wrapper


dsn_option = click.option("--dsn", envvar="PGROLLUP_DSN", default=None,
                          help="libpq connection string or URI (else $PGROLLUP_DSN, else the PG* variables).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pgrollup")
def main():
    """pgrollup: exact hourly and daily rollups of event tables, maintained inside PostgreSQL."""


@main.command()
@dsn_option
@click.option("--module", "modules", multiple=True, metavar="M",
              help=f"Module to install (repeatable): {', '.join(optional_modules())}. "
                   "Default: every module whose source tables exist.")
@click.option("--source-schema", default=None, help="Schema of the source tables (default public).")
@click.option("--schedule", "cron_expr", default=None, metavar="CRON",
              help=f"Register the pg_cron refresh job with this schedule (default '{cron.DEFAULT_SCHEDULE}' when pg_cron is available).")
@click.option("--no-schedule", is_flag=True, help="Do not register a pg_cron job.")
@click.option("--dry-run", is_flag=True, help="Print the SQL that would run and change nothing.")
@click.option("--lock-timeout", default="5s", show_default=True,
              help="lock_timeout for DDL on source tables (CREATE TRIGGER); retried on timeout.")
@click.option("--retries", default=5, show_default=True, help="Attempts after a lock timeout.")
@user_errors
def install(dsn, modules, source_schema, cron_expr, no_schedule, dry_run, lock_timeout, retries):
    """Install or upgrade pgrollup in a database (idempotent)."""
    if cron_expr and no_schedule:
        raise UserError("--schedule and --no-schedule exclude each other")
    check_module_names(modules)
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        res = do_install(conn, dsn, modules, source_schema=source_schema, dry_run=dry_run,
                         schedule_mode=False if no_schedule else (True if cron_expr else None),
                         cron_expr=cron_expr or cron.DEFAULT_SCHEDULE, lock_timeout=lock_timeout, retries=retries)
        if dry_run:
            click.echo("-- pgrollup install --dry-run: nothing was changed")
            for stmt in res.sql:
                click.echo(stmt)
            return
        mods = ", ".join(res.modules) or "none (no module's source tables found; core only)"
        applied = len(res.migrations_applied)
        click.echo(f"pgrollup {__version__} installed in {conn.info.dbname}: modules {mods}; "
                   f"{applied} migration{'s' if applied != 1 else ''} applied")
        for msg in res.messages:
            click.echo(msg)


@main.command()
@dsn_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--drop-roles", is_flag=True, help="Also drop the roles pgrollup_reader and pgrollup_admin "
              "(kept when another database still uses them).")
@user_errors
def uninstall(dsn, yes, drop_roles):
    """Remove pgrollup's jobs, triggers and schemas (source tables are never touched)."""
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        if not yes:
            if not sys.stdin.isatty():
                raise UserError("uninstall needs --yes when not run interactively")
            click.confirm(f"Remove pgrollup from {conn.info.dbname}?", abort=True)
        for msg in do_uninstall(conn, dsn, drop_roles=drop_roles):
            click.echo(msg)


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
    from .install import installed_modules, missing_indexes
    from .sqlfiles import modules
    shipped = modules()
    return [ddl for name, schema in installed_modules(conn).items() if name in shipped
            for ddl in missing_indexes(conn, shipped[name], schema)]


def _cron_problem(conn, dsn):
    """When pg_cron lives in another database, rollup_health cannot see the job: look there."""
    row = conn.execute("SELECT value FROM pgrollup_internal.settings WHERE name = 'cron_job_name'").fetchone()
    if not row or conn.execute("SELECT pg_catalog.to_regclass('cron.job') IS NOT NULL").fetchone()[0]:
        return None
    info = cron.detect(conn, dsn)
    if not info.available:
        return f"a pg_cron job is expected but pg_cron is not reachable ({info.reason})"
    found = cron.jobs(conn, dsn, info)
    if not found:
        return f"pg_cron job {row[0]} is missing in database {info.database} (run pgrollup schedule)"
    if not any(j["active"] for j in found):
        return f"pg_cron job {row[0]} is inactive"
    return None


@main.command()
@dsn_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (intervals in seconds).")
@user_errors
def status(dsn, as_json):
    """Print pgrollup.rollup_health; exit 0 ok, 1 warning, 2 critical."""
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        rows = _health(conn)
        cron_problem = _cron_problem(conn, dsn)
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


@main.command()
@dsn_option
@click.option("--module", default=None, help="Refresh only this module.")
@click.option("--no-wait", is_flag=True, help="Skip a module whose refresh is already running.")
@user_errors
def refresh(dsn, module, no_wait):
    """Run pgrollup.refresh() (for schedulers other than pg_cron); exit 1 when a module failed."""
    if module:
        check_module_names([module])
    with connect(dsn) as conn:
        rows = conn.execute("SELECT module, status, changes_applied, duration FROM pgrollup.refresh(%s, %s)",
                            (module, not no_wait)).fetchall()
        failed = False
        for m, st, n, d in rows:
            click.echo(f"{m}: {st}, {n} changes applied in {d.total_seconds():.3f}s")
            if st == "failed":
                err = conn.execute("SELECT error FROM pgrollup.refresh_runs WHERE module = %s ORDER BY run_id DESC LIMIT 1",
                                   (m,)).fetchone()
                click.echo(f"pgrollup: {m} refresh failed: {err[0] if err else 'unknown error'}", err=True)
                failed = True
    if failed:
        sys.exit(1)


@main.command("schedule")
@dsn_option
@click.option("--cron", "cron_expr", default=cron.DEFAULT_SCHEDULE, show_default=True, help="pg_cron schedule (UTC).")
@user_errors
def schedule_cmd(dsn, cron_expr):
    """Register (or update) the pg_cron job that runs pgrollup.refresh()."""
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        info = cron.detect(conn, dsn)
        if not info.available:
            raise UserError(f"pg_cron is not available: {info.reason}")
        jobid = cron.schedule(conn, dsn, info, cron_expr)
        click.echo(f"pg_cron job {cron.job_name(conn.info.dbname)} (id {jobid}) scheduled at '{cron_expr}' "
                   f"in database {info.database}")


@main.command()
@dsn_option
@user_errors
def unschedule(dsn):
    """Remove the pg_cron refresh job."""
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        info = cron.detect(conn, dsn)
        if not info.available:
            raise UserError(f"pg_cron is not available: {info.reason}")
        n = cron.unschedule(conn, dsn, info)
        click.echo(f"removed {n} pg_cron job{'s' if n != 1 else ''}")


@main.command()
@dsn_option
@click.option("--module", required=True, type=click.Choice(optional_modules()), help="Module to backfill.")
@click.option("--account", type=int, default=None, help="reporting: the account to rebuild (required).")
@click.option("--tenant", type=int, default=None, help="messaging: only this tenant (default all).")
@click.option("--from", "date_from", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First local day (YYYY-MM-DD), default the first with data.")
@click.option("--to", "date_to", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last local day (YYYY-MM-DD), inclusive, default the last with data.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@user_errors
def backfill(dsn, module, account, tenant, date_from, date_to, dry_run):
    """Restate rollups from the source tables, with a progress bar."""
    import importlib
    if date_from and date_to and date_from > date_to:
        raise UserError("--from must not be after --to")
    impl = importlib.import_module(f"pgrollup.{module}_cli")
    with connect(dsn) as conn:
        impl.backfill(conn, account=account, tenant=tenant,
                      date_from=date_from.date() if date_from else None,
                      date_to=date_to.date() if date_to else None, dry_run=dry_run)


@main.command()
@dsn_option
@click.option("--account", type=int, required=True, help="Reporting account id.")
@click.argument("zone")
@user_errors
def timezone(dsn, account, zone):
    """Set (and validate) a reporting account's timezone and say what will be restated."""
    from .reporting_cli import set_timezone
    with connect(dsn) as conn:
        set_timezone(conn, account=account, zone=zone)


@main.command()
@click.option("--dsn", default=None, help="Use this database instead of starting a throwaway cluster.")
@click.option("--keep", is_flag=True, help="Leave the throwaway cluster running and print its DSN.")
@user_errors
def demo(dsn, keep):
    """Throwaway PostgreSQL with pg_cron, sample data, install, refresh, dashboards and health."""
    from .demo import run_demo
    run_demo(dsn, keep)


@main.command()
@click.option("--scale", default="1m", show_default=True,
              help="Source rows per module: 10k (smoke), 1m, 5m, 10m, or any count like 200k; several, "
                   "comma-separated (1m,5m,10m), run one after the other into the same results.")
@click.option("--dsn", default=None, help="Use this server (a throwaway database is created and dropped) "
              "instead of starting a throwaway cluster.")
@click.option("--output", default="docs", show_default=True, help="Directory for benchmarks.json and BENCHMARKS.md.")
@click.option("--repeat", default=5, show_default=True, help="Timed runs per measurement (after one warm-up).")
@click.option("--scenario", "scenarios", multiple=True,
              type=click.Choice(["reads", "backfill", "refresh", "write", "freshness"]),
              help="Run only these scenarios (repeatable). Default: all.")
@user_errors
def bench(scale, dsn, output, repeat, scenarios):
    """Benchmark suite: reads, refresh, write overhead, backfill, freshness; writes BENCHMARKS.md and benchmarks.json."""
    from .bench import SCENARIOS, parse_scale, run_bench
    scales = [s.strip() for s in scale.split(",")]
    for s in scales:
        parse_scale(s)   # every scale checked before the first run starts
    for s in scales:
        run_bench(scale=s, dsn=dsn, output=output, repeat=repeat, scenarios=tuple(scenarios) or SCENARIOS)


if __name__ == "__main__":
    main()

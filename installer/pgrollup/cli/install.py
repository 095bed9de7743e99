"""``pgrollup install`` and ``pgrollup uninstall`` (the work: pgrollup.engine.install)."""
from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..engine import schedule as cron
from ..engine.connection import connect, resolve_dsn
from ..engine.install import install as do_install, uninstall as do_uninstall
from ..engine.cronexpr import check_lock_timeout
from ..errors import UserError
from .common import checked, cron_option, dsn_option, module_option, user_errors
from .schedule import cron_database_option


def lock_options(what: str):
    """--lock-timeout and --retries, alike on install and uninstall: each attempt at `what` waits at
    most the timeout for a lock, then is retried."""
    def decorate(fn):
        fn = click.option("--retries", default=5, show_default=True, type=click.IntRange(0, 100), metavar="N",
                          help="Attempts after a lock timeout (0-100).")(fn)
        return click.option("--lock-timeout", default="5s", show_default=True, metavar="DURATION",
                            callback=checked(check_lock_timeout),
                            help=f"lock_timeout for {what}, e.g. 5s, 500ms; retried on timeout.")(fn)
    return decorate


@click.command()
@dsn_option
@module_option(multiple=True, help="Module to install (repeatable). Default: every module whose source tables exist.")
@click.option("--source-schema", default=None, metavar="SCHEMA", help="Schema of the source tables (default public).")
@cron_option("--schedule", "--cron",
             help=f"Register the pg_cron refresh job with this schedule, UTC (default '{cron.DEFAULT_SCHEDULE}' "
                  f"when pg_cron is available).")
@click.option("--no-schedule", is_flag=True, help="Do not register a pg_cron job.")
@click.option("--dry-run", is_flag=True, help="Show the job, the recommended indexes and the role statements, "
                                              "then the SQL that would run; change nothing.")
@click.option("--no-refresh", is_flag=True, help="Skip messaging's first refresh at the end of install "
                                                 "(its views stay empty until the scheduled job or 'pgrollup refresh').")
@lock_options("DDL on source tables (CREATE TRIGGER)")
@cron_database_option
@user_errors
def install(dsn, modules, source_schema, cron_expr, no_schedule, dry_run, no_refresh, lock_timeout, retries,
            cron_database):
    """Install or upgrade pgrollup in a database (idempotent). Every option and precondition is
    checked before anything changes."""
    if cron_expr and no_schedule:
        raise UserError("--schedule and --no-schedule exclude each other")
    if cron_database:   # read by pg_cron detection (engine.schedule.detect)
        os.environ[cron.CRON_DATABASE_ENV] = cron_database
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        res = do_install(conn, dsn, modules, source_schema=source_schema, dry_run=dry_run,
                         schedule_mode=False if no_schedule else (True if cron_expr else None),
                         cron_expr=cron_expr or cron.DEFAULT_SCHEDULE, lock_timeout=lock_timeout, retries=retries,
                         first_refresh=not no_refresh, say=click.echo)
        if dry_run:
            click.echo("-- pgrollup install --dry-run: nothing was changed. What it would do:")
            for line in res.summary:
                click.echo(f"-- {line}")
            click.echo("-- the SQL it would run:")
            for stmt in res.sql:
                click.echo(stmt)
            return
        for msg in res.skipped.values():
            click.echo(f"pgrollup: warning: {msg}", err=True)
        for module, status, _changes, _took in res.first_refresh:
            if status != "ok":
                click.echo(f"pgrollup: warning: first {module} refresh {status}", err=True)
        mods = ", ".join(res.modules) or "none (no module's source tables found; core only)"
        applied = len(res.migrations_applied)
        click.echo(f"pgrollup {__version__} installed in {conn.info.dbname}: modules {mods}; "
                   f"{applied} migration{'s' if applied != 1 else ''} applied")
        for msg in res.messages:
            click.echo(msg)
        if res.next_steps:
            click.echo("next steps:")
            for step in res.next_steps:
                click.echo(f"  - {step}")


@click.command()
@dsn_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--drop-dependents", is_flag=True,
              help="Also drop the application's objects that depend on pgrollup (listed, and uninstall stops, "
                   "without this option).")
@click.option("--drop-roles", is_flag=True, help="Also drop this database's reader and admin roles "
              "(pgrollup.access_roles).")
@lock_options("dropping pgrollup's triggers and schemas")
@cron_database_option
@user_errors
def uninstall(dsn, yes, drop_dependents, drop_roles, lock_timeout, retries, cron_database):
    """Remove pgrollup's jobs, triggers and schemas (source tables are never touched)."""
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        if not yes:
            if not sys.stdin.isatty():
                raise UserError("uninstall needs --yes when not run interactively")
            click.confirm(f"Remove pgrollup from {conn.info.dbname}?", abort=True)
        for msg in do_uninstall(conn, dsn, drop_roles=drop_roles, drop_dependents=drop_dependents,
                                lock_timeout=lock_timeout, retries=retries, cron_database=cron_database):
            click.echo(msg)

"""``pgrollup install`` and ``pgrollup uninstall`` (the work: pgrollup.engine.install)."""
from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..engine import schedule as cron
from ..engine.connection import connect, resolve_dsn
from ..engine.install import install as do_install, uninstall as do_uninstall
from ..engine.sqlfiles import check_module_names, optional_modules
from ..errors import UserError
from .common import dsn_option, user_errors
from .schedule import cron_database_option


@click.command()
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
@cron_database_option
@user_errors
def install(dsn, modules, source_schema, cron_expr, no_schedule, dry_run, lock_timeout, retries, cron_database):
    """Install or upgrade pgrollup in a database (idempotent)."""
    if cron_expr and no_schedule:
        raise UserError("--schedule and --no-schedule exclude each other")
    check_module_names(modules)
    if cron_database:   # read by pg_cron detection (engine.schedule.detect)
        os.environ[cron.CRON_DATABASE_ENV] = cron_database
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


@click.command()
@dsn_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--drop-dependents", is_flag=True,
              help="Also drop the application's objects that depend on pgrollup (listed, and uninstall stops, "
                   "without this option).")
@click.option("--drop-roles", is_flag=True, help="Also drop this database's reader and admin roles "
              "(pgrollup.access_roles).")
@click.option("--lock-timeout", default="5s", show_default=True,
              help="lock_timeout for each attempt to drop pgrollup's triggers and schemas; retried on timeout.")
@click.option("--retries", default=5, show_default=True, help="Attempts after a lock timeout.")
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

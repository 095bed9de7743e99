"""``pgrollup schedule`` and ``pgrollup unschedule``: the pg_cron jobs (the work: pgrollup.engine.schedule)."""
from __future__ import annotations

import click

from ..engine import schedule as cron
from ..engine.connection import connect, resolve_dsn
from .common import cron_option, dsn_option, user_errors

cron_database_option = click.option(
    "--cron-database", envvar=cron.CRON_DATABASE_ENV, default=None, metavar="DBNAME",
    help="Database where pg_cron is installed (default: found from the target database, else postgres; "
         f"also ${cron.CRON_DATABASE_ENV}).")


@click.command("schedule")
@dsn_option
@cron_option("--cron", "--schedule", default=cron.DEFAULT_SCHEDULE, help="pg_cron schedule (UTC).")
@cron_database_option
@user_errors
def schedule_cmd(dsn, cron_expr, cron_database):
    """Register (or update) the pg_cron jobs that run the refresh."""
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        info = cron.detect(conn, dsn, cron_database)
        ids = cron.schedule(conn, dsn, info, cron_expr)
        for name, jobid in ids.items():
            expr = cron_expr if name == cron.job_name(conn.info.dbname) else cron.APPLY_SCHEDULE
            click.echo(f"pg_cron job {name} (id {jobid}) scheduled at '{expr}' in database {info.database}")


@click.command()
@dsn_option
@cron_database_option
@user_errors
def unschedule(dsn, cron_database):
    """Remove this database's pg_cron jobs."""
    dsn = resolve_dsn(dsn)
    with connect(dsn) as conn:
        info = cron.detect(conn, dsn, cron_database)
        removed = cron.unschedule(conn, dsn, info)
        if removed:
            click.echo(f"removed pg_cron job{'s' if len(removed) != 1 else ''} {', '.join(removed)}")
        else:
            click.echo("no pg_cron job to remove")

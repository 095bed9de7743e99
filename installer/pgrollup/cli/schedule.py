"""``pgrollup schedule`` and ``pgrollup unschedule``: the pg_cron job (the work: pgrollup.engine.schedule)."""
from __future__ import annotations

import click

from ..engine import schedule as cron
from ..engine.connection import connect, resolve_dsn
from ..errors import UserError
from .common import cron_option, dsn_option, user_errors


@click.command("schedule")
@dsn_option
@cron_option("--cron", "--schedule", default=cron.DEFAULT_SCHEDULE, help="pg_cron schedule (UTC).")
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


@click.command()
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

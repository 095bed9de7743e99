"""``pgrollup backfill --module reporting``: plan, dry run and a per-month progress bar.

The rules live in SQL (pgrollup.reporting_backfill_plan, pgrollup.backfill_reporting,
pgrollup.set_reporting_timezone); this module only plans, asks, calls and prints.

Progress: a long backfill is run as one atomic call per calendar month of local days (each month
is rebuilt in its own transaction, atomically and idempotently). The account's writers wait for
the backfill's exclusive lock only while one month is rebuilt instead of for the whole range, and
the bar advances per month. A failure leaves finished months rebuilt and the others untouched;
running the same command again finishes the job. Call pgrollup.backfill_reporting() directly when
the whole range must change in one transaction.
"""
from __future__ import annotations

import datetime as dt
import time

import click
import psycopg

from ..errors import UserError

WARN_DAYS = 730


def require_installed(conn: psycopg.Connection) -> None:
    ok = conn.execute("SELECT pg_catalog.to_regprocedure('pgrollup.backfill_reporting(bigint,date,date)') IS NOT NULL").fetchone()[0]
    if not ok:
        raise UserError("the reporting module is not installed in this database (run 'pgrollup install --module reporting')")


def account_zone(conn: psycopg.Connection, account: int) -> str | None:
    row = conn.execute("SELECT timezone FROM pgrollup_internal.reporting_accounts WHERE account_id = %s",
                       (account,)).fetchone()
    return row[0] if row else None


def backfill_plan(conn, account, date_from, date_to, zone=None):
    return conn.execute("SELECT timezone, first_day, last_day, days, events "
                        "FROM pgrollup.reporting_backfill_plan(%s, %s, %s, %s)",
                        (account, date_from, date_to, zone)).fetchone()


def _months(first: dt.date, last: dt.date):
    """Calendar-month chunks [a, b] covering first..last."""
    a = first
    while a <= last:
        nxt = (a.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        b = min(last, nxt - dt.timedelta(days=1))
        yield a, b
        a = b + dt.timedelta(days=1)


def backfill(conn: psycopg.Connection, *, account, tenant=None, date_from=None, date_to=None, dry_run=False) -> None:
    if account is None:
        raise UserError("--account is required with --module reporting")
    require_installed(conn)
    if account_zone(conn, account) is None:
        raise UserError(f"account {account} has no reporting timezone: set one with "
                        f"'pgrollup timezone --account {account} ZONE' (that also builds its history)")
    zone, first, last, days, events = backfill_plan(conn, account, date_from, date_to)
    if first is None or last is None:
        click.echo(f"plan: account {account} ({zone}): no registered events"
                   f"{'' if date_from or date_to else ' at all'}; nothing to rebuild")
        return
    click.echo(f"plan: account {account} ({zone}): local days {first} .. {last} ({days} days), "
               f"{events:,} registered events to read")
    if days > WARN_DAYS:
        click.echo(f"pgrollup: warning: {days} days is more than {WARN_DAYS}: the backfill rebuilds them month by month; "
                   f"writers of account {account} wait while each month is rebuilt", err=True)
    if dry_run:
        click.echo("dry run: nothing was changed")
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    chunks = list(_months(first, last))
    rows = 0
    t0 = time.perf_counter()
    with Progress(TextColumn("[bold]backfill[/bold] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=False) as progress:
        task = progress.add_task(f"account {account}", total=len(chunks))
        for a, b in chunks:
            progress.update(task, description=f"account {account} {a}..{b}")
            rows += conn.execute("SELECT pgrollup.backfill_reporting(%s, %s, %s)", (account, a, b)).fetchone()[0]
            progress.advance(task)
    click.echo(f"rebuilt account {account} ({zone}) {first} .. {last}: {rows:,} rollup rows in "
               f"{time.perf_counter() - t0:.1f}s ({len(chunks)} month{'s' if len(chunks) != 1 else ''}, each atomic)")

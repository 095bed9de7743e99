"""``pgrollup backfill --module messaging``: plan, dry run and a per-tenant progress bar.

The work happens in SQL (pgrollup.backfill_messaging, one transaction per tenant); this module
only asks for the plan, calls it and prints."""
from __future__ import annotations

import datetime as dt
import time

import click
import psycopg

from ..engine.connection import first_line
from ..errors import UserError


def _plan(conn: psycopg.Connection, tenant, date_from, date_to):
    try:
        cur = conn.execute("SELECT tenant_id, timezone, first_date, last_date, days, messages "
                           "FROM pgrollup.messaging_backfill_plan(%s, %s, %s)", (tenant, date_from, date_to))
    except psycopg.errors.UndefinedFunction:
        raise UserError("the messaging module is not installed in this database "
                        "(run 'pgrollup install --module messaging')") from None
    except psycopg.errors.InvalidParameterValue as exc:
        raise UserError(first_line(exc)) from None
    return cur.fetchall()


def _on_citus(conn: psycopg.Connection) -> bool:
    """The messaging change log is a Citus distributed table (the sources are distributed)."""
    return conn.execute(
        "SELECT pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL "
        "   AND pg_catalog.to_regclass('pgrollup_internal.msg_changes') IS NOT NULL").fetchone()[0] and conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition AS d "
        "                WHERE d.logicalrelid = 'pgrollup_internal.msg_changes'::regclass)").fetchone()[0]


def _slice_text(tenant, date_from, date_to) -> str:
    who = f"tenant {tenant}" if tenant is not None else "all tenants"
    span = f"{date_from or 'first day'} .. {date_to or 'last day'}"
    return f"{who}, local days {span}"


def backfill(conn: psycopg.Connection, *, account=None, tenant: int | None = None,
             date_from: dt.date | None = None, date_to: dt.date | None = None, dry_run: bool = False) -> None:
    """Restate the messaging rollups of a slice from the source tables (``account`` is unused)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    if date_from and date_to and date_from > date_to:
        raise UserError("--from must not be after --to")
    mode = conn.execute("SELECT mode FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()
    if mode is None:
        raise UserError("the messaging module is not installed in this database "
                        "(run 'pgrollup install --module messaging')")
    mode = mode[0]
    plan = _plan(conn, tenant, date_from, date_to)
    total = sum(r[5] for r in plan)
    console = Console(width=120)
    table = Table(title=f"messaging backfill plan: {_slice_text(tenant, date_from, date_to)}")
    for col in ("tenant", "zone", "first local day", "last local day", "days", "messages"):
        table.add_column(col, justify="right" if col in ("days", "messages", "tenant") else "left")
    for t, zone, first, last, days, msgs in plan:
        table.add_row(str(t), zone, str(first or ""), str(last or ""), str(days), str(msgs))
    console.print(table)
    click.echo(f"{len(plan)} tenant{'s' if len(plan) != 1 else ''}, {total} message{'s' if total != 1 else ''} to restate"
               + (" (materialized_view mode: the backfill refreshes the materialized views)" if mode == "materialized_view" else ""))
    if dry_run:
        click.echo("dry run: nothing was changed")
        return
    if mode == "materialized_view":
        t0 = time.perf_counter()
        n = conn.execute("SELECT pgrollup.backfill_messaging(%s, %s, %s)", (tenant, date_from, date_to)).fetchone()[0]
        click.echo(f"materialized views refreshed ({n} messages) in {time.perf_counter() - t0:.2f}s")
        return
    if not plan:
        click.echo("nothing to backfill")
        return
    t0 = time.perf_counter()
    done = 0
    with Progress(TextColumn("[bold]backfill[/bold] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("messages"), TimeElapsedColumn(), console=console, transient=False) as progress:
        task = progress.add_task("messaging", total=max(total, 1))
        for t, _zone, _first, _last, _days, msgs in plan:
            progress.update(task, description=f"tenant {t}")
            try:
                n = conn.execute("SELECT pgrollup.backfill_messaging(%s, %s, %s)", (t, date_from, date_to)).fetchone()[0]
            except psycopg.errors.InvalidParameterValue as exc:
                raise UserError(first_line(exc)) from None
            done += n
            progress.advance(task, msgs)
    if _on_citus(conn):
        # on Citus the backfill logged its keys; the refresh restates them on the workers
        status, applied = conn.execute(
            "SELECT status, changes_applied FROM pgrollup.refresh('messaging')").fetchone()
        if status != "ok":
            raise UserError(f"messaging backfill logged {done} keys, but the refresh that applies them ended {status} "
                            f"('pgrollup status' says why; the next refresh retries)")
        click.echo(f"restated {len(plan)} tenant{'s' if len(plan) != 1 else ''} on the Citus workers "
                   f"({applied} keys applied) in {time.perf_counter() - t0:.2f}s")
        return
    click.echo(f"restated {done} message{'s' if done != 1 else ''} of {len(plan)} tenant{'s' if len(plan) != 1 else ''} "
               f"in {time.perf_counter() - t0:.2f}s")

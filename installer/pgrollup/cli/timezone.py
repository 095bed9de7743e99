"""``pgrollup timezone``: set and validate a reporting account's zone and say what is restated.

The rule lives in SQL (pgrollup.set_reporting_timezone restates the account); this module only
validates, plans, calls and prints."""
from __future__ import annotations

import time

import click
import psycopg

from ..engine.connection import connect
from ..errors import UserError
from .backfill_reporting import backfill_plan, require_installed, account_zone
from .common import dsn_option, user_errors


@click.command()
@dsn_option
@click.option("--account", type=int, required=True, help="Reporting account id.")
@click.argument("zone")
@user_errors
def timezone(dsn, account, zone):
    """Set (and validate) a reporting account's timezone and say what will be restated."""
    with connect(dsn) as conn:
        set_timezone(conn, account=account, zone=zone)


def set_timezone(conn: psycopg.Connection, *, account, zone) -> None:
    require_installed(conn)
    off = zone.strip().lower() in ("none", "null", "off")
    if off:
        new = None
    else:
        try:
            new = conn.execute("SELECT pgrollup_internal.check_timezone(%s, 'ZONE')", (zone,)).fetchone()[0]
        except psycopg.errors.InvalidParameterValue as exc:
            raise UserError(str(exc).splitlines()[0]) from None
    old = account_zone(conn, account)
    if old == new:
        click.echo(f"account {account}: timezone is already {new or 'not set'}; nothing to restate")
        return
    if new is None:
        n = conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups WHERE account_id = %s",
                         (account,)).fetchone()[0]
        click.echo(f"account {account}: timezone {old} -> none: rollups off, {n:,} rollup rows will be removed")
    else:
        _, first, last, days, events = backfill_plan(conn, account, None, None, new)
        what = (f"restating {events:,} registered events over local days {first} .. {last} ({days} days)"
                if events else "no registered events yet")
        click.echo(f"account {account}: timezone {old or 'not set'} -> {new}: {what}")
    t0 = time.perf_counter()
    conn.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, new))
    n = conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups WHERE account_id = %s",
                     (account,)).fetchone()[0]
    click.echo(f"done in {time.perf_counter() - t0:.1f}s: account {account} has {n:,} rollup rows"
               + (f" in {new}" if new else ""))

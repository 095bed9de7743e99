"""``pgrollup timezone``: set (and validate) a reporting account's or a messaging tenant's zone and
say what is restated.

The rules live in SQL (pgrollup.set_reporting_timezone restates the account at once;
pgrollup.set_tenant_timezone queues the tenant's restatement for the next refresh); this module
only validates, plans, calls and prints."""
from __future__ import annotations

import time

import click
import psycopg

from ..engine.connection import connect
from ..errors import UserError
from .backfill_reporting import account_zone, backfill_plan, require_installed
from .common import dsn_option, id_option, user_errors

OFF = ("none", "null", "off")


@click.command()
@dsn_option
@id_option("account", "Reporting account id (its rollups are rebuilt in the new zone now).")
@id_option("tenant", "Messaging tenant id (restated in the new zone at the next refresh).")
@click.argument("zone", metavar="ZONE")
@user_errors
def timezone(dsn, account, tenant, zone):
    """Set a reporting account's (--account ID ZONE) or a messaging tenant's (--tenant ID ZONE)
    timezone, an IANA name such as Asia/Kolkata. ZONE 'none' turns an account's rollups off, or
    resets a tenant to UTC."""
    if (account is None) == (tenant is None):
        raise UserError("give exactly one of --account ID (reporting) and --tenant ID (messaging)")
    with connect(dsn) as conn:
        if account is not None:
            set_timezone(conn, account=account, zone=zone)
        else:
            set_tenant_timezone(conn, tenant=tenant, zone=zone)


def _check_zone(conn, zone):
    if zone.strip().lower() in OFF:
        return None
    try:
        return conn.execute("SELECT pgrollup_internal.check_timezone(%s, 'ZONE')", (zone,)).fetchone()[0]
    except psycopg.errors.InvalidParameterValue as exc:
        raise UserError(str(exc).splitlines()[0]) from None


def set_timezone(conn: psycopg.Connection, *, account, zone) -> None:
    require_installed(conn)
    new = _check_zone(conn, zone)
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


def set_tenant_timezone(conn: psycopg.Connection, *, tenant, zone) -> None:
    if not conn.execute("SELECT pg_catalog.to_regprocedure('pgrollup.set_tenant_timezone(bigint,text)') IS NOT NULL").fetchone()[0]:
        raise UserError("the messaging module is not installed in this database "
                        "(run 'pgrollup install --module messaging')")
    new = _check_zone(conn, zone) or "UTC"
    row = conn.execute("SELECT timezone FROM pgrollup_internal.msg_tenants WHERE tenant_id = %s", (tenant,)).fetchone()
    old = row[0] if row else "UTC"
    if old == new:
        click.echo(f"tenant {tenant}: timezone is already {new}; nothing to restate")
        return
    plan = conn.execute("SELECT first_date, last_date, days, messages FROM pgrollup.messaging_backfill_plan(%s)",
                        (tenant,)).fetchone()
    conn.execute("SELECT pgrollup.set_tenant_timezone(%s, %s)", (tenant, None if new == "UTC" and row else new))
    what = (f"{plan[3]:,} message{'s' if plan[3] != 1 else ''} over {plan[2]} local day{'s' if plan[2] != 1 else ''} "
            f"({plan[0]} .. {plan[1]})" if plan and plan[3] else "no messages yet")
    mode = conn.execute("SELECT mode FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()
    click.echo(f"tenant {tenant}: timezone {old} -> {new}; its whole history ({what}) is restated in {new} at the "
               f"next refresh ('pgrollup refresh --module messaging', or the scheduled job)"
               + ("" if not mode or mode[0] == "incremental" else f" ({mode[0]} mode)"))

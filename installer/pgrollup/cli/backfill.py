"""``pgrollup backfill``: dispatches to the module's plan-and-progress implementation
(backfill_reporting.py, backfill_messaging.py)."""
from __future__ import annotations

import click

from ..engine.connection import connect
from ..engine.sqlfiles import optional_modules
from ..errors import UserError
from .common import dsn_option, user_errors


@click.command()
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
    impl = importlib.import_module(f"pgrollup.cli.backfill_{module}")
    with connect(dsn) as conn:
        impl.backfill(conn, account=account, tenant=tenant,
                      date_from=date_from.date() if date_from else None,
                      date_to=date_to.date() if date_to else None, dry_run=dry_run)

"""``pgrollup backfill``: dispatches to the module's plan-and-progress implementation
(backfill_reporting.py, backfill_messaging.py)."""
from __future__ import annotations

import click

from ..engine.connection import connect
from ..errors import UserError
from .common import date_option, dsn_option, id_option, module_option, user_errors

# the slice options each module takes: one that does not apply is an error, never ignored
APPLIES = {"reporting": {"account"}, "messaging": {"tenant"}}


@click.command()
@dsn_option
@module_option(required=True, help="Module to backfill.")
@id_option("account", "reporting: the account to rebuild (required with --module reporting).")
@id_option("tenant", "messaging: only this tenant (default every tenant).")
@date_option("--from", "date_from", "First local day (YYYY-MM-DD), default the first with data.")
@date_option("--to", "date_to", "Last local day (YYYY-MM-DD), inclusive, default the last with data.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@user_errors
def backfill(dsn, module, account, tenant, date_from, date_to, dry_run):
    """Restate rollups from the source tables, with a progress bar."""
    import importlib
    given = {"account": account, "tenant": tenant}
    for name, value in given.items():
        if value is not None and name not in APPLIES[module]:
            other = next(m for m, opts in APPLIES.items() if name in opts)
            raise UserError(f"--{name} does not apply to --module {module} (it selects a {other} "
                            f"{'account' if other == 'reporting' else 'tenant'}); "
                            f"{module} takes {' '.join('--' + o + ' ID' for o in sorted(APPLIES[module]))}")
    if date_from and date_to and date_from > date_to:
        raise UserError("--from must not be after --to")
    impl = importlib.import_module(f"pgrollup.cli.backfill_{module}")
    with connect(dsn) as conn:
        impl.backfill(conn, account=account, tenant=tenant,
                      date_from=date_from.date() if date_from else None,
                      date_to=date_to.date() if date_to else None, dry_run=dry_run)

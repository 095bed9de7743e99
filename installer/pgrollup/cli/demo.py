"""``pgrollup demo`` (the scenario itself: pgrollup.demo)."""
from __future__ import annotations

import click

from .common import user_errors


@click.command()
@click.option("--dsn", default=None, metavar="DSN", help="Use this database instead of starting a throwaway cluster.")
@click.option("--keep", is_flag=True, help="Leave the throwaway cluster running and print its DSN.")
@click.option("--yes", is_flag=True, help="With --dsn: run even when the database has data in the source tables or "
                                          "pgrollup settings (existing tables, rows, settings and jobs are kept).")
@user_errors
def demo(dsn, keep, yes):
    """Throwaway PostgreSQL with pg_cron, sample data, install, refresh, dashboards and health.
    With --dsn, a database that already has data or pgrollup settings is refused unless --yes."""
    from ..demo import run_demo
    run_demo(dsn, keep, yes)

"""``pgrollup demo`` (the scenario itself: pgrollup.demo)."""
from __future__ import annotations

import click

from .common import user_errors


@click.command()
@click.option("--dsn", default=None, help="Use this database instead of starting a throwaway cluster.")
@click.option("--keep", is_flag=True, help="Leave the throwaway cluster running and print its DSN.")
@user_errors
def demo(dsn, keep):
    """Throwaway PostgreSQL with pg_cron, sample data, install, refresh, dashboards and health."""
    from ..demo import run_demo
    run_demo(dsn, keep)

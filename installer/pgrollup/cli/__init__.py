"""The ``pgrollup`` command line: one module per command group, each thin (it parses options,
calls the engine in pgrollup.engine or a SQL function, and prints)."""
from __future__ import annotations

import click

from .. import __version__
from .backfill import backfill
from .common import Group
from .demo import demo
from .install import install, uninstall
from .schedule import schedule_cmd, unschedule
from .status import refresh, status
from .timezone import timezone


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="pgrollup")
def main():
    """pgrollup: exact hourly and daily rollups of event tables, maintained inside PostgreSQL."""


# one line each in `pgrollup --help`, never cut with "..."
SHORT_HELP = {
    install: "Install or upgrade pgrollup in a database.",
    uninstall: "Remove pgrollup's jobs, triggers and schemas.",
    status: "Print rollup health; exit 0 ok, 1 warning, 2 critical.",
    refresh: "Run pgrollup.refresh() now.",
    schedule_cmd: "Register or update the pg_cron refresh job.",
    unschedule: "Remove the pg_cron refresh job.",
    backfill: "Restate rollups of a slice from the source tables.",
    timezone: "Set an account's or a tenant's timezone.",
    demo: "Throwaway PostgreSQL, sample data and dashboards.",
}

for _command in (install, uninstall, status, refresh, schedule_cmd, unschedule, backfill, timezone, demo):
    _command.short_help = SHORT_HELP[_command]
    main.add_command(_command)

"""The ``pgrollup`` command line: one module per command group, each thin (it parses options,
calls the engine in pgrollup.engine or a SQL function, and prints)."""
from __future__ import annotations

import click

from .. import __version__
from .backfill import backfill
from .demo import demo
from .install import install, uninstall
from .schedule import schedule_cmd, unschedule
from .status import refresh, status
from .timezone import timezone


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pgrollup")
def main():
    """pgrollup: exact hourly and daily rollups of event tables, maintained inside PostgreSQL."""


for _command in (install, uninstall, status, refresh, schedule_cmd, unschedule, backfill, timezone, demo):
    main.add_command(_command)

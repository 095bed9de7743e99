"""``pgrollup demo``: a throwaway cluster, sample data, install, refresh, dashboards, health."""
from __future__ import annotations

import importlib
import time

import click
from rich.console import Console

from .. import __version__
from ..engine.connection import connect
from ..devdb import Cluster
from ..engine.install import install
from ..engine.sqlfiles import optional_modules


def _module_demos():
    """Each module may ship ``pgrollup.demo.<module>`` with ``setup(conn)`` (source tables and
    sample data) and ``show(conn, console)`` (its dashboards)."""
    out = {}
    for name in optional_modules():
        try:
            out[name] = importlib.import_module(f"pgrollup.demo.{name}")
        except ModuleNotFoundError:
            pass
    return out


def run_demo(dsn: str | None, keep: bool) -> None:
    console = Console(width=160)
    cluster = None
    if not dsn:
        console.print("[bold]Starting a throwaway PostgreSQL cluster with pg_cron...[/bold]")
        cluster = Cluster().start()
        with connect(cluster.dsn("postgres")) as c:
            c.execute("CREATE DATABASE pgrollup_demo")
        dsn = cluster.dsn("pgrollup_demo")
    try:
        demos = _module_demos()
        with connect(dsn) as conn:
            for name, mod in demos.items():
                t0 = time.perf_counter()
                mod.setup(conn)
                console.print(f"sample data for [bold]{name}[/bold] loaded in {time.perf_counter() - t0:.1f}s")
            res = install(conn, dsn)
            console.print(f"pgrollup {__version__} installed: modules {', '.join(res.modules) or 'none'}")
            for msg in res.messages:
                console.print(msg)
            for name, mod in demos.items():
                if hasattr(mod, "after_install"):
                    mod.after_install(conn)
            rows = conn.execute("SELECT module, status, changes_applied, duration FROM pgrollup.refresh()").fetchall()
            for m, st, n, d in rows:
                console.print(f"refresh {m}: {st}, {n} changes applied in {d.total_seconds():.3f}s")
            for name, mod in demos.items():
                mod.show(conn, console)
            from rich.table import Table
            table = Table(title="pgrollup.rollup_health")
            cur = conn.execute("SELECT module, mode, last_success_at, last_status, last_duration, pending_changes, "
                               "staleness, failures_24h, alert_level, alert FROM pgrollup.rollup_health ORDER BY module")
            for d in cur.description:
                table.add_column(d.name)
            for r in cur.fetchall():
                table.add_row(*["" if v is None else str(v) for v in r])
            console.print(table)
        if keep and cluster:
            console.print(f"cluster kept running: psql '{dsn}'  (data in {cluster.base})")
            cluster = None
    finally:
        if cluster:
            cluster.stop()

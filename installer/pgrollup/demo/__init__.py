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
from ..engine.sqlfiles import modules as shipped_modules, optional_modules
from ..errors import UserError


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


def existing_state(conn) -> list[str]:
    """What the database already holds that the demo would touch: rows in the source tables
    (schema public) and pgrollup's own settings."""
    found = []
    for name, mod in shipped_modules().items():
        for table in mod.tables:
            if conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (f"public.{table}",)).fetchone()[0] and \
                    conn.execute(f'SELECT EXISTS (SELECT 1 FROM public."{table}")').fetchone()[0]:
                found.append(f"public.{table} has rows")
    if conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.modules') IS NOT NULL").fetchone()[0]:
        mods = [r[0] for r in conn.execute("SELECT module FROM pgrollup_internal.modules ORDER BY 1").fetchall()]
        found.append(f"pgrollup is installed (modules: {', '.join(mods) or 'core only'})")
        for table, what in (("msg_tenants", "tenant zones"), ("reporting_accounts", "reporting account settings")):
            if conn.execute(f"SELECT pg_catalog.to_regclass('pgrollup_internal.{table}') IS NOT NULL").fetchone()[0]:
                n = conn.execute(f"SELECT count(*) FROM pgrollup_internal.{table}").fetchone()[0]
                if n:
                    found.append(f"{n} {what}")
    return found


def run_demo(dsn: str | None, keep: bool, yes: bool = False) -> None:
    """The demo on a throwaway cluster, or on the database --dsn names: there it refuses a database
    with data in the source tables or pgrollup settings unless ``yes``, and even then creates only
    the tables that are absent, loads sample data only into tables it created, sets zones only for
    tenants and accounts that have no setting yet, and registers no pg_cron job."""
    console = Console(width=160)
    cluster = None
    own_cluster = not dsn
    if dsn:
        with connect(dsn) as conn:
            found = existing_state(conn)
            dbname = conn.info.dbname
        if found and not yes:
            raise UserError(f"database {dbname} is not empty: {'; '.join(found)}. The demo adds sample "
                            f"tables, data and settings: run it without --dsn (a throwaway cluster) or on an empty "
                            f"database, or pass --yes (it then keeps every existing table, row, setting and job and "
                            f"only adds what is missing)")
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
                loaded = mod.setup(conn)
                console.print(f"sample data for [bold]{name}[/bold] loaded in {time.perf_counter() - t0:.1f}s" if loaded
                              else f"[bold]{name}[/bold]: source tables exist already; the demo uses them as they are")
            # on a database of its own the demo schedules the refresh job; on --dsn it never
            # registers or changes one (it refreshes itself below)
            res = install(conn, dsn, schedule_mode=None if own_cluster else False, first_refresh=True)
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

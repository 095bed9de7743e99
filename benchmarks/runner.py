"""The benchmark suite (``python -m benchmarks`` / ``scripts/bench.sh``).

Creates a throwaway database (a throwaway cluster unless --dsn is given), loads a year of skewed
sample data for both modules at the chosen scale, installs pgrollup and runs each scenario several
times after a warm-up:

- reads: dashboard reads from rollups vs the same answer computed from the source tables;
- refresh: messaging incremental refresh vs materialized-view refresh after 10k changed rows
  (on one day, and scattered over the year);
- write: COPY and single-row INSERTs (pgbench, 1/4/8 clients) with and without capture;
- backfill: pgrollup.backfill_reporting of the large account vs a bare INSERT ... SELECT ... GROUP BY;
- freshness: staleness sampled under steady ingest while a scheduled refresh runs.

Results go to <output>/benchmarks.json (keyed by scale, so runs at several scales accumulate) and
<output>/BENCHMARKS.md (rendered from the JSON). Data is generated in SQL; Python orchestrates.
"""
from __future__ import annotations

import datetime as dt
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import click
import psycopg
from psycopg import conninfo as _conninfo

from pgrollup import __version__
from pgrollup.devdb import CitusCluster, Cluster, citus_available, find_bindir
from pgrollup.engine.install import install
from pgrollup.errors import UserError

from . import data
from .data import parse_scale
from .report import write_outputs

SCENARIOS = ("reads", "backfill", "refresh", "write", "freshness", "size", "citus")
BIG_ACCOUNT = 1
BIG_TENANT = 1

def _mem_total_kb() -> int:
    """The machine's memory (MemTotal of /proc/meminfo) in kB; 0 when unknown."""
    try:
        return next(int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal:"))
    except (OSError, StopIteration, ValueError):
        return 0


def _memory_settings() -> dict:
    """shared_buffers a quarter of RAM (at most 8GB), effective_cache_size three quarters, as PostgreSQL's
    documentation advises for a dedicated server; 1GB / 4GB when RAM is unknown."""
    mb = _mem_total_kb() // 1024
    if not mb:
        return {"shared_buffers": "'1GB'", "effective_cache_size": "'4GB'"}
    return {"shared_buffers": f"'{max(128, min(8192, mb // 4))}MB'", "effective_cache_size": f"'{max(512, mb * 3 // 4)}MB'"}


BENCH_SETTINGS = {
    **_memory_settings(),
    "work_mem": "'64MB'",
    "maintenance_work_mem": "'512MB'",
    "max_wal_size": "'8GB'",
    "checkpoint_timeout": "'30min'",
    "max_worker_processes": 16,
    "shared_preload_libraries": "'pg_cron,pg_stat_statements'",
    # nested statements are tracked only on the connections that time a refresh or a backfill
    # (tracking them for every writer would add its own cost to the write-path measurements)
    "pg_stat_statements.track": "top",
    "log_lock_waits": "on",
    "deadlock_timeout": "'1s'",
}
REPORTED_SETTINGS = ("shared_buffers", "work_mem", "maintenance_work_mem", "effective_cache_size", "max_wal_size",
                     "checkpoint_timeout", "fsync", "synchronous_commit", "full_page_writes", "wal_level",
                     "max_parallel_workers_per_gather", "jit", "random_page_cost")


def echo(msg: str) -> None:
    click.echo(f"[{time.strftime('%H:%M:%S')}] {msg}")


def stats(samples_ms: list[float]) -> dict:
    return {"median_ms": round(statistics.median(samples_ms), 3), "min_ms": round(min(samples_ms), 3),
            "max_ms": round(max(samples_ms), 3), "runs_ms": [round(x, 3) for x in samples_ms]}


class MemSampler:
    """Peak memory of one backend, sampled from /proc/<pid>/status while a call runs: RssAnon (the
    backend's private memory) and VmHWM (peak resident set, shared buffers it touched included)."""

    def __init__(self, pid: int, interval: float = 0.01):
        self.path = Path(f"/proc/{pid}/status")
        self.interval = interval
        self.peak_anon_kb = 0
        self.hwm_kb = 0
        self.ok = self.path.exists()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        try:
            text = self.path.read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("RssAnon:"):
                self.peak_anon_kb = max(self.peak_anon_kb, int(line.split()[1]))
            elif line.startswith("VmHWM:"):
                self.hwm_kb = max(self.hwm_kb, int(line.split()[1]))

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def __enter__(self):
        if self.ok:
            self._t.start()
        return self

    def __exit__(self, *exc):
        if self.ok:
            self._stop.set()
            self._t.join()
            self._sample()

    def result(self) -> dict | None:
        if not self.ok:
            return None
        return {"peak_rss_anon_mb": round(self.peak_anon_kb / 1024, 1), "vm_hwm_mb": round(self.hwm_kb / 1024, 1)}


class Bench:
    def __init__(self, scale: str, dsn: str | None, output: Path, repeat: int, scenarios: tuple[str, ...],
                 write_rows: int | None, pgbench_rows: int | None, freshness_seconds: float | None,
                 refresh_interval: float | None, keep: bool):
        self.scale_label = scale.strip().lower()
        self.rows = parse_scale(scale)
        self.shape = data.Shape(self.rows)
        self.base_dsn = dsn
        self.output = output
        self.repeat = max(1, repeat)
        self.scenarios = scenarios
        tiny = self.rows < 200_000
        self.change_rows = min(10_000, max(500, self.rows // 10))
        self.write_rows = write_rows or min(100_000, max(1_000, self.rows // 10))
        # single-row INSERT transactions per pgbench run: at 8 clients on two cores 20,000 took under
        # two seconds, and the 8-client throughput of one arm moved by 20 % between runs of that length
        self.pgbench_rows = pgbench_rows or (min(60_000, max(400, self.rows // 16)))
        self.freshness_seconds = freshness_seconds or (5.0 if tiny else 60.0)
        self.refresh_interval = refresh_interval or (1.0 if tiny else 10.0)
        self.keep = keep
        self.cluster: Cluster | None = None
        self.dbname = "pgrollup_bench_" + uuid.uuid4().hex[:8]
        self.admin_dsn = None
        self.dsn = None
        self.log_path: Path | None = None
        self.results: dict = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="pgrollup-bench-"))
        os.chmod(self.tmp, 0o755)

    # ---------------------------------------------------------------- plumbing
    def connect(self, track_all: bool = False, **kw) -> psycopg.Connection:
        if track_all:
            kw["options"] = "-c pg_stat_statements.track=all"
        return psycopg.connect(self.dsn, autocommit=True, **kw)

    def start(self):
        if self.base_dsn:
            self.admin_dsn = self.base_dsn
        else:
            echo("starting a throwaway PostgreSQL cluster")
            self.cluster = Cluster(settings=BENCH_SETTINGS).start()
            self.admin_dsn = self.cluster.dsn("postgres")
            self.log_path = self.cluster.log
        with psycopg.connect(self.admin_dsn, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{self.dbname}"')
        params = _conninfo.conninfo_to_dict(self.admin_dsn)
        params["dbname"] = self.dbname
        self.dsn = _conninfo.make_conninfo(**params)
        with self.connect() as c:
            try:
                c.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                self.has_pgss = True
            except psycopg.Error:
                self.has_pgss = False

    def stop(self):
        try:
            if self.admin_dsn and not self.keep:
                with psycopg.connect(self.admin_dsn, autocommit=True) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        finally:
            if self.cluster and not self.keep:
                self.cluster.stop()
            elif self.cluster:
                echo(f"cluster kept running: {self.dsn}")

    def log_offset(self) -> int:
        try:
            return self.log_path.stat().st_size if self.log_path else 0
        except OSError:
            return 0

    def log_problems(self, offset: int) -> dict | None:
        """Deadlocks, serialization failures and lock waits written to the server log since offset."""
        if not self.log_path:
            return None
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                text = f.read().decode(errors="replace")
        except OSError:
            return None
        errors = re.findall(r"\bERROR:\s*(.*)", text)
        return {"deadlocks": text.count("deadlock detected"),
                "serialization_failures": text.count("could not serialize"),
                "lock_waits_over_1s": text.count("still waiting for"),
                "errors": len(errors),
                # the first few distinct messages, so a count above zero can be told apart
                "error_messages": list(dict.fromkeys(e.strip()[:200] for e in errors))[:5]}

    def pgss_reset(self, conn):
        if self.has_pgss:
            conn.execute("SELECT pg_stat_statements_reset()")

    def pgss_top(self, conn, n: int = 6) -> list[dict]:
        if not self.has_pgss:
            return []
        rows = conn.execute(
            """SELECT calls, round(total_exec_time::numeric, 1), rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 160)
                 FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                  AND query !~* 'pg_stat_statements|^(BEGIN|COMMIT|ROLLBACK)'
                  AND toplevel = false
                ORDER BY total_exec_time DESC LIMIT %s""", (n,)).fetchall()
        return [{"calls": r[0], "total_ms": float(r[1]), "rows": r[2], "query": r[3]} for r in rows]

    def timed(self, fn, warmup: int = 1, repeat: int | None = None, between=None) -> list[float]:
        """Milliseconds of `repeat` calls of fn after `warmup` untimed ones; `between` runs untimed before each."""
        out = []
        for i in range(warmup + (repeat or self.repeat)):
            if between:
                between()
            t0 = time.perf_counter()
            fn()
            ms = (time.perf_counter() - t0) * 1000
            if i >= warmup:
                out.append(ms)
        return out

    def server_timed(self, c, q, args) -> list[float]:
        """Planning + execution time in the server (EXPLAIN ANALYZE, TIMING OFF): the query's own
        cost without sending and decoding its result rows; `repeat` runs after one warm-up."""
        cur = psycopg.ClientCursor(c)
        stmt = "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + q

        def once():
            plan = cur.execute(stmt, args).fetchone()[0][0]
            out.append(plan["Planning Time"] + plan["Execution Time"])
        out: list[float] = []
        once()
        out.clear()
        for _ in range(self.repeat):
            once()
        return out

    # ---------------------------------------------------------------- setup
    def setup(self):
        s = self.shape
        setup = {}
        with self.connect() as c:
            c.execute(data.SOURCE_DDL)
            t0 = time.perf_counter()
            echo(f"loading {self.rows:,} reporting_events ({s.accounts} accounts, account {BIG_ACCOUNT} with half)")
            data.load_reporting(c, s)
            setup["load_reporting_s"] = round(time.perf_counter() - t0, 1)
            t0 = time.perf_counter()
            echo(f"loading {self.rows:,} messaging rows ({s.messages:,} messages, {s.tenants} tenants)")
            data.load_messaging(c, s)
            # today's send of tenant 1: the messages the write benchmarks' webhook events refer to
            c.execute(data.new_messages_sql(BIG_TENANT, 1000))
            self.msg_lo, self.msg_hi = c.execute(
                "SELECT min(id), max(id) FROM (SELECT id FROM public.outbound_messages ORDER BY id DESC LIMIT 1000) AS x").fetchone()
            setup["load_messaging_s"] = round(time.perf_counter() - t0, 1)
            t0 = time.perf_counter()
            c.execute(data.SOURCE_INDEXES)
            c.execute("VACUUM ANALYZE")
            setup["indexes_vacuum_s"] = round(time.perf_counter() - t0, 1)
            counts = dict(c.execute("""
                SELECT 'reporting_events', count(*) FROM public.reporting_events
                UNION ALL SELECT 'reporting_events_big_account', count(*) FROM public.reporting_events WHERE account_id = 1
                UNION ALL SELECT 'outbound_messages', count(*) FROM public.outbound_messages
                UNION ALL SELECT 'message_events', count(*) FROM public.message_events
                UNION ALL SELECT 'campaign_transitions', count(*) FROM public.campaign_transitions
                UNION ALL SELECT 'messages_big_tenant', count(*) FROM public.outbound_messages WHERE tenant_id = 1""").fetchall())
            t0 = time.perf_counter()
            echo("installing pgrollup (messaging, reporting)")
            install(c, self.dsn, ["messaging", "reporting"], schedule_mode=False)
            setup["install_s"] = round(time.perf_counter() - t0, 1)
            t0 = time.perf_counter()
            for t in range(1, s.tenants + 1):
                c.execute("SELECT pgrollup.set_tenant_timezone(%s, %s)", (t, data.MESSAGING_ZONES[(t - 1) % len(data.MESSAGING_ZONES)]))
            st = c.execute("SELECT status, changes_applied FROM pgrollup.refresh('messaging')").fetchone()
            if st[0] != "ok":
                raise UserError(f"initial messaging refresh {st[0]}")
            setup["messaging_initial_refresh_s"] = round(time.perf_counter() - t0, 1)
            t0 = time.perf_counter()
            echo(f"setting reporting timezones of {s.accounts} accounts (restates each account)")
            for a in range(1, s.accounts + 1):
                c.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (a, data.REPORTING_ZONES[(a - 1) % len(data.REPORTING_ZONES)]))
                c.execute("SELECT pgrollup.set_rollup_reads(%s, true)", (a,))
            c.execute("SELECT * FROM pgrollup.refresh()")
            setup["reporting_timezones_s"] = round(time.perf_counter() - t0, 1)
            c.execute("VACUUM ANALYZE")
            counts["reporting_events_rollups"] = c.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups").fetchone()[0]
            counts["metrics_campaign_daily"] = c.execute("SELECT count(*) FROM pgrollup.metrics_campaign_daily").fetchone()[0]
            counts["metrics_contact_hourly"] = c.execute("SELECT count(*) FROM pgrollup.metrics_contact_hourly").fetchone()[0]
            self.big_tz = c.execute("SELECT timezone FROM pgrollup_internal.reporting_accounts WHERE account_id = %s",
                                    (BIG_ACCOUNT,)).fetchone()[0]
            self.tenant_tz = data.MESSAGING_ZONES[0]
            sizes = dict(c.execute("""
                SELECT 'database', pg_size_pretty(pg_database_size(current_database()))
                UNION ALL SELECT 'reporting_events', pg_size_pretty(pg_total_relation_size('public.reporting_events'))
                UNION ALL SELECT 'message_events', pg_size_pretty(pg_total_relation_size('public.message_events'))""").fetchall())
        self.results["data"] = {"rows_per_module": self.rows, "accounts": s.accounts, "tenants": s.tenants,
                                "big_account_agents": s.big_account_agents, "counts": counts, "sizes": sizes,
                                "setup": setup, "big_account_zone": self.big_tz, "big_tenant_zone": self.tenant_tz}
        echo(f"data ready: {counts}")

    def machine(self) -> dict:
        mem_kb = _mem_total_kb()
        cpu = ""
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        with self.connect() as c:
            version = c.execute("SELECT version()").fetchone()[0]
            settings = {n: c.execute("SELECT current_setting(%s)", (n,)).fetchone()[0] for n in REPORTED_SETTINGS}
        return {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem_kb / 1024 / 1024, 1),
                "os": f"{platform.system()} {platform.release()}", "postgresql": version, "settings": settings,
                "server": "throwaway local cluster (pgrollup.devdb)" if self.cluster else "given by --dsn"}

    # ---------------------------------------------------------------- scenarios
    def _day_range(self, c, zone: str, days: int):
        """[local midnight `days` days ago, local midnight today) in zone, as timestamptz."""
        return c.execute("""SELECT (date_trunc('day', now() AT TIME ZONE %(z)s) - make_interval(days => %(d)s)) AT TIME ZONE %(z)s,
                                   date_trunc('day', now() AT TIME ZONE %(z)s) AT TIME ZONE %(z)s""",
                         {"z": zone, "d": days}).fetchone()

    def scenario_reads(self) -> dict:
        echo("scenario reads")
        out = {"cases": {}, "checks": {}}
        with self.connect() as c:
            since, until = self._day_range(c, self.big_tz, 365)
            for dim in ("agent", "account"):
                q = "SELECT * FROM pgrollup.report_summary(%s, %s, %s, %s)"
                args = (BIG_ACCOUNT, since, until, dim)
                c.execute("SELECT pgrollup.set_rollup_reads(%s, true)", (BIG_ACCOUNT,))
                rollup_rows = c.execute(q, args).fetchall()
                assert rollup_rows and rollup_rows[0][-1] == "rollup", rollup_rows[:1]
                r = self.timed(lambda: c.execute(q, args).fetchall())
                rs = self.server_timed(c, q, args)
                c.execute("SELECT pgrollup.set_rollup_reads(%s, false)", (BIG_ACCOUNT,))
                raw_rows = c.execute(q, args).fetchall()
                assert raw_rows and raw_rows[0][-1] == "raw", raw_rows[:1]
                w = self.timed(lambda: c.execute(q, args).fetchall())
                ws = self.server_timed(c, q, args)
                c.execute("SELECT pgrollup.set_rollup_reads(%s, true)", (BIG_ACCOUNT,))
                same = [x[:-1] for x in rollup_rows] == [x[:-1] for x in raw_rows] or _close_rows(
                    [x[:-1] for x in rollup_rows], [x[:-1] for x in raw_rows])
                out["cases"][f"report_summary_{dim}_365d_rollup"] = {**stats(r), "rows": len(rollup_rows), "server": stats(rs)}
                out["cases"][f"report_summary_{dim}_365d_raw"] = {**stats(w), "rows": len(raw_rows), "server": stats(ws)}
                out["checks"][f"report_summary_{dim}_same_answer"] = same
            d_to = c.execute("SELECT (now() AT TIME ZONE %s)::date - 1", (self.tenant_tz,)).fetchone()[0]
            d_from = d_to - dt.timedelta(days=89)
            q = "SELECT * FROM pgrollup.campaign_daily(%s, %s, %s)"
            args = (BIG_TENANT, d_from, d_to)
            rollup_rows = c.execute(q, args).fetchall()
            r = self.timed(lambda: c.execute(q, args).fetchall())
            rs = self.server_timed(c, q, args)
            rawq = RAW_CAMPAIGN_DAILY
            rargs = {"t": BIG_TENANT, "d0": d_from, "d1": d_to, "zone": self.tenant_tz}
            raw_rows = c.execute(rawq, rargs).fetchall()
            w = self.timed(lambda: c.execute(rawq, rargs).fetchall())
            ws = self.server_timed(c, rawq, rargs)
            out["cases"]["campaign_daily_tenant_90d_rollup"] = {**stats(r), "rows": len(rollup_rows), "server": stats(rs)}
            out["cases"]["campaign_daily_tenant_90d_raw"] = {**stats(w), "rows": len(raw_rows), "server": stats(ws)}
            out["checks"]["campaign_daily_same_answer"] = [tuple(x) for x in rollup_rows] == [tuple(x) for x in raw_rows]
            # the plan behind pgrollup.campaign_daily (its query over the public view), for the analysis
            out["plans"] = {"campaign_daily_view": [r[0] for r in psycopg.ClientCursor(c).execute(
                "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT v.* FROM pgrollup.metrics_campaign_daily AS v "
                "WHERE v.tenant_id = %(t)s AND v.date >= %(d0)s AND v.date <= %(d1)s ORDER BY v.date, v.campaign_id",
                rargs).fetchall()]}
        cs = out["cases"]
        out["ratios"] = {
            "report_summary_agent_raw_over_rollup": _ratio(cs["report_summary_agent_365d_raw"], cs["report_summary_agent_365d_rollup"]),
            "report_summary_account_raw_over_rollup": _ratio(cs["report_summary_account_365d_raw"], cs["report_summary_account_365d_rollup"]),
            "campaign_daily_raw_over_rollup": _ratio(cs["campaign_daily_tenant_90d_raw"], cs["campaign_daily_tenant_90d_rollup"]),
        }
        return out

    def scenario_backfill(self) -> dict:
        echo("scenario backfill")
        out = {"cases": {}}
        with self.connect() as c:
            n_rows = c.execute("SELECT count(*) FROM public.reporting_events WHERE account_id = %s", (BIG_ACCOUNT,)).fetchone()[0]
            c.execute("DROP TABLE IF EXISTS public.bench_scratch_rollups")
            c.execute("CREATE TABLE public.bench_scratch_rollups (LIKE pgrollup.reporting_events_rollups INCLUDING DEFAULTS INCLUDING INDEXES)")
            mem = []

            def backfill():
                with self.connect(track_all=True) as b:
                    with MemSampler(b.info.backend_pid) as m:
                        n = b.execute("SELECT pgrollup.backfill_reporting(%s)", (BIG_ACCOUNT,)).fetchone()[0]
                    mem.append(m.result())
                    out["rollup_rows_written"] = n

            def vacuum():
                self.vacuum_rollups(c)

            self.pgss_reset(c)
            b = self.timed(backfill, between=vacuum)
            out["top_statements_backfill"] = self.pgss_top(c)
            fmem = []

            def floor():
                with self.connect(track_all=True) as f:
                    with MemSampler(f.info.backend_pid) as m:
                        f.execute(FLOOR_BACKFILL, {"a": BIG_ACCOUNT, "zone": self.big_tz})
                    fmem.append(m.result())

            f = self.timed(floor, between=lambda: c.execute("TRUNCATE public.bench_scratch_rollups"))
            out["floor_rows_written"] = c.execute("SELECT count(*) FROM public.bench_scratch_rollups").fetchone()[0]
            c.execute("DROP TABLE public.bench_scratch_rollups")
            self.vacuum_rollups(c)
        out["source_rows"] = n_rows
        out["cases"]["backfill_reporting_big_account_year"] = {**stats(b), "memory": _peak(mem)}
        out["cases"]["insert_select_group_by_floor"] = {**stats(f), "memory": _peak(fmem)}
        out["ratios"] = {"backfill_over_floor": round(statistics.median(b) / statistics.median(f), 2)}
        return out

    def _refresh_timed(self, module: str, mem: list, runs: list):
        with self.connect(track_all=True) as r:
            with MemSampler(r.info.backend_pid) as m:
                t0 = time.perf_counter()
                st, n, d = r.execute("SELECT status, changes_applied, duration FROM pgrollup.refresh(%s)", (module,)).fetchone()
                ms = (time.perf_counter() - t0) * 1000
            if st != "ok":
                err = r.execute("SELECT error FROM pgrollup.refresh_runs WHERE module = %s ORDER BY run_id DESC LIMIT 1",
                                (module,)).fetchone()
                raise UserError(f"{module} refresh {st}: {err[0] if err else '?'}")
            mem.append(m.result())
            runs.append({"ms": round(ms, 3), "changes_applied": n, "server_ms": round(d.total_seconds() * 1000, 3)})
        return ms

    def _refresh_series(self, c, shape_name: str, module: str, repeat: int, warmup: int = 1,
                        drain: bool = True) -> tuple[list[float], list, list]:
        samples, mem, runs = [], [], []
        for i in range(warmup + repeat):
            if i == 0 and drain:   # start current; afterwards each timed refresh leaves the rollups current
                c.execute("SELECT * FROM pgrollup.refresh(%s)", (module,))
            c.execute("SELECT setseed(%s)", (0.3 + i / 100,))
            c.execute(data.change_events_sql(shape_name, self.change_rows))
            ms = self._refresh_timed(module, mem, runs)
            if i >= warmup:
                samples.append(ms)
        return samples, mem[warmup:], runs[warmup:]

    def scenario_refresh_incremental(self) -> dict:
        echo("scenario refresh (incremental)")
        out = {"cases": {}, "change_rows": self.change_rows}
        with self.connect() as c:
            self.pgss_reset(c)
            for shape_name in ("one_day", "scattered"):
                samples, mem, runs = self._refresh_series(c, shape_name, "messaging", self.repeat)
                out["cases"][f"incremental_{shape_name}"] = {**stats(samples), "memory": _peak(mem), "runs": runs}
            out["top_statements_incremental"] = self.pgss_top(c)
        return out

    def scenario_refresh_mv(self, out: dict) -> dict:
        echo("scenario refresh (materialized_view mode)")
        with self.connect() as c:
            t0 = time.perf_counter()
            c.execute("SELECT pgrollup.set_messaging_mode('materialized_view')")
            out["switch_to_materialized_view_s"] = round(time.perf_counter() - t0, 1)
            c.execute("VACUUM ANALYZE")
            # a full recompute reads everything whatever changed: fewer runs at large scales, one
            # warm-up before the first shape only (none at 10m and above); the switch built the views
            repeat = (self.repeat if self.rows < 5_000_000 else min(self.repeat, 2) if self.rows < 10_000_000 else 1)
            warm = 1 if self.rows < 10_000_000 else 0
            out["materialized_view_repeat"] = repeat
            out["materialized_view_warmup"] = warm
            self.pgss_reset(c)
            for k, shape_name in enumerate(("one_day", "scattered")):
                samples, mem, runs = self._refresh_series(c, shape_name, "messaging", repeat,
                                                          warmup=warm if k == 0 else 0, drain=False)
                out["cases"][f"materialized_view_{shape_name}"] = {**stats(samples), "memory": _peak(mem), "runs": runs}
            out["top_statements_materialized_view"] = self.pgss_top(c)
        cs = out["cases"]
        out["ratios"] = {f"materialized_view_over_incremental_{s}": _ratio(cs[f"materialized_view_{s}"], cs[f"incremental_{s}"])
                         for s in ("one_day", "scattered") if f"materialized_view_{s}" in cs}
        return out

    # ---- write path
    def _pgbench(self, script: str, clients: int, total: int, extra: dict, rate: float | None = None,
                 seconds: float | None = None, isolation: str | None = None) -> dict:
        bindir = find_bindir()
        path = self.tmp / f"{script}{'_' + isolation.replace(' ', '_') if isolation else ''}.sql"
        path.write_text(data.pgbench_script(script, isolation))
        os.chmod(path, 0o644)
        cmd = [str(bindir / "pgbench"), "-n", "-c", str(clients), "-j", str(clients), "-f", str(path),
               "--failures-detailed"]
        if seconds:
            cmd += ["-T", str(int(seconds))]
        else:
            cmd += ["-t", str(max(1, total // clients))]
        if rate:
            cmd += ["-R", str(rate)]
        for k, v in extra.items():
            cmd += ["-D", f"{k}={v}"]
        cmd.append(self.dsn)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
        outp = res.stdout + res.stderr
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", outp)
        done = re.search(r"number of transactions actually processed: (\d+)", outp)
        failed = re.search(r"number of failed transactions: (\d+)", outp)
        lat = re.search(r"latency average = ([\d.]+) ms", outp)
        if res.returncode != 0 or not tps:
            raise UserError(f"pgbench failed (exit {res.returncode}): {outp.strip()[-400:]}")
        return {"tps": float(tps.group(1)), "transactions": int(done.group(1)) if done else None,
                "failed": int(failed.group(1)) if failed else 0, "latency_ms": float(lat.group(1)) if lat else None}

    def _copy(self, c, target: str, columns: str, payload: bytes) -> float:
        """One COPY of the payload in its own transaction, COMMIT included (commit-time work counts)."""
        t0 = time.perf_counter()
        with c.transaction():
            with c.cursor().copy(f"COPY {target} ({columns}) FROM STDIN") as cp:
                cp.write(payload)
        return (time.perf_counter() - t0) * 1000

    def vacuum_rollups(self, c):
        """VACUUM the reporting tables pgrollup keeps (applied rollups, totals, presence, change log)."""
        for (rel,) in c.execute(
                "SELECT pg_catalog.format('%I.%I', n.nspname, r.relname) FROM pg_catalog.pg_class AS r "
                "JOIN pg_catalog.pg_namespace AS n ON n.oid = r.relnamespace "
                "WHERE n.nspname IN ('pgrollup', 'pgrollup_internal') AND r.relkind = 'r' "
                "AND r.relname LIKE 'reporting%' ORDER BY 1").fetchall():
            c.execute(f"VACUUM {rel}")

    def _cleanup_after(self, c, table: str, max_id: int, refresh: str | None):
        c.execute(f"DELETE FROM {table} WHERE id > %s", (max_id,))
        if refresh:
            c.execute("SELECT * FROM pgrollup.refresh(%s)", (refresh,))
        c.execute(f"VACUUM ANALYZE {table}")
        self.vacuum_rollups(c)

    def write_modes(self, c) -> list[tuple[str, str, str, bool]]:
        """(module, mode, table, capture on): each table without pgrollup's triggers, then in the
        module's installed (default) mode."""
        modes = dict(c.execute("SELECT module, mode FROM pgrollup.rollup_health").fetchall())
        return [("reporting", "none", "public.reporting_events", False),
                ("reporting", modes["reporting"], "public.reporting_events", True),
                ("messaging", "none", "public.message_events", False),
                ("messaging", modes["messaging"], "public.message_events", True)]

    def _measure_all(self, c, modes, payloads, reps, clients_list, isolations, say=False) -> dict:
        """_measure_writes() for every table of write_modes(), its arms alternating; returns the
        cases keyed "<module>_<mode>_<case>"."""
        arms: dict[tuple[str, str], list[tuple[str, bool]]] = {}
        for module, mode, table, capture in modes:
            arms.setdefault((module, table), []).append((mode, capture))
        cases = {}
        for (module, table), pair in arms.items():
            if say:
                echo(f"  write: {module} ({' and '.join(mode for mode, _capture in pair)}, run by run)")
            res = self._measure_writes(c, module, table, pair, reps, payloads[module], clients_list, isolations)
            for mode, measured in res.items():
                for k, v in measured.items():
                    cases[f"{module}_{mode}_{k}"] = v
        return cases

    @staticmethod
    def _set_capture(c, table: str, on: bool) -> None:
        c.execute(f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'} TRIGGER USER")

    def _measure_writes(self, c, module, table, arms, reps, payload, clients_list, isolations) -> dict:
        """COPY and INSERT ... SELECT of the payload's rows, then pgbench single-row INSERT
        transactions, for each arm (mode, capture on) of one table. The arms alternate run by run
        (a warm-up of each, then baseline and capture one after the other, `reps` times, the order
        reversed every other time: each run follows the other arm's clean-up as often as its own),
        so a drift of the machine's speed during the scenario weighs on both sides of a ratio alike.
        COPY and INSERT ... SELECT get data.bulk_runs(reps) timed runs per arm (see there). Returns
        {mode: {case: stats}}; the table's triggers are enabled again at the end."""
        out = {mode: {} for mode, _capture in arms}
        cols = data.REPORTING_COPY_COLUMNS if module == "reporting" else data.MESSAGING_COPY_COLUMNS
        insert = (data.reporting_insert_sql(self.write_rows, BIG_ACCOUNT, 300) if module == "reporting"
                  else data.messaging_insert_sql(self.write_rows, BIG_TENANT, self.msg_lo, self.msg_hi))
        extra = {"account": BIG_ACCOUNT} if module == "reporting" else {
            "tenant": BIG_TENANT, "mlo": self.msg_lo, "mhi": self.msg_hi}

        def once(capture: bool, run):
            self._set_capture(c, table, capture)
            max_id = c.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            result = run()
            self._cleanup_after(c, table, max_id, module if capture else None)
            return result

        try:
            for kind in ("copy", "insert_select"):
                times = {mode: [] for mode, _capture in arms}
                for i in range(1 + data.bulk_runs(reps)):
                    for mode, capture in (arms if i % 2 else arms[::-1]):
                        if kind == "copy":
                            ms = once(capture, lambda: self._copy(c, table, cols, payload))
                        else:
                            def statement():
                                t0 = time.perf_counter()
                                c.execute(insert)
                                return (time.perf_counter() - t0) * 1000
                            ms = once(capture, statement)
                        if i:
                            times[mode].append(ms)
                for mode, _capture in arms:
                    out[mode][kind] = stats(times[mode])
            for isolation in isolations:
                suffix = "" if isolation is None else "_" + {"repeatable read": "rr", "serializable": "ser"}[isolation]
                for clients in (clients_list if isolation is None else (8,)):
                    runs = {mode: [] for mode, _capture in arms}
                    for i in range(1 + reps):
                        total = self.pgbench_rows if i else max(clients * 20, self.pgbench_rows // 10)
                        for mode, capture in (arms if i % 2 else arms[::-1]):
                            res = once(capture, lambda: self._pgbench(module, clients, total, extra, isolation=isolation))
                            if i:
                                runs[mode].append(res)
                    for mode, _capture in arms:
                        tps = [r["tps"] for r in runs[mode]]
                        out[mode][f"pgbench_c{clients}{suffix}"] = {
                            "median_tps": round(statistics.median(tps), 1), "min_tps": round(min(tps), 1),
                            "max_tps": round(max(tps), 1), "failed": sum(r["failed"] for r in runs[mode]),
                            "latency_ms_median": statistics.median(
                                [r["latency_ms"] for r in runs[mode] if r["latency_ms"] is not None] or [0]),
                            "runs": runs[mode]}
        finally:
            self._set_capture(c, table, True)
        return out

    @staticmethod
    def _write_ratios(cases: dict, modes) -> dict:
        """Cost of each captured mode against the same table without pgrollup."""
        ratios = {}
        for module, mode, _table, capture in modes:
            if not capture:
                continue
            m, n = f"{module}_{mode}", f"{module}_none"
            for kind in ("copy", "insert_select"):
                if f"{m}_{kind}" in cases:
                    ratios[f"{m}_{kind}"] = round(cases[f"{m}_{kind}"]["median_ms"] / cases[f"{n}_{kind}"]["median_ms"], 2)
            for key in [k[len(m) + 1:] for k in cases if k.startswith(f"{m}_pgbench_c")]:
                a, b = cases[f"{n}_{key}"], cases[f"{m}_{key}"]
                ratios[f"{m}_{key}"] = round(a["median_tps"] / b["median_tps"], 2)             # cost: tps none / tps mode
                ratios[f"{m}_{key}_throughput"] = round(b["median_tps"] / a["median_tps"], 2)  # share of throughput kept
                ratios[f"{m}_{key}_extra_failures"] = b["failed"] - a["failed"]
            if f"{m}_pgbench_c1" in cases and cases[f"{n}_pgbench_c1"]["latency_ms_median"]:
                ratios[f"{m}_latency_c1"] = round(cases[f"{m}_pgbench_c1"]["latency_ms_median"]
                                                  / cases[f"{n}_pgbench_c1"]["latency_ms_median"], 2)
        return ratios

    def scenario_write(self) -> dict:
        echo("scenario write")
        out = {"cases": {}, "copy_rows": self.write_rows, "pgbench_rows": self.pgbench_rows, "clients": [1, 4, 8],
               "isolation_levels": ["read committed", "repeatable read", "serializable"],
               "indexes": {"reporting_events": 9, "message_events": 3}}
        log0 = self.log_offset()
        reps = min(self.repeat, 3)
        with self.connect() as c:
            c.execute("SELECT setseed(0.5)")
            payloads = {"reporting": _copy_out(c, data.reporting_copy_sql(self.write_rows, BIG_ACCOUNT, 300)),
                        "messaging": _copy_out(c, data.messaging_copy_sql(self.write_rows, BIG_TENANT, self.msg_lo, self.msg_hi))}
            modes = self.write_modes(c)
            out["modes"] = {module: mode for module, mode, _t, capture in modes if capture}
            out["cases"] = self._measure_all(c, modes, payloads, reps, (1, 4, 8),
                                             (None, "repeatable read", "serializable"), say=True)
            if self.cluster:
                out["durable"] = self._write_durable(c, modes, payloads)
        out["server_log"] = self.log_problems(log0)
        out["ratios"] = self._write_ratios(out["cases"], modes)
        return out

    def _write_durable(self, c, modes, payloads) -> dict:
        """The COPY, INSERT ... SELECT and 8-client runs again with durability on (fsync,
        synchronous_commit, full_page_writes), as a production server runs: each commit waits for its WAL flush."""
        echo("  write: again with durability on (COPY, INSERT ... SELECT, 8 clients)")
        out = {"settings": "fsync=on, synchronous_commit=on, full_page_writes=on", "cases": {}}
        reps = min(self.repeat, 2)
        durable = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
        for k, v in durable.items():
            c.execute(f"ALTER SYSTEM SET {k} = {v}")
        c.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)
        try:
            out["cases"] = self._measure_all(c, modes, payloads, reps, (8,), (None,))
        finally:
            for k in durable:
                c.execute(f"ALTER SYSTEM RESET {k}")
            c.execute("SELECT pg_reload_conf()")
        out["ratios"] = self._write_ratios(out["cases"], modes)
        return out

    def scenario_size(self) -> dict:
        """Any size: one transaction of `rows` reporting events (one INSERT ... SELECT into account 2's
        year), the refresh that applies them, and a backfill of that account, with the backend's peak
        memory for each (bounded memory is the target, whatever the size)."""
        n = self.rows
        echo(f"scenario size ({n:,} events in one transaction, their refresh, a backfill of them)")
        out = {"rows": n, "cases": {}}
        account = 2
        with self.connect() as c:
            before = c.execute("SELECT count(*) FROM public.reporting_events WHERE account_id = %s", (account,)).fetchone()[0]
            zone = c.execute("SELECT timezone FROM pgrollup_internal.reporting_accounts WHERE account_id = %s",
                             (account,)).fetchone()
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, "Asia/Kolkata"))
            body = data.reporting_rows_sql(n, 1, 300, account_sql=str(account))

            def step(name, sql, params=None):
                with self.connect(track_all=True) as w:
                    with MemSampler(w.info.backend_pid) as m:
                        t0 = time.perf_counter()
                        w.execute(sql, params)
                        ms = (time.perf_counter() - t0) * 1000
                out["cases"][name] = {"ms": round(ms, 1), "memory": m.result()}
                echo(f"  size: {name} {ms / 1000:.1f}s, {m.result()}")

            step("one_transaction_insert_select",
                 f"INSERT INTO public.reporting_events ({data.REPORTING_COPY_COLUMNS}) {body}")
            out["pending_before_refresh"] = c.execute(
                "SELECT pending_changes FROM pgrollup.rollup_health WHERE module = 'reporting'").fetchone()[0]
            step("refresh_pending", "SELECT * FROM pgrollup.refresh('reporting')")
            c.execute("VACUUM ANALYZE public.reporting_events")
            self.vacuum_rollups(c)
            out["account_events"] = before + n
            step("backfill_account", "SELECT pgrollup.backfill_reporting(%s)", (account,))
            exact = c.execute("""
                SELECT count(*) = 0 FROM (
                  (SELECT date, dimension_type, dimension_id, metric, count FROM pgrollup.reporting_events_rollups
                    WHERE account_id = %(a)s AND metric = 'resolutions_count' AND dimension_type = 'account')
                  EXCEPT
                  (SELECT (created_at AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Kolkata')::date, 'account', %(a)s::bigint,
                          'resolutions_count', count(*) FROM public.reporting_events
                    WHERE account_id = %(a)s AND name = 'conversation_resolved' GROUP BY 1)) AS d""",
                              {"a": account}).fetchone()[0]
            out["rollups_equal_reference"] = exact
            c.execute(f"DELETE FROM public.reporting_events WHERE account_id = {account} AND id > "
                      f"(SELECT max(id) - {n} FROM public.reporting_events)")
            c.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, zone[0] if zone else None))
            c.execute("SELECT * FROM pgrollup.refresh('reporting')")
            c.execute("VACUUM ANALYZE public.reporting_events")
        return out

    def scenario_freshness(self) -> dict:
        echo(f"scenario freshness ({self.freshness_seconds:.0f}s of ingest, refresh every {self.refresh_interval:g}s)")
        out = {"duration_s": self.freshness_seconds, "refresh_interval_s": self.refresh_interval,
               "schedule": "a loop calling pgrollup.refresh() every refresh_interval_s (emulates the pg_cron job with a shorter interval)",
               "ingest": "pgbench -R: single-row inserts into message_events (messaging incremental) and reporting_events "
                         "(each module in its default mode) at a steady rate"}
        rate = 50 if self.rows < 200_000 else 200
        out["ingest_rate_tps"] = rate
        stop = threading.Event()
        refreshes: list[dict] = []
        samples: dict[str, list[float]] = {}
        pending: dict[str, list[int]] = {}
        errors: list[str] = []

        def refresher():
            with self.connect() as r:
                nxt = time.monotonic()
                while not stop.is_set():
                    nxt += self.refresh_interval
                    t0 = time.perf_counter()
                    try:
                        rows = r.execute("SELECT module, status, changes_applied FROM pgrollup.refresh()").fetchall()
                        refreshes.append({"ms": round((time.perf_counter() - t0) * 1000, 2),
                                          "changes": {m: n for m, _s, n in rows},
                                          "status": sorted({s for _m, s, _n in rows})})
                    except psycopg.Error as exc:   # recorded, never hidden
                        errors.append(str(exc).splitlines()[0])
                    stop.wait(max(0.0, nxt - time.monotonic()))

        def sampler():
            with self.connect() as s:
                while not stop.is_set():
                    for m, st, n in s.execute("SELECT module, extract(epoch FROM staleness), pending_changes "
                                              "FROM pgrollup.rollup_health").fetchall():
                        samples.setdefault(m, []).append(float(st or 0))
                        pending.setdefault(m, []).append(int(n or 0))
                    stop.wait(0.2)

        with self.connect() as c:
            c.execute("SELECT * FROM pgrollup.refresh()")
            modes = dict(c.execute("SELECT module, mode FROM pgrollup.rollup_health").fetchall())
            log0 = self.log_offset()
            threads = [threading.Thread(target=refresher, daemon=True), threading.Thread(target=sampler, daemon=True)]
            for t in threads:
                t.start()
            try:
                bindir = find_bindir()
                paths = []
                for script in ("reporting", "messaging"):
                    p = self.tmp / f"{script}.sql"
                    p.write_text({"reporting": data.PGBENCH_REPORTING, "messaging": data.PGBENCH_MESSAGING}[script])
                    os.chmod(p, 0o644)
                    paths += ["-f", f"{p}@1"]
                cmd = [str(bindir / "pgbench"), "-n", "-c", "2", "-j", "2", "-T", str(int(self.freshness_seconds)),
                       "-R", str(rate), *paths, "-D", f"account={BIG_ACCOUNT}", "-D", f"tenant={BIG_TENANT}",
                       "-D", f"mlo={self.msg_lo}", "-D", f"mhi={self.msg_hi}", "--failures-detailed", self.dsn]
                env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
                res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=self.freshness_seconds * 5 + 60)
                outp = res.stdout + res.stderr
                if res.returncode != 0:
                    raise UserError(f"pgbench failed (exit {res.returncode}): {outp.strip()[-400:]}")
                tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", outp)
                failed = re.search(r"number of failed transactions: (\d+)", outp)
                out["achieved_tps"] = float(tps.group(1)) if tps else None
                out["failed"] = int(failed.group(1)) if failed else 0
            finally:
                stop.set()
                for t in threads:
                    t.join()
            c.execute("SELECT * FROM pgrollup.refresh()")
        out["server_log"] = self.log_problems(log0)
        out["refresh_errors"] = errors
        durs = [r["ms"] for r in refreshes]
        out["refreshes"] = {"count": len(refreshes), "median_ms": round(statistics.median(durs), 2) if durs else None,
                            "max_ms": round(max(durs), 2) if durs else None,
                            "statuses": sorted({s for r in refreshes for s in r["status"]})}
        bound = self.refresh_interval + (max(durs) / 1000 if durs else 0)
        out["bound_s"] = round(bound, 3)
        out["pending_changes"] = {m: {"max": max(v), "median": statistics.median(v)} for m, v in pending.items()}
        out["modes"] = modes
        out["staleness"] = {m: {"samples": len(v), "max_s": round(max(v), 3), "median_s": round(statistics.median(v), 3),
                                "p95_s": round(sorted(v)[int(0.95 * (len(v) - 1))], 3)} for m, v in samples.items()}
        return out

    def scenario_citus(self) -> dict:
        """Reporting on Citus: the same reporting_events (this scale's rows, the application's indexes,
        primary key (account_id, id)) distributed by account_id over a coordinator and two workers
        started on this machine, pgrollup installed into it (its Citus layout). The write cases of
        the write scenario for reporting (baseline and capture alternating), the refresh of a
        100k-row batch of changes, and one account's reads, to set against the single node's."""
        why = citus_available()
        if why:
            echo(f"scenario citus skipped: {why}")
            return {"skipped": why}
        echo("scenario citus (reporting and messaging on a coordinator + 2 workers on this machine)")
        out: dict = {"nodes": "coordinator + 2 workers", "copy_rows": self.write_rows, "pgbench_rows": self.pgbench_rows}
        reps = min(self.repeat, 3)

        def read_summary(conn):   # account 1's report_summary per agent over 30 days, timed
            since, until = conn.execute("SELECT now() - interval '30 days', now()").fetchone()
            return {"report_summary_agent_30d": stats(self.timed(
                lambda: conn.execute("SELECT * FROM pgrollup.report_summary(%s, %s, %s, 'agent')",
                                     (BIG_ACCOUNT, since, until)).fetchall(), repeat=reps))}

        with self.connect() as c:   # the same reads on this run's single node, for comparison
            out["reads_single_node"] = read_summary(c)
            single_msg_reads = self._campaign_reads(c, reps)
        cluster = CitusCluster(settings=BENCH_SETTINGS).start()
        saved = (self.dsn, self.log_path)
        saved_msg = (self.msg_lo, self.msg_hi)
        try:
            self.dsn = cluster.create_database("pgrollup_bench_citus")
            self.log_path = cluster.coordinator.log
            log0 = self.log_offset()
            table = "public.reporting_events"
            with self.connect() as c:
                t0 = time.perf_counter()
                c.execute(data.REPORTING_DDL)
                c.execute("ALTER TABLE public.reporting_events DROP CONSTRAINT reporting_events_pkey, "
                          "ADD PRIMARY KEY (account_id, id)")
                c.execute("SELECT create_distributed_table('public.reporting_events', 'account_id')")
                data.load_reporting(c, self.shape)
                for ddl in data.REPORTING_INDEXES:   # one at a time: Citus propagates each to the shards
                    c.execute(ddl)
                c.execute("VACUUM ANALYZE public.reporting_events")
                out["load_s"] = round(time.perf_counter() - t0, 1)
                t0 = time.perf_counter()
                install(c, self.dsn, ["reporting"], schedule_mode=False)
                for a in range(1, self.shape.accounts + 1):
                    c.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)",
                              (a, data.REPORTING_ZONES[(a - 1) % len(data.REPORTING_ZONES)]))
                    c.execute("SELECT pgrollup.set_rollup_reads(%s, true)", (a,))
                out["install_and_timezones_s"] = round(time.perf_counter() - t0, 1)
                # capture is switched per arm with ALTER TABLE ... TRIGGER, which Citus allows on a
                # distributed table with this setting only
                c.execute("SET citus.enable_unsafe_triggers = on")
                c.execute("SELECT setseed(0.5)")
                payload = _copy_out(c, data.reporting_copy_sql(self.write_rows, BIG_ACCOUNT, 300))
                modes = [("reporting", "none", table, False), ("reporting", "realtime", table, True)]
                echo("  write: reporting (none and realtime, run by run)")
                out["cases"] = self._measure_all(c, modes, {"reporting": payload}, reps, (1, 8), (None,))
                out["ratios"] = self._write_ratios(out["cases"], modes)
                out["server_log"] = self.log_problems(log0)

                # one account's reads from the coordinator (routed to its shard), before the refresh
                # batches below add their events to today's raw edge, on a new connection as an
                # application reads (the installing session reads about twice as slowly on Citus)
                with self.connect() as r:
                    out["reads"] = read_summary(r)

                # the refresh of one batch of changes (every shard's log, applied on its worker)
                def refresh_batch():
                    return c.execute("SELECT status, changes_applied FROM pgrollup.refresh('reporting')").fetchone()
                runs = []

                def fill():
                    refresh_batch()
                    c.execute(data.reporting_insert_sql(self.write_rows, BIG_ACCOUNT, 300))
                refresh_ms = self.timed(lambda: runs.append(refresh_batch()), between=fill, repeat=reps)
                out["refresh"] = {**stats(refresh_ms), "changes": self.write_rows,
                                  "statuses": sorted({r[0] for r in runs})}
                out["messaging"] = self._citus_messaging(c, reps)
                out["messaging"]["reads_single_node"] = single_msg_reads
        finally:
            self.dsn, self.log_path = saved
            self.msg_lo, self.msg_hi = saved_msg
            cluster.stop()
        return out

    def _campaign_reads(self, conn, reps) -> dict:
        """Tenant 1's campaign_daily over its last 30 local days, timed."""
        since = conn.execute("SELECT (now() - interval '30 days')::date").fetchone()[0]
        return {"campaign_daily_30d": stats(self.timed(
            lambda: conn.execute("SELECT * FROM pgrollup.campaign_daily(%s, %s, %s)",
                                 (BIG_TENANT, since, since + dt.timedelta(days=30))).fetchall(), repeat=reps))}

    def _citus_messaging(self, c, reps) -> dict:
        """Messaging on the Citus cluster of scenario_citus: the three sources (this scale's
        messaging rows, message_events' indexes, primary keys (tenant_id, id)) loaded, then
        distributed by tenant_id and colocated; pgrollup's messaging module installed into them
        (its Citus layout, first build on the workers); the write cases for message_events, the
        refresh of a batch of changes and tenant 1's campaign_daily."""
        echo("  citus: messaging (sources distributed by tenant_id)")
        out: dict = {}
        t0 = time.perf_counter()
        c.execute(data.MESSAGING_DDL)
        for t in ("outbound_messages", "message_events", "campaign_transitions"):
            c.execute(f"ALTER TABLE public.{t} DROP CONSTRAINT {t}_pkey, ADD PRIMARY KEY (tenant_id, id)")
        data.load_messaging(c, self.shape)
        c.execute(data.new_messages_sql(BIG_TENANT, 1000))
        self.msg_lo, self.msg_hi = c.execute(
            "SELECT min(id), max(id) FROM (SELECT id FROM public.outbound_messages ORDER BY id DESC LIMIT 1000) AS x").fetchone()
        for i, t in enumerate(("outbound_messages", "message_events", "campaign_transitions")):
            c.execute("SELECT create_distributed_table(%s, 'tenant_id', colocate_with => %s)",
                      (f"public.{t}", "default" if i == 0 else "public.outbound_messages"))
            c.execute("SELECT truncate_local_data_after_distributing_table(%s)", (f"public.{t}",))
        for ddl in data.MESSAGING_INDEXES:
            c.execute(ddl)
        c.execute("VACUUM ANALYZE public.outbound_messages, public.message_events, public.campaign_transitions")
        out["load_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        install(c, self.dsn, ["messaging"], schedule_mode=False)
        for tenant in range(1, self.shape.tenants + 1):
            c.execute("SELECT pgrollup.set_tenant_timezone(%s, %s)",
                      (tenant, data.MESSAGING_ZONES[(tenant - 1) % len(data.MESSAGING_ZONES)]))
        st = c.execute("SELECT status, changes_applied FROM pgrollup.refresh('messaging')").fetchone()
        out["install_and_first_build_s"] = round(time.perf_counter() - t0, 1)
        out["first_build"] = {"status": st[0], "changes": st[1]}
        payload = _copy_out(c, data.messaging_copy_sql(self.write_rows, BIG_TENANT, self.msg_lo, self.msg_hi))
        modes = [("messaging", "none", "public.message_events", False),
                 ("messaging", "incremental", "public.message_events", True)]
        echo("  write: messaging on Citus (none and incremental, run by run)")
        out["cases"] = self._measure_all(c, modes, {"messaging": payload}, reps, (1, 8), (None,))
        out["ratios"] = self._write_ratios(out["cases"], modes)
        with self.connect() as r:
            out["reads"] = self._campaign_reads(r, reps)
        runs = []

        def refresh_batch():
            return c.execute("SELECT status, changes_applied FROM pgrollup.refresh('messaging')").fetchone()

        def fill():
            refresh_batch()
            c.execute(data.messaging_insert_sql(self.write_rows, BIG_TENANT, self.msg_lo, self.msg_hi))
        refresh_ms = self.timed(lambda: runs.append(refresh_batch()), between=fill, repeat=reps)
        out["refresh"] = {**stats(refresh_ms), "changes": self.write_rows, "statuses": sorted({r[0] for r in runs})}
        return out

    # ---------------------------------------------------------------- run
    def run(self) -> dict:
        started = dt.datetime.now(dt.timezone.utc)
        self.start()
        try:
            self.setup()
            res = {"scale": self.scale_label, "started_at": started.isoformat(timespec="seconds"),
                   "pgrollup_version": __version__, "commit": _git_commit(), "repeat": self.repeat, "machine": self.machine(),
                   "data": self.results["data"], "scenarios": {}}
            sc = res["scenarios"]
            stamp = {"commit": res["commit"]}

            def run(name, fn):
                stamp_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
                sc[name] = fn()
                sc[name]["run"] = {**stamp, "started_at": stamp_at, "repeat": self.repeat}
                return sc[name]

            if "reads" in self.scenarios:
                run("reads", self.scenario_reads)
            if "backfill" in self.scenarios:
                run("backfill", self.scenario_backfill)
            refresh = None
            if "refresh" in self.scenarios:
                refresh = run("refresh", self.scenario_refresh_incremental)
            if "write" in self.scenarios:
                run("write", self.scenario_write)
            if "freshness" in self.scenarios:
                run("freshness", self.scenario_freshness)
            if "size" in self.scenarios:
                run("size", self.scenario_size)
            if "citus" in self.scenarios:
                run("citus", self.scenario_citus)
            if refresh is not None:   # last: the mode switch drops the incremental state
                self.scenario_refresh_mv(refresh)
            res["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            res["runtime_s"] = round((dt.datetime.now(dt.timezone.utc) - started).total_seconds(), 1)
            return res
        finally:
            self.stop()


def _git_commit() -> str | None:
    """The source tree's commit (with +dirty when it has local changes), when run from a checkout."""
    root = Path(__file__).resolve().parents[1]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "sql", "installer"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _copy_out(conn, statement: str) -> bytes:
    chunks = []
    with conn.cursor() as cur:
        with cur.copy(statement) as cp:
            for chunk in cp:
                chunks.append(bytes(chunk))
    return b"".join(chunks)


def _ratio(slow: dict, fast: dict) -> float:
    """Ratio of medians: server-side times when measured (reads), else wall-clock."""
    a, b = slow.get("server", slow), fast.get("server", fast)
    return round(a["median_ms"] / b["median_ms"], 1) if b["median_ms"] else float("inf")


def _peak(mem: list) -> dict | None:
    mem = [m for m in mem if m]
    if not mem:
        return None
    return {"peak_rss_anon_mb": max(m["peak_rss_anon_mb"] for m in mem), "vm_hwm_mb": max(m["vm_hwm_mb"] for m in mem)}


def _close_rows(a, b) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            if isinstance(u, float) or isinstance(v, float):
                if u is None or v is None:
                    if u is not v:
                        return False
                elif abs(u - v) > 1e-9 * max(1.0, abs(u), abs(v)):
                    return False
            elif u != v:
                return False
    return True


# The messaging dashboard slice computed from the source tables: the contract's reference query for
# metrics_campaign_daily, restricted to one tenant (zone given) and a range of local dates.
RAW_CAMPAIGN_DAILY = """
WITH m AS (
    SELECT o.id, o.campaign_id, o.sent_at FROM public.outbound_messages AS o
     WHERE o.tenant_id = %(t)s AND o.campaign_id IS NOT NULL
), ev AS (
    SELECT e.message_id, r.metric, e.occurred_at AS at
      FROM public.message_events AS e JOIN pgrollup.message_event_metrics AS r ON r.event_type = e.event_type
), pts AS (
    SELECT m.campaign_id, 'sends'::text AS metric, m.sent_at AS at FROM m WHERE m.sent_at IS NOT NULL
    UNION ALL
    SELECT m.campaign_id, ev.metric, ev.at FROM m JOIN ev ON ev.message_id = m.id
    UNION ALL
    SELECT m.campaign_id, 'unique_' || ev.metric, min(ev.at) FROM m JOIN ev ON ev.message_id = m.id
     WHERE ev.metric IN ('opens', 'clicks') GROUP BY m.id, m.campaign_id, ev.metric
), g AS (
    SELECT campaign_id, (at AT TIME ZONE %(zone)s)::date AS date,
           count(*) FILTER (WHERE metric = 'sends') AS sends,
           count(*) FILTER (WHERE metric = 'delivered') AS delivered,
           count(*) FILTER (WHERE metric = 'opens') AS opens,
           count(*) FILTER (WHERE metric = 'clicks') AS clicks,
           count(*) FILTER (WHERE metric = 'bounces') AS bounces,
           count(*) FILTER (WHERE metric = 'unsubscribes') AS unsubscribes,
           count(*) FILTER (WHERE metric = 'unique_opens') AS unique_opens,
           count(*) FILTER (WHERE metric = 'unique_clicks') AS unique_clicks
      FROM pts
     WHERE at >= (%(d0)s::date)::timestamp AT TIME ZONE %(zone)s
       AND at < (%(d1)s::date + 1)::timestamp AT TIME ZONE %(zone)s
     GROUP BY 1, 2
)
SELECT %(t)s::bigint AS tenant_id, g.campaign_id, g.date, g.sends, g.delivered, g.opens, g.clicks, g.bounces,
       g.unsubscribes, g.unique_opens, g.unique_clicks,
       (SELECT t.to_status FROM public.campaign_transitions AS t
         WHERE t.tenant_id = %(t)s AND t.campaign_id = g.campaign_id
           AND t.transitioned_at < (g.date + 1)::timestamp AT TIME ZONE %(zone)s
         ORDER BY t.transitioned_at DESC, t.id DESC LIMIT 1) AS status
  FROM g
 ORDER BY g.date, g.campaign_id
"""

# The floor of a set-based rebuild: the contract's reference rollup query for one account, inserted
# into a scratch table shaped (and indexed) like the rollup table.
FLOOR_BACKFILL = """
INSERT INTO public.bench_scratch_rollups (account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours)
SELECT x.account_id, x.date, x.dimension_type, x.dimension_id, x.metric,
       CASE WHEN x.metric = 'bot_handoffs_count' THEN count(DISTINCT x.conversation_id) ELSE count(*) END,
       sum(CASE WHEN x.payload_kind = 'duration' THEN coalesce(x.value, 0) ELSE 0 END),
       sum(CASE WHEN x.payload_kind = 'duration' THEN coalesce(x.value_in_business_hours, 0) ELSE 0 END)
  FROM (SELECT e.account_id::bigint AS account_id, (e.created_at AT TIME ZONE 'UTC' AT TIME ZONE %(zone)s)::date AS date,
               d.t AS dimension_type, d.id::bigint AS dimension_id, m.rollup_metric AS metric, m.payload_kind,
               e.value, e.value_in_business_hours, e.conversation_id
          FROM public.reporting_events AS e
          JOIN pgrollup.event_metrics AS m ON m.event_name = e.name
         CROSS JOIN LATERAL (VALUES ('account', e.account_id), ('agent', e.user_id), ('inbox', e.inbox_id)) AS d(t, id)
         WHERE e.account_id = %(a)s AND d.id IS NOT NULL) AS x
 GROUP BY 1, 2, 3, 4, 5
HAVING CASE WHEN x.metric = 'bot_handoffs_count' THEN count(DISTINCT x.conversation_id) ELSE count(*) END > 0
"""


def run_bench(scale: str = "1m", dsn: str | None = None, output: str = "docs", repeat: int = 5,
              scenarios: tuple[str, ...] = SCENARIOS, write_rows: int | None = None, pgbench_rows: int | None = None,
              freshness_seconds: float | None = None, refresh_interval: float | None = None, keep: bool = False) -> dict:
    """Run the suite at one scale and merge its results into <output>/benchmarks.json and BENCHMARKS.md."""
    bad = [s for s in scenarios if s not in SCENARIOS]
    if bad:
        raise UserError(f"unknown scenario {bad[0]!r}: choose from {', '.join(SCENARIOS)}")
    out_dir = Path(output)
    out_dir.mkdir(parents=True, exist_ok=True)
    if threading.current_thread() is threading.main_thread():
        # a terminated run still stops its throwaway cluster and drops its database
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(scale, dsn, out_dir, repeat, tuple(scenarios), write_rows, pgbench_rows, freshness_seconds,
                  refresh_interval, keep)
    res = bench.run()
    json_path, md_path = write_outputs(out_dir, res)
    echo(f"results: {json_path}, {md_path} ({res['runtime_s']}s)")
    return res

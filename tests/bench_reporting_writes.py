"""Write-path benchmark of the reporting module (not collected by pytest):

    /tmp/v/bin/python tests/bench_reporting_writes.py [seconds]

A throwaway cluster, reporting_events with 200k rows (100k in account 1), then for each mode
(no triggers, immediate, deferred): pgbench with 8 clients inserting single-row transactions into
account 1, pgbench with 8 clients inserting 3-statement transactions, and one 20k-row
INSERT ... SELECT. Deferred mode also reports the refresh that applies its log."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import psycopg

sys.path.insert(0, os.path.dirname(__file__))
import reporting_support as rs  # noqa: E402
from pgrollup.devdb import Cluster  # noqa: E402
from pgrollup.engine.install import install  # noqa: E402

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
ONE = r"""
\set n random(1, 5)
\set u random(1, 20)
\set i random(1, 5)
\set c random(1, 5000)
INSERT INTO reporting_events (name, value, value_in_business_hours, account_id, inbox_id, user_id, conversation_id, created_at, updated_at)
VALUES ((ARRAY['conversation_resolved','first_response','reply_time','conversation_bot_resolved','conversation_bot_handoff'])[:n],
        random() * 3600, random() * 1800, 1, :i, :u, :c, now() AT TIME ZONE 'UTC', now());
"""
MULTI = "BEGIN;\n" + "\n".join(ONE.strip().splitlines()[4:] * 3) + "\nCOMMIT;\n"
MULTI = ONE.strip().split("INSERT")[0] + MULTI


def pgbench(cluster, script, seconds, clients=8):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    os.chmod(f.name, 0o644)
    out = subprocess.run([PGBENCH, "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), "-f", f.name,
                          cluster.dsn("bench")], capture_output=True, text=True)
    tps = [l for l in out.stdout.splitlines() if l.startswith("tps")]
    lat = [l for l in out.stdout.splitlines() if l.startswith("latency average")]
    if not tps:
        raise RuntimeError(out.stdout + out.stderr)
    return float(tps[0].split("=")[1].split()[0]), lat[0].split("=")[1].strip()


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    cluster = Cluster().start()
    try:
        with psycopg.connect(cluster.dsn("postgres"), autocommit=True) as c:
            c.execute("CREATE DATABASE bench")
        dsn = cluster.dsn("bench")
        with psycopg.connect(dsn, autocommit=True) as conn:
            rs.create_source(conn)
            conn.execute("""INSERT INTO reporting_events (name, value, value_in_business_hours, account_id, inbox_id,
                                                        user_id, conversation_id, created_at, updated_at)
                SELECT (ARRAY['conversation_resolved','first_response','reply_time','conversation_bot_resolved',
                              'conversation_bot_handoff'])[1 + i % 5], random() * 3600, random() * 1800,
                       CASE WHEN i % 2 = 0 THEN 1 ELSE 2 + i % 50 END, 1 + i % 5, 1 + i % 20, i % 5000,
                       timestamp '2024-01-01' + i * interval '2 minutes', now()
                  FROM generate_series(1, 200000) i""")
            install(conn, dsn, ["reporting"], schedule_mode=False)
            conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'America/New_York')")
            conn.execute("VACUUM ANALYZE")
            results = []
            for mode in ("none", "immediate", "deferred"):
                if mode == "none":
                    conn.execute("SELECT pgrollup_internal.reporting_detach()")
                else:
                    conn.execute("SELECT pgrollup_internal.reporting_attach()")
                    conn.execute("SELECT pgrollup.backfill_reporting(1)")   # rows written without triggers
                    conn.execute("SELECT pgrollup.set_reporting_mode(%s)", (mode,))
                _, solo = pgbench(cluster, ONE, max(3, seconds // 2), clients=1)
                tps1, lat1 = pgbench(cluster, ONE, seconds)
                tps3, lat3 = pgbench(cluster, MULTI, seconds)
                t0 = time.perf_counter()
                conn.execute("""INSERT INTO reporting_events (name, value, value_in_business_hours, account_id, inbox_id,
                                                            user_id, conversation_id, created_at, updated_at)
                    SELECT (ARRAY['conversation_resolved','first_response','reply_time','conversation_bot_resolved',
                                  'conversation_bot_handoff'])[1 + i % 5], random() * 3600, random() * 1800, 1,
                           1 + i % 5, 1 + i % 20, i % 5000, timestamp '2024-06-01' + i * interval '1 minute', now()
                      FROM generate_series(1, 20000) i""")
                bulk = time.perf_counter() - t0
                refresh = ""
                if mode == "deferred":
                    pending = conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_changes").fetchone()[0]
                    t0 = time.perf_counter()
                    conn.execute("SELECT * FROM pgrollup.refresh('reporting')")
                    refresh = f"refresh of {pending} logged changes: {time.perf_counter() - t0:.2f}s"
                results.append((mode, tps1, lat1, tps3, lat3, bulk, refresh, solo))
                if mode == "none":
                    conn.execute("SELECT pgrollup.backfill_reporting(1)")
            exact = rs.rollup_mismatches(conn) == []
        print(f"8 clients, {seconds}s each, account 1 only; fsync=off synchronous_commit=off (devdb)")
        base1, base3, baseb = results[0][1], results[0][3], results[0][5]
        for mode, tps1, lat1, tps3, lat3, bulk, refresh, solo in results:
            print(f"{mode:10s} 1 client: {solo:>9s}  1-row txn: {tps1:8.0f} tps ({tps1 / base1:4.2f}x, {lat1})  "
                  f"3-insert txn: {tps3:7.0f} tps ({tps3 / base3:4.2f}x, {lat3})  "
                  f"20k-row INSERT: {bulk:.2f}s ({bulk / baseb:4.1f}x)  {refresh}")
        print(f"rollups equal the reference afterwards (immediate rows at commit, deferred after refresh): {exact}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()

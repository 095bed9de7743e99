"""Benchmark outputs: merge one scale's results into benchmarks.json and render BENCHMARKS.md from
every scale the JSON holds. The analysis section of an existing BENCHMARKS.md (between the
``<!-- analysis -->`` markers) is kept as it is."""
from __future__ import annotations

import json
from pathlib import Path

from .data import BULK_RUNS, parse_scale

ANALYSIS_START = "<!-- analysis -->"
ANALYSIS_END = "<!-- /analysis -->"
DEFAULT_ANALYSIS = "_No analysis written yet for these results._"


def _scale_rows(label: str) -> int:
    return parse_scale(label)


def write_outputs(out_dir: Path, res: dict) -> tuple[Path, Path]:
    json_path = out_dir / "benchmarks.json"
    md_path = out_dir / "BENCHMARKS.md"
    doc = {"description": "pgrollup benchmark results, keyed by scale (source rows per module); see BENCHMARKS.md",
           "scales": {}}
    if json_path.exists():
        try:
            old = json.loads(json_path.read_text())
            if isinstance(old.get("scales"), dict):
                doc["scales"] = old["scales"]
        except (OSError, ValueError):
            pass
    prev = doc["scales"].get(res["scale"])
    if prev and isinstance(prev.get("scenarios"), dict):
        # a run of some scenarios replaces those and keeps the scale's other scenario results
        kept = {k: v for k, v in prev["scenarios"].items() if k not in res["scenarios"]}
        for v in kept.values():
            v.setdefault("run", {"commit": prev.get("commit"), "started_at": prev.get("started_at"),
                                 "repeat": prev.get("repeat")})
        res = {**res, "scenarios": {**kept, **res["scenarios"]}}
    doc["scales"][res["scale"]] = res
    doc["scales"] = dict(sorted(doc["scales"].items(), key=lambda kv: _scale_rows(kv[0])))
    json_path.write_text(json.dumps(doc, indent=1, default=str) + "\n")
    analysis = DEFAULT_ANALYSIS
    if md_path.exists():
        text = md_path.read_text()
        if ANALYSIS_START in text and ANALYSIS_END in text:
            analysis = text.split(ANALYSIS_START, 1)[1].split(ANALYSIS_END, 1)[0].strip("\n")
    md_path.write_text(render(doc, analysis))
    return json_path, md_path


# ------------------------------------------------------------------------------------------ render
def _ms(v) -> str:
    if v is None:
        return "–"
    if v >= 10_000:
        return f"{v / 1000:.1f} s"
    if v >= 100:
        return f"{v:.0f} ms"
    if v >= 1:
        return f"{v:.1f} ms"
    return f"{v:.2f} ms"


def _mm(case: dict) -> str:
    return f"{_ms(case['min_ms'])} – {_ms(case['max_ms'])}"


def _met(ok) -> str:
    return "–" if ok is None else ("**met**" if ok else "**missed**")


def _mem(m) -> str:
    if not m:
        return "–"
    return f"{m['peak_rss_anon_mb']:.0f} MB private (VmHWM {m['vm_hwm_mb']:.0f} MB)"


def _scenario_runs(r: dict) -> str:
    out = []
    for name, sc in r.get("scenarios", {}).items():
        run = sc.get("run") or {}
        when = (run.get("started_at") or r.get("started_at") or "")[11:16]
        commit = run["commit"] if "commit" in run else r.get("commit")   # a stamped run's own commit, even unknown
        out.append(f"{name} ({commit or '?'}, {when})")
    return ", ".join(out)


def _get(doc, scale, *path):
    cur = doc["scales"].get(scale)
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def _pick(doc, wanted: str) -> tuple[str | None, bool]:
    """The scale a target is evaluated at: `wanted` when it ran, else the largest one that ran."""
    scales = list(doc["scales"])
    if wanted in scales:
        return wanted, True
    return (scales[-1] if scales else None), False


def _pending(p: dict | None) -> str:
    return f"{p['median']:g} / {p['max']:,}" if p else "–"


def _captured_modes(w: dict) -> list[str]:
    """`<module>_<mode>` of every measured mode with capture on (the cases' names say which ran)."""
    keys = {k.rsplit("_copy", 1)[0] for k in w["cases"] if k.endswith("_copy")}
    return sorted(k for k in keys if not k.endswith("_none"))


def targets(doc) -> list[dict]:
    """Every target with the value it reached, the scale it was evaluated at and whether it was met."""
    out = []

    def add(name, target, scale, exact, value, ok, unit="×"):
        note = "" if exact else (f"target scale not run; value at {scale}" if scale else "not run")
        out.append({"target": name, "goal": target, "scale": scale, "value": value, "unit": unit,
                    "met": ok if exact else None, "indicative_met": ok, "note": note})

    # reads
    for key, label in (("report_summary_agent_raw_over_rollup", "report_summary per agent, 365 days: raw / rollup"),
                       ("campaign_daily_raw_over_rollup", "campaign_daily one tenant, 90 days: raw / rollup")):
        sc, exact = _pick(doc, "5m")
        v = _get(doc, sc, "scenarios", "reads", "ratios", key) if sc else None
        if v is not None:
            add(label, "≥ 100× at 5m", sc, exact, v, v >= 100)
    for case, label in (("report_summary_agent_365d_rollup", "report_summary per agent from rollups: time 10m / 1m"),
                        ("campaign_daily_tenant_90d_rollup", "campaign_daily from rollups: time 10m / 1m")):
        def med(scale):
            c = _get(doc, scale, "scenarios", "reads", "cases", case)
            return (c.get("server") or c)["median_ms"] if c else None
        lo = med("1m")
        hi_scale = "10m" if "10m" in doc["scales"] else None
        if lo is not None:
            bigger = [s for s in doc["scales"] if _scale_rows(s) > 1_000_000 and _get(doc, s, "scenarios", "reads", "cases", case)]
            if hi_scale and _get(doc, "10m", "scenarios", "reads", "cases", case):
                v = round(med("10m") / lo, 2)
                add(label, "≤ 1.3×", "1m→10m", True, v, v <= 1.3)
            elif bigger:
                s = bigger[-1]
                v = round(med(s) / lo, 2)
                add(label, "≤ 1.3×", f"1m→{s}", False, v, v <= 1.3)
    # refresh
    for shape in ("one_day", "scattered"):
        sc, exact = _pick(doc, "10m")
        v = _get(doc, sc, "scenarios", "refresh", "ratios", f"materialized_view_over_incremental_{shape}") if sc else None
        if v is not None:
            add(f"refresh after {shape.replace('_', ' ')} change: materialized view / incremental", "≥ 100× at 10m",
                sc, exact, v, v >= 100)
        lo = _get(doc, "1m", "scenarios", "refresh", "cases", f"incremental_{shape}", "median_ms")
        bigger = [s for s in doc["scales"] if _scale_rows(s) > 1_000_000
                  and _get(doc, s, "scenarios", "refresh", "cases", f"incremental_{shape}")]
        if lo is not None and bigger:
            s = "10m" if "10m" in bigger else bigger[-1]
            v = round(_get(doc, s, "scenarios", "refresh", "cases", f"incremental_{shape}", "median_ms") / lo, 2)
            add(f"incremental refresh ({shape.replace('_', ' ')}): time 10m / 1m", "≤ 1.5×", f"1m→{s}", s == "10m", v, v <= 1.5)
    # write, backfill, freshness: evaluated at every scale that ran them
    for big in [s for s in doc["scales"] if _get(doc, s, "scenarios", "write")]:
        w = _get(doc, big, "scenarios", "write")
        for key in _captured_modes(w):
            label = key.replace("_", " ", 1)
            r = w["ratios"]
            for kind, what in (("copy", f"COPY of {w['copy_rows']:,} rows"), ("insert_select", f"INSERT ... SELECT of {w['copy_rows']:,} rows")):
                v = r.get(f"{key}_{kind}")
                if v is not None:
                    add(f"write cost, {what}: {label} / none", "≤ 1.15×", big, True, v, v <= 1.15)
            v = r.get(f"{key}_pgbench_c8_throughput")
            if v is not None:
                add(f"single-row INSERT transactions at 8 clients: {label} tps / none tps", "≥ 0.75×", big, True, v, v >= 0.75)
            v = r.get(f"{key}_latency_c1")
            if v is not None:
                add(f"one client's latency: {label} / none", "≤ 1.3×", big, True, v, v <= 1.3)
            extra = [r.get(f"{key}_pgbench_c{n}{sfx}_extra_failures") for n, sfx in ((8, ""), (8, "_rr"), (8, "_ser"))]
            if any(e is not None for e in extra):
                v = sum(e for e in extra if e is not None)
                add(f"failed transactions beyond those without pgrollup ({label}; read committed, repeatable read, serializable)",
                    "0", big, True, v, v <= 0, unit="")
        log = w.get("server_log") or {}
        bad = log.get("deadlocks", 0)
        add("write: deadlocks in the server log", "0", big, True, bad, bad == 0, unit="")
    for big in [s for s in doc["scales"] if _get(doc, s, "scenarios", "backfill")]:
        v = _get(doc, big, "scenarios", "backfill", "ratios", "backfill_over_floor")
        add("backfill_reporting of the large account's year / INSERT ... SELECT ... GROUP BY", "≤ 1.5×", big, True, v, v <= 1.5)
    for big in [s for s in doc["scales"] if _get(doc, s, "scenarios", "freshness")]:
        f = _get(doc, big, "scenarios", "freshness")
        for m, st in sorted(f["staleness"].items()):
            add(f"freshness: max staleness of {m} under ingest (s)", f"≤ {f['bound_s']:.2f} s (interval + longest refresh)",
                big, True, st["max_s"], st["max_s"] <= f["bound_s"], unit=" s")
    return out


def render(doc: dict, analysis: str) -> str:
    L = []
    a = L.append
    scales = list(doc["scales"])
    a("# Benchmarks")
    a("")
    a("What pgrollup promises about speed, measured: dashboard reads stay flat as data grows, a refresh costs what")
    a("changed (not what exists), writers pay little for capture, a backfill costs about what one `GROUP BY` of the")
    a("same rows costs, and rollups stay fresh under steady ingest. Ratios are what the targets judge; absolute")
    a("times depend on the machine and are reported, not asserted. This page is generated by `scripts/bench.sh`")
    a("from `docs/benchmarks.json` (results keyed by scale); only the analysis section is written by hand.")
    a("")
    a("## How to reproduce")
    a("")
    a("```sh")
    a("scripts/bench.sh --scale 1m            # also 5m, 10m; 10k is a smoke run (under a minute)")
    a("scripts/bench.sh --scale 1m,5m,10m --repeat 3   # this page: every scale, one after the other")
    a("scripts/bench.sh --scale 1m --dsn 'host=127.0.0.1 dbname=postgres'   # use a server you started")
    a("```")
    a("")
    a("Without `--dsn` the runner starts a throwaway PostgreSQL cluster (`pgrollup.devdb.Cluster`, settings below),")
    a("creates a throwaway database, loads the data, installs both modules (no pg_cron job), runs every scenario")
    a("(one untimed warm-up, then `--repeat` timed runs; medians reported) and removes everything. With `--dsn` it")
    a("creates and drops its own database on that server. `--scenario` limits the run (`reads`, `backfill`, `refresh`,")
    a("`write`, `freshness`). Results merge into `<output>/benchmarks.json` under the scale's key and this page is")
    a("re-rendered from all scales in it. pgbench (`find_bindir()/pgbench`) drives the concurrent writers; its scripts")
    a("are described in `benchmarks/README.md`. The smoke run is `tests/test_bench_smoke.py`.")
    a("")
    a("## Data")
    a("")
    a("Generated in SQL (`generate_series`, `random()` after `setseed`, so every run of a scale loads the same rows),")
    a("a year of history ending now, ordered by time like an append-only table:")
    a("")
    a("- `reporting_events`: *scale* rows. Account 1 holds half of them (300 agents, Zipf-like; 40 inboxes); the other")
    a("  accounts share the rest on a Zipf-like (log-uniform) law. 30 % `conversation_resolved`, 20 % `first_response`,")
    a("  30 % `reply_time`, 5 % bot resolved, 5 % bot handoff, 10 % a name the registry does not know. Every account has")
    a("  a reporting timezone (account 1: America/New_York) and rollup reads on.")
    a("- messaging: *scale* rows in all: `outbound_messages` (scale/4; tenants Zipf-like, tenant 1 the largest,")
    a("  Asia/Kolkata; 10 % without campaign, 3 % never sent), `campaign_transitions` (4 per campaign) and")
    a("  `message_events` (the rest, about 3 per message within 3 days of the send, 16 % unmapped types).")
    a("- Source indexes: only the ones pgrollup recommends (`reporting_events (account_id, name, created_at)`,")
    a("  `message_events (message_id)`).")
    a("")
    if scales:
        a("| scale | reporting_events (account 1) | messages / events / transitions | accounts / tenants | rollup rows (reporting / campaign-daily / contact-hourly) | database size | load + install |")
        a("|---|---|---|---|---|---|---|")
        for s in scales:
            d = doc["scales"][s]["data"]
            c = d["counts"]
            su = d["setup"]
            a(f"| {s} | {c['reporting_events']:,} ({c['reporting_events_big_account']:,}) | {c['outbound_messages']:,} / "
              f"{c['message_events']:,} / {c['campaign_transitions']:,} | {d['accounts']} / {d['tenants']} | "
              f"{c['reporting_events_rollups']:,} / {c['metrics_campaign_daily']:,} / {c['metrics_contact_hourly']:,} | "
              f"{d['sizes']['database']} | {sum(su.values()):.0f} s |")
        a("")
    a("## Machine and settings")
    a("")
    if scales:
        a("| scale | last run at (UTC) | pgrollup commit | cores | memory | PostgreSQL | server | scenarios (commit, start UTC) |")
        a("|---|---|---|---|---|---|---|---|")
        for s in scales:
            r = doc["scales"][s]
            m = r["machine"]
            pg = m["postgresql"].split(" on ")[0]
            a(f"| {s} | {r['started_at'].replace('T', ' ')[:16]} | {r.get('commit') or '?'} | {m['cores']} ({m['cpu'] or '?'}) | {m['memory_gib']} GiB | "
              f"{pg} | {m['server']} | {_scenario_runs(r)} |")
        a("")
        st = doc["scales"][scales[-1]]["machine"]["settings"]
        a("Server settings (" + scales[-1] + " run): " + ", ".join(f"`{k}={v}`" for k, v in st.items()) + ".")
        a("The throwaway cluster runs with durability off (`fsync`, `synchronous_commit`, `full_page_writes` off), as the")
        a("test clusters do: write costs are measured without WAL flush waits, which makes the capture overhead look")
        a("larger, not smaller, than on a durable server. `shared_buffers` is a quarter of the machine's memory (at most")
        a("8GB) and `effective_cache_size` three quarters, as for a dedicated database server.")
        a("")
    a("## Targets")
    a("")
    ts = targets(doc)
    if ts:
        a("| target | goal | evaluated at | value | result |")
        a("|---|---|---|---|---|")
        for t in ts:
            v = t["value"]
            val = f"{v}{t['unit']}" if not isinstance(v, float) else f"{v:g}{t['unit']}"
            res = _met(t["met"]) if t["met"] is not None else (
                f"not evaluated ({t['note']}; {'would meet' if t['indicative_met'] else 'would miss'})")
            a(f"| {t['target']} | {t['goal']} | {t['scale']} | {val} | {res} |")
        a("")
    not_run = [s for s in ("1m", "5m", "10m") if s not in scales]
    if not_run:
        a("Scales not run (no numbers exist for them): " + ", ".join(not_run) + ".")
        a("")
    # ------------------------------------------------------------------ per scenario
    a("## 1. Dashboard reads")
    a("")
    a("`pgrollup.report_summary(account 1, 365 whole local days, 'agent')` (and `'account'`) with rollup reads on")
    a("(`source = 'rollup'`) vs the same function with `pgrollup.set_rollup_reads(1, false)` (`source = 'raw'`, an")
    a("aggregate over `reporting_events`); `pgrollup.campaign_daily(tenant 1, 90 days)` vs the contract's reference query")
    a("for `metrics_campaign_daily` over the source tables, restricted to that tenant and those dates. Both paths are")
    a("checked to give the same answer. Server time = planning + execution measured by `EXPLAIN (ANALYZE, TIMING OFF)`")
    a("(what the ratio uses); client time = wall-clock at the client with the result rows fetched and decoded.")
    a("")
    a("| scale | read | rollup server median (min – max) | raw server median (min – max) | raw / rollup | target | client median rollup / raw | same answer |")
    a("|---|---|---|---|---|---|---|---|")
    for s in scales:
        r = _get(doc, s, "scenarios", "reads")
        if not r:
            continue
        for name, rk, wk, ratio_key, chk in (
                ("report_summary agent 365 d", "report_summary_agent_365d_rollup", "report_summary_agent_365d_raw",
                 "report_summary_agent_raw_over_rollup", "report_summary_agent_same_answer"),
                ("report_summary account 365 d", "report_summary_account_365d_rollup", "report_summary_account_365d_raw",
                 "report_summary_account_raw_over_rollup", "report_summary_account_same_answer"),
                ("campaign_daily tenant 90 d", "campaign_daily_tenant_90d_rollup", "campaign_daily_tenant_90d_raw",
                 "campaign_daily_raw_over_rollup", "campaign_daily_same_answer")):
            cr, cw = r["cases"][rk], r["cases"][wk]
            sr, sw = cr.get("server", cr), cw.get("server", cw)
            tgt = "≥ 100× at 5m" if "account" not in name else "(not a target)"
            met = _met(r["ratios"][ratio_key] >= 100) if (s == "5m" and "account" not in name) else "–"
            a(f"| {s} | {name} ({cr.get('rows', '?')} rows) | {_ms(sr['median_ms'])} ({_mm(sr)}) | {_ms(sw['median_ms'])} ({_mm(sw)}) | "
              f"{r['ratios'][ratio_key]:g}× | {tgt} {met} | {_ms(cr['median_ms'])} / {_ms(cw['median_ms'])} | "
              f"{'yes' if r['checks'].get(chk) else 'NO'} |")
    a("")
    a("## 2. Refresh after 10k changed rows (messaging)")
    a("")
    a("New `message_events` rows inserted (untimed), then `pgrollup.refresh('messaging')` timed on a fresh connection.")
    a("*one day*: webhook events of yesterday (UTC) for the 2,500 most recently sent messages; *scattered*: late events")
    a("for random messages over the whole year. Incremental mode first; then `set_messaging_mode('materialized_view')`")
    a("and the same shapes of change refreshed by `REFRESH MATERIALIZED VIEW CONCURRENTLY` of the mode's views.")
    a("At tiny scales the change is 10 % of the rows instead of 10k.")
    a("")
    a("| scale | change | incremental median (min – max) | materialized view median (min – max) | MV / incremental | target (10m) | incremental peak memory | MV peak memory |")
    a("|---|---|---|---|---|---|---|---|")
    for s in scales:
        r = _get(doc, s, "scenarios", "refresh")
        if not r:
            continue
        for shape in ("one_day", "scattered"):
            ci = r["cases"].get(f"incremental_{shape}")
            cm = r["cases"].get(f"materialized_view_{shape}")
            ratio = r.get("ratios", {}).get(f"materialized_view_over_incremental_{shape}")
            met = _met(ratio >= 100) if (s == "10m" and ratio is not None) else "–"
            a(f"| {s} | {r['change_rows']:,} rows, {shape.replace('_', ' ')} | {_ms(ci['median_ms'])} ({_mm(ci)}) | "
              f"{(_ms(cm['median_ms']) + ' (' + _mm(cm) + ')') if cm else '–'} | {f'{ratio:g}×' if ratio else '–'} | ≥ 100× {met} | "
              f"{_mem(ci.get('memory'))} | {_mem(cm.get('memory')) if cm else '–'} |")
    a("")
    a("## 3. Write overhead")
    a("")
    a("One account (reporting, account 1) / one tenant (messaging, tenant 1), rows created now, on source tables that")
    a("carry the applications' own indexes (nine on `reporting_events`, three on `message_events`). *none* = the same")
    a("table with pgrollup's triggers disabled (`ALTER TABLE ... DISABLE TRIGGER USER`); the other row is the module's")
    a("default mode. COPY: one `COPY ... FROM STDIN` of the rows in its own transaction, COMMIT included;")
    a("INSERT ... SELECT: one statement generating the same number of rows. After every run the inserted rows are deleted")
    a("(and refreshed away) and the tables vacuumed, so every run starts from the same state. The two rows of a table")
    a("are measured run by run in turn (a warm-up of each, then *none* and the mode one after the other, the order")
    a("reversed every other time, for every case), so a change of the machine's speed during the scenario, or what one")
    a("arm's clean-up leaves behind, weighs on both sides of a ratio. Timed runs per arm: `--repeat`, at most 3, for")
    a(f"pgbench (2 with durability on); at least {BULK_RUNS}, an even number, for COPY and INSERT ... SELECT. pgbench: one single-row")
    a("`INSERT` per transaction, `-c N -j N`, bounded by a transaction count; at 8 clients also inside")
    a("`BEGIN ISOLATION LEVEL REPEATABLE READ` / `SERIALIZABLE` transactions (failed = serialization failures and")
    a("deadlocks pgbench counted). Cost = time over *none*'s time; kept = tps over *none*'s tps; latency = one")
    a("client's average latency over *none*'s.")
    a("")
    for s in scales:
        w = _get(doc, s, "scenarios", "write")
        if not w:
            continue
        a(f"**{s}** — COPY / INSERT ... SELECT of {w['copy_rows']:,} rows; pgbench {w['pgbench_rows']:,} single-row INSERTs per run")
        a("")
        a("| table / mode | COPY median (min – max) | cost | INSERT … SELECT median | cost | 1 client tps | latency | 4 clients tps | 8 clients tps | kept | failed: RC / RR / SER (8 clients) |")
        a("|---|---|---|---|---|---|---|---|---|---|---|")
        keys = sorted({k.rsplit("_copy", 1)[0] for k in w["cases"] if k.endswith("_copy")},
                      key=lambda k: (k.split("_")[0], not k.endswith("_none"), k))
        for key in keys:
            cs, r, none = w["cases"], w["ratios"], key.endswith("_none")
            cc, ci = cs[f"{key}_copy"], cs.get(f"{key}_insert_select")

            def cost(name):
                return "1×" if none else (f"{r[name]:g}×" if r.get(name) is not None else "–")

            def tps(n):
                p = cs.get(f"{key}_pgbench_c{n}")
                return f"{p['median_tps']:,.0f} ({p['min_tps']:,.0f} – {p['max_tps']:,.0f})" if p else "–"

            fails = [str(cs[f"{key}_pgbench_c8{x}"]["failed"]) if f"{key}_pgbench_c8{x}" in cs else "–" for x in ("", "_rr", "_ser")]
            a("| " + " | ".join([key.replace("_", " / ", 1), f"{_ms(cc['median_ms'])} ({_mm(cc)})", cost(f"{key}_copy"),
                                  f"{_ms(ci['median_ms'])} ({_mm(ci)})" if ci else "–", cost(f"{key}_insert_select"),
                                  tps(1), cost(f"{key}_latency_c1"), tps(4), tps(8),
                                  "1×" if none else (f"{r[key + '_pgbench_c8_throughput']:g}×" if r.get(key + "_pgbench_c8_throughput") else "–"),
                                  " / ".join(fails)]) + " |")
        d = w.get("durable")
        if d:
            a("")
            a(f"With durability on ({d['settings']}; every commit waits for its WAL flush, as in production):")
            a("")
            a("| table / mode | COPY median | cost | INSERT … SELECT median | cost | 8 clients tps (min – max) | kept | failed |")
            a("|---|---|---|---|---|---|---|---|")
            dkeys = sorted({k.rsplit("_copy", 1)[0] for k in d["cases"] if k.endswith("_copy")},
                           key=lambda k: (k.split("_")[0], not k.endswith("_none"), k))
            for key in dkeys:
                cs, r, none = d["cases"], d["ratios"], key.endswith("_none")
                cc, ci, p = cs[f"{key}_copy"], cs.get(f"{key}_insert_select"), cs.get(f"{key}_pgbench_c8")
                a("| " + " | ".join([key.replace("_", " / ", 1), _ms(cc["median_ms"]),
                                      "1×" if none else f"{r.get(key + '_copy', 0):g}×",
                                      _ms(ci["median_ms"]) if ci else "–",
                                      "1×" if none else (f"{r[key + '_insert_select']:g}×" if key + "_insert_select" in r else "–"),
                                      f"{p['median_tps']:,.0f} ({p['min_tps']:,.0f} – {p['max_tps']:,.0f})" if p else "–",
                                      "1×" if none else (f"{r[key + '_pgbench_c8_throughput']:g}×" if key + "_pgbench_c8_throughput" in r else "–"),
                                      str(p["failed"]) if p else "–"]) + " |")
        log = w.get("server_log")
        a("")
        a("Targets: COPY and INSERT ... SELECT cost ≤ 1.15×, 8 clients keep ≥ 0.75× of the throughput, one client's latency")
        a("≤ 1.3×, no failure that the same workload does not get without pgrollup. Server log during the scenario: "
          + (", ".join(f"{k.replace('_', ' ')} {v}" for k, v in log.items()) if log else "not available (--dsn)") + ".")
        a("")
    a("## 4. Backfill")
    a("")
    a("`pgrollup.backfill_reporting(1)` (account 1's whole year, set-based, under the module lock only: writers are never held)")
    a("vs the floor: the contract's reference rollup query for the same account as one `INSERT ... SELECT ... GROUP BY`")
    a("into an empty scratch table with the rollup table's indexes. Each run on a fresh connection; rollup tables")
    a("vacuumed between runs. Peak memory sampled from `/proc/<backend pid>/status` during the call.")
    a("")
    a("| scale | source rows | backfill median (min – max) | floor median (min – max) | backfill / floor | target | backfill peak memory | floor peak memory |")
    a("|---|---|---|---|---|---|---|---|")
    for s in scales:
        b = _get(doc, s, "scenarios", "backfill")
        if not b:
            continue
        cb, cf = b["cases"]["backfill_reporting_big_account_year"], b["cases"]["insert_select_group_by_floor"]
        v = b["ratios"]["backfill_over_floor"]
        a(f"| {s} | {b['source_rows']:,} | {_ms(cb['median_ms'])} ({_mm(cb)}) | {_ms(cf['median_ms'])} ({_mm(cf)}) | {v:g}× | "
          f"≤ 1.5× {_met(v <= 1.5)} | {_mem(cb.get('memory'))} | {_mem(cf.get('memory'))} |")
    a("")
    a("## 5. Freshness under ingest")
    a("")
    a("pgbench inserts single rows at a steady rate (`-R`) into `message_events` and `reporting_events` (each module in")
    a("its default mode) while a loop calls `pgrollup.refresh()` every *interval* seconds: it emulates the pg_cron jobs")
    a("(minute granularity) with a shorter interval. `pgrollup.rollup_health.staleness` and `pending_changes` are")
    a("sampled every 0.2 s. Target: the largest staleness stays under one interval plus the longest refresh (a module")
    a("whose reads fold the pending changes in is current at commit: its staleness is 0, its pending changes are the")
    a("tail each read folds).")
    a("")
    a("| scale | ingest | interval | refreshes (median / max) | module (mode) | staleness median / p95 / max | pending changes median / max | bound | result |")
    a("|---|---|---|---|---|---|---|---|---|")
    for s in scales:
        f = _get(doc, s, "scenarios", "freshness")
        if not f:
            continue
        for m, st in sorted(f["staleness"].items()):
            a(f"| {s} | {f['duration_s']:.0f} s at {f['ingest_rate_tps']} tx/s (achieved {f.get('achieved_tps') or 0:.0f}) | "
              f"{f['refresh_interval_s']:g} s | {f['refreshes']['count']} ({_ms(f['refreshes']['median_ms'])} / {_ms(f['refreshes']['max_ms'])}) | "
              f"{m}{' (' + f['modes'][m] + ')' if f.get('modes', {}).get(m) else ''} | "
              f"{st['median_s']:.2f} / {st['p95_s']:.2f} / {st['max_s']:.2f} s | "
              f"{_pending(f.get('pending_changes', {}).get(m))} | "
              f"{f['bound_s']:.2f} s | {_met(st['max_s'] <= f['bound_s'])} |")
    a("")
    sizes = [(s, _get(doc, s, "scenarios", "size")) for s in scales if _get(doc, s, "scenarios", "size")]
    if sizes:
        a("## 6. Any size")
        a("")
        a("One transaction inserting as many reporting events as the scale (one `INSERT ... SELECT` into account 2), the")
        a("`pgrollup.refresh('reporting')` that applies them, and `pgrollup.backfill_reporting(2)` over all of that account's")
        a("events. Peak memory of the backend sampled from `/proc/<pid>/status` (private memory; VmHWM includes the shared")
        a("buffers it touched). Target: each succeeds, in memory that does not grow with the size.")
        a("")
        a("| scale | events in the transaction | insert (peak memory) | pending then | refresh (peak memory) | backfill of events | backfill (peak memory) | exact |")
        a("|---|---|---|---|---|---|---|---|")
        for s, z in sizes:
            c = z["cases"]
            a(f"| {s} | {z['rows']:,} | {_ms(c['one_transaction_insert_select']['ms'])} ({_mem(c['one_transaction_insert_select']['memory'])}) | "
              f"{z.get('pending_before_refresh') or 0:,} | {_ms(c['refresh_pending']['ms'])} ({_mem(c['refresh_pending']['memory'])}) | "
              f"{z['account_events']:,} | {_ms(c['backfill_account']['ms'])} ({_mem(c['backfill_account']['memory'])}) | "
              f"{_met(z['rollups_equal_reference'])} |")
        a("")
    citus = [(s, _get(doc, s, "scenarios", "citus")) for s in scales if _get(doc, s, "scenarios", "citus")]
    if citus:
        a("## 7. Scale-out on Citus")
        a("")
        a("The same `reporting_events` (the scale's rows, the application's indexes, primary key `(account_id, id)`)")
        a("distributed by `account_id` over a Citus coordinator and two workers started on this machine, with pgrollup's")
        a("Citus layout (docs/SCALE-OUT.md): the write cases of section 3 for reporting (baseline and capture by the")
        a("statement-level triggers Citus fires on each shard, alternating), the refresh of a batch of changes (every")
        a("worker applies its own shards), and account 1's `report_summary` (agent, 30 days) from the coordinator, next")
        a("to the same call on this run's single node. The single node's 8-client figure comes from section 3 of the")
        a("same run. Three PostgreSQL servers share the same cores here: this measures Citus's and pgrollup's overhead,")
        a("not a speedup.")
        a("")
        a("| scale | setup | COPY none → capture (cost) | INSERT … SELECT none → capture (cost) | 1 client tps none → capture (latency) | 8 clients tps none → capture (kept) | single node 8 clients kept | refresh of the batch | report_summary |")
        a("|---|---|---|---|---|---|---|---|---|")
        for s, z in citus:
            if z.get("skipped"):
                a(f"| {s} | skipped: {z['skipped']} | | | | | | | |")
                continue
            cs, r = z["cases"], z["ratios"]
            w = _get(doc, s, "scenarios", "write") or {}
            mode = (w.get("modes") or {}).get("reporting", "realtime")
            single = (w.get("ratios") or {}).get(f"reporting_{mode}_pgbench_c8_throughput")

            def pair(kind, field="median_ms"):
                x, y = cs.get(f"reporting_none_{kind}"), cs.get(f"reporting_realtime_{kind}")
                if not x or not y:
                    return "–"
                if field == "median_ms":
                    return f"{_ms(x['median_ms'])} → {_ms(y['median_ms'])}"
                return f"{x['median_tps']:,.0f} → {y['median_tps']:,.0f}"
            rf = z.get("refresh") or {}
            rd = (z.get("reads") or {}).get("report_summary_agent_30d") or {}
            rs1 = (z.get("reads_single_node") or {}).get("report_summary_agent_30d") or {}
            a(f"| {s} | {z['nodes']} | {pair('copy')} ({r.get('reporting_realtime_copy', '–')}×) | "
              f"{pair('insert_select')} ({r.get('reporting_realtime_insert_select', '–')}×) | "
              f"{pair('pgbench_c1', 'tps')} ({r.get('reporting_realtime_latency_c1', '–')}×) | "
              f"{pair('pgbench_c8', 'tps')} ({r.get('reporting_realtime_pgbench_c8_throughput', '–')}×) | "
              f"{f'{single:g}×' if single else '–'} | "
              f"{_ms(rf['median_ms']) if rf else '–'} ({rf.get('changes', 0):,} changes) | {_ms(rd['median_ms']) if rd else '–'} "
              f"(one node {_ms(rs1['median_ms']) if rs1 else '–'}) |")
        a("")
        msg = [(s, z["messaging"]) for s, z in citus if z.get("messaging")]
        if msg:
            a("Messaging on the same cluster: `outbound_messages`, `message_events` (its indexes) and `campaign_transitions`")
            a("loaded with the scale's messaging rows, distributed by `tenant_id` and colocated, pgrollup's messaging layout")
            a("installed (its first build runs on the workers); the write cases of section 3 for `message_events`, the")
            a("refresh of a batch of changes, and tenant 1's `campaign_daily` over 30 days next to the single node's.")
            a("")
            a("| scale | first build | COPY none → capture (cost) | INSERT … SELECT none → capture (cost) | 1 client tps none → capture (latency) | 8 clients tps none → capture (kept) | refresh of the batch | campaign_daily |")
            a("|---|---|---|---|---|---|---|---|")
            for s, z in msg:
                cs, r = z["cases"], z["ratios"]

                def mpair(kind, field="median_ms"):
                    x, y = cs.get(f"messaging_none_{kind}"), cs.get(f"messaging_incremental_{kind}")
                    if not x or not y:
                        return "–"
                    if field == "median_ms":
                        return f"{_ms(x['median_ms'])} → {_ms(y['median_ms'])}"
                    return f"{x['median_tps']:,.0f} → {y['median_tps']:,.0f}"
                rf = z.get("refresh") or {}
                rd = (z.get("reads") or {}).get("campaign_daily_30d") or {}
                rs1 = (z.get("reads_single_node") or {}).get("campaign_daily_30d") or {}
                fb = z.get("first_build") or {}
                a(f"| {s} | {z.get('install_and_first_build_s', '–')} s ({fb.get('changes') or 0:,} keys, {fb.get('status', '–')}) | "
                  f"{mpair('copy')} ({r.get('messaging_incremental_copy', '–')}×) | "
                  f"{mpair('insert_select')} ({r.get('messaging_incremental_insert_select', '–')}×) | "
                  f"{mpair('pgbench_c1', 'tps')} ({r.get('messaging_incremental_latency_c1', '–')}×) | "
                  f"{mpair('pgbench_c8', 'tps')} ({r.get('messaging_incremental_pgbench_c8_throughput', '–')}×) | "
                  f"{_ms(rf['median_ms']) if rf else '–'} ({rf.get('changes', 0):,} changes, {'/'.join(rf.get('statuses', []))}) | "
                  f"{_ms(rd['median_ms']) if rd else '–'} (one node {_ms(rs1['median_ms']) if rs1 else '–'}) |")
            a("")
    a("## Analysis")
    a("")
    a(ANALYSIS_START)
    a(analysis)
    a(ANALYSIS_END)
    a("")
    return "\n".join(L)

"""Demo data and dashboard for the reporting module: a support app's reporting_events with two
accounts in different zones, agents, inboxes and six months of events."""
from __future__ import annotations

import math
import time

ACCOUNTS = {1: "America/New_York", 2: "Asia/Kolkata"}

DDL = """
CREATE TABLE IF NOT EXISTS public.reporting_events (
    id bigserial PRIMARY KEY,
    name varchar,
    value double precision,
    value_in_business_hours double precision,
    account_id integer,
    inbox_id integer,
    user_id integer,
    conversation_id integer,
    event_start_time timestamp,
    event_end_time timestamp,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL
);
CREATE INDEX IF NOT EXISTS index_reporting_events_on_account_id ON public.reporting_events (account_id);
CREATE INDEX IF NOT EXISTS index_reporting_events_on_created_at ON public.reporting_events (created_at);
CREATE INDEX IF NOT EXISTS reporting_events__account_id__name__created_at
    ON public.reporting_events (account_id, name, created_at);
"""

# ~60k conversations over 180 days; each conversation yields a first response, 1-4 replies, and
# either a resolution, a bot resolution or a bot handoff (sometimes two handoff events)
DATA = """
SELECT setseed(0.42);
WITH conv AS (
    SELECT c AS conversation_id,
           CASE WHEN random() < 0.7 THEN 1 ELSE 2 END AS account_id,
           (timestamp 'today' - interval '180 days') + random() * interval '180 days' AS opened_at,
           1 + (random() * 9)::int AS agent,
           1 + (random() * 2)::int AS inbox,
           random() AS fate
      FROM generate_series(1, 60000) AS c
), ev AS (
    SELECT c.*, e.name, e.delay, e.value
      FROM conv c
     CROSS JOIN LATERAL (
        SELECT 'first_response' AS name, 60 + random() * 3600 AS delay, NULL::float8 AS value
        UNION ALL
        SELECT 'reply_time', 300 * r + random() * 900, NULL FROM generate_series(1, 1 + (random() * 3)::int) r
        UNION ALL
        SELECT 'conversation_resolved', 3600 + random() * 86400 * 2, NULL WHERE c.fate < 0.6
        UNION ALL
        SELECT 'conversation_bot_resolved', 30 + random() * 300, NULL WHERE c.fate >= 0.6 AND c.fate < 0.8
        UNION ALL
        SELECT 'conversation_bot_handoff', 20 + random() * 120 * h, NULL FROM generate_series(1, 2) h
         WHERE c.fate >= 0.8 AND (h = 1 OR random() < 0.2)
     ) e
)
INSERT INTO public.reporting_events (name, value, value_in_business_hours, account_id, inbox_id, user_id,
                                     conversation_id, event_start_time, event_end_time, created_at, updated_at)
SELECT ev.name,
       CASE WHEN ev.name LIKE 'conversation_bot%' THEN NULL ELSE ev.delay END,
       CASE WHEN ev.name LIKE 'conversation_bot%' THEN NULL ELSE ev.delay * (0.3 + random() * 0.5) END,
       ev.account_id,
       ev.account_id * 10 + ev.inbox,
       CASE WHEN ev.name LIKE 'conversation_bot%' THEN NULL ELSE ev.account_id * 100 + ev.agent END,
       ev.conversation_id,
       ev.opened_at, ev.opened_at + ev.delay * interval '1 second',
       ev.opened_at + ev.delay * interval '1 second', ev.opened_at + ev.delay * interval '1 second'
  FROM ev
 WHERE ev.opened_at + ev.delay * interval '1 second' < timestamp 'now' AT TIME ZONE 'UTC';
ANALYZE public.reporting_events;
"""


def setup(conn) -> bool:
    """Create public.reporting_events with its indexes and load the sample data, only when the table
    is absent (an existing table is the application's: no DDL on it, no rows added). True when loaded."""
    if conn.execute("SELECT to_regclass('public.reporting_events') IS NOT NULL").fetchone()[0]:
        return False
    with conn.transaction():
        conn.execute(DDL)
        for stmt in DATA.split(";\n"):
            if stmt.strip():
                conn.execute(stmt)
    return True


def after_install(conn) -> None:
    """Give each sample account that has no reporting settings yet a zone (this builds its rollups
    from history) and turn its rollup reads on; an account with settings keeps them."""
    for account, zone in ACCOUNTS.items():
        if conn.execute("SELECT EXISTS (SELECT 1 FROM pgrollup_internal.reporting_accounts WHERE account_id = %s)",
                        (account,)).fetchone()[0]:
            continue
        conn.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, zone))
        conn.execute("SELECT pgrollup.set_rollup_reads(%s, true)", (account,))


def _timed(conn, query, params):
    t0 = time.perf_counter()
    rows = conn.execute(query, params).fetchall()
    return rows, (time.perf_counter() - t0) * 1000


def _fmt_minutes(seconds):
    return "" if seconds is None else f"{seconds / 60:.1f}"


def show(conn, console) -> None:
    from rich.table import Table

    account, zone = 1, ACCOUNTS[1]
    # the last 90 whole local days of the account: answered from rollups alone
    since, until = conn.execute(
        "SELECT (d - 90)::timestamp AT TIME ZONE %s, d::timestamp AT TIME ZONE %s "
        "FROM (SELECT (now() AT TIME ZONE %s)::date AS d) x", (zone, zone, zone)).fetchone()
    q = "SELECT * FROM pgrollup.report_summary(%s, %s, %s, 'agent')"
    rollup, t_rollup = _timed(conn, q, (account, since, until))
    # the same question over the raw events: reads off inside a transaction that is rolled back,
    # so the account's setting is never changed
    with conn.transaction(force_rollback=True):
        conn.execute("SELECT pgrollup.set_rollup_reads(%s, false)", (account,))
        raw, t_raw = _timed(conn, q, (account, since, until))
    same = len(rollup) == len(raw) and all(
        all(x == y if not isinstance(x, float) else math.isclose(x, y, rel_tol=1e-9)
            for x, y in zip(a[:-1], b[:-1]))
        for a, b in zip(rollup, raw))
    table = Table(title=f"Agents of account {account} ({zone}), last 90 local days - "
                        f"rollup path {t_rollup:.1f} ms (source={rollup[0][-1] if rollup else '-'}), "
                        f"raw path {t_raw:.1f} ms, same answer: {same}")
    for col in ("agent", "resolutions", "avg resolution (min)", "avg first response (min)", "avg reply (min)",
                "bot resolutions", "bot handoffs"):
        table.add_column(col, justify="right")
    for r in rollup:
        table.add_row(str(r[0]), str(r[1]), _fmt_minutes(r[2]), _fmt_minutes(r[3]), _fmt_minutes(r[4]),
                      str(r[5]), str(r[6]))
    console.print(table)

    # account totals for both accounts, and a weekly series of distinct handoffs (hybrid: today is partial)
    table = Table(title="Accounts, last 30 days up to now (whole local days from rollups, today's part raw)")
    for col in ("account", "zone", "resolutions", "avg first response (min)", "bot handoffs (distinct conversations)", "source", "ms"):
        table.add_column(col, justify="right")
    for acc, z in ACCOUNTS.items():
        rows, ms = _timed(conn, "SELECT * FROM pgrollup.report_summary(%s, now() - interval '30 days', now())", (acc,))
        r = rows[0]
        table.add_row(str(acc), z, str(r[1]), _fmt_minutes(r[3]), str(r[6]), r[7], f"{ms:.1f}")
    console.print(table)

    rows, ms = _timed(conn, "SELECT (t.bucket_start AT TIME ZONE %s)::date, t.count, t.source "
                            "FROM pgrollup.report_timeseries(%s, 'bot_handoffs_count', %s, %s, 'week') t",
                      (zone, account, since, until))
    table = Table(title=f"Weekly distinct handed-off conversations, account {account} (weeks from Sunday, {ms:.1f} ms, "
                        f"source={rows[0][-1] if rows else '-'})")
    table.add_column("week starting")
    table.add_column("conversations", justify="right")
    for r in rows:
        table.add_row(str(r[0]), str(r[1]))
    console.print(table)

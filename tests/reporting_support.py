"""Shared helpers for the reporting tests: the source table, reference queries written once in
plain SQL straight from CONTRACT.md, and comparison helpers."""
from __future__ import annotations

import math

SOURCE_DDL = """
CREATE TABLE IF NOT EXISTS {schema}.reporting_events (
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
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS reporting_events_account_name_created_idx
    ON {schema}.reporting_events (account_id, name, created_at);
CREATE INDEX IF NOT EXISTS reporting_events_created_idx ON {schema}.reporting_events (created_at);
"""

NAMES = ["conversation_resolved", "first_response", "reply_time", "conversation_bot_resolved",
         "conversation_bot_handoff", "conversation_opened"]   # the last one is not in the registry

METRICS = ["resolutions_count", "avg_resolution_time", "avg_first_response_time", "avg_reply_time",
           "bot_resolutions_count", "bot_handoffs_count"]


def create_source(conn, schema="public", ts="timestamp"):
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.execute(SOURCE_DDL.format(schema=schema, ts=ts))


def setup(db, schema="public", ts="timestamp"):
    with db.connect() as conn:
        create_source(conn, schema, ts)
    db.install(modules=["reporting"], source_schema=None if schema == "public" else schema)


def insert(conn, rows, schema="public"):
    """rows: dicts with name, account_id, created_at (UTC, text or datetime) and optional fields."""
    cols = ["name", "value", "value_in_business_hours", "account_id", "inbox_id", "user_id",
            "conversation_id", "created_at"]
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {schema}.reporting_events ({', '.join(cols)}, updated_at) "
            f"VALUES ({', '.join(['%s'] * len(cols))}, now())",
            [tuple(r.get(c) for c in cols) for r in rows])


# The rollup reference query: CONTRACT.md "Reference", written once, without pgrollup internals
# except the registry table it names.
REFERENCE_ROLLUPS = """
WITH acc AS (SELECT account_id, timezone FROM pgrollup_internal.reporting_accounts WHERE timezone IS NOT NULL),
ev AS (
    SELECT e.*, (pgrollup_internal.utc(e.created_at) AT TIME ZONE acc.timezone)::date AS d
      FROM {schema}.reporting_events e JOIN acc ON acc.account_id = e.account_id
), x AS (
    SELECT ev.account_id::bigint AS account_id, ev.d AS date, dim.t AS dimension_type, dim.id::bigint AS dimension_id,
           m.rollup_metric AS metric, m.payload_kind, ev.value, ev.value_in_business_hours, ev.conversation_id
      FROM ev JOIN pgrollup.event_metrics m ON m.event_name = ev.name
      CROSS JOIN LATERAL (VALUES ('account', ev.account_id), ('agent', ev.user_id), ('inbox', ev.inbox_id)) dim(t, id)
     WHERE dim.id IS NOT NULL
)
SELECT account_id, date, dimension_type, dimension_id, metric,
       CASE WHEN metric = 'bot_handoffs_count' THEN count(DISTINCT conversation_id) ELSE count(*) END AS count,
       sum(CASE WHEN payload_kind = 'duration' THEN coalesce(value, 0) ELSE 0 END) AS sum_value,
       sum(CASE WHEN payload_kind = 'duration' THEN coalesce(value_in_business_hours, 0) ELSE 0 END) AS sum_bh
  FROM x GROUP BY 1, 2, 3, 4, 5
HAVING CASE WHEN metric = 'bot_handoffs_count' THEN count(DISTINCT conversation_id) ELSE count(*) END > 0
"""


def close(a, b, rel=1e-9):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-6)
    return a == b


def rows_equal(got, want):
    if len(got) != len(want):
        return False
    return all(len(g) == len(w) and all(close(x, y) for x, y in zip(g, w)) for g, w in zip(got, want))


def rollup_mismatches(conn, schema="public"):
    """Rows that differ between pgrollup.reporting_events_rollups and the reference query."""
    got = {r[:5]: r[5:] for r in conn.execute(
        "SELECT account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours "
        "FROM pgrollup.reporting_events_rollups").fetchall()}
    want = {r[:5]: r[5:] for r in conn.execute(REFERENCE_ROLLUPS.format(schema=schema)).fetchall()}
    bad = []
    for k in set(got) | set(want):
        g, w = got.get(k), want.get(k)
        if g is None or w is None or not all(close(x, y) for x, y in zip(g, w)):
            bad.append((k, g, w))
    # the internal monthly totals must equal the sums of their months' daily rows
    got_m = {r[:5]: r[5:] for r in conn.execute(
        "SELECT account_id, month, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours "
        "FROM pgrollup_internal.reporting_monthly_rollups").fetchall()}
    want_m = {r[:5]: r[5:] for r in conn.execute(
        "SELECT account_id, date_trunc('month', date::timestamp)::date, dimension_type, dimension_id, metric, "
        "sum(count)::bigint, sum(sum_value), sum(sum_value_business_hours) FROM pgrollup_internal.reporting_daily_rollups "
        "GROUP BY 1, 2, 3, 4, 5").fetchall()}
    for k in set(got_m) | set(want_m):
        g, w = got_m.get(k), want_m.get(k)
        if g is None or w is None or not all(close(x, y) for x, y in zip(g, w)):
            bad.append((("monthly",) + k, g, w))
    # handoff repeats: presence rows with the conversation's previous presence day in the same dimension
    got_r = set(conn.execute(
        "SELECT account_id, dimension_type, dimension_id, conversation_id, date, prev_date "
        "FROM pgrollup_internal.reporting_handoff_repeats").fetchall())
    want_r = set(conn.execute(
        "SELECT * FROM (SELECT account_id, dimension_type, dimension_id, conversation_id, date, "
        "lag(date) OVER (PARTITION BY account_id, dimension_type, dimension_id, conversation_id ORDER BY date) AS p "
        "FROM pgrollup_internal.reporting_handoffs) x WHERE p IS NOT NULL").fetchall())
    bad += [("repeat", r, None) for r in got_r ^ want_r]
    return sorted(bad, key=str)


def summary(conn, account, since, until, dim="account", bh=False):
    return conn.execute("SELECT * FROM pgrollup.report_summary(%s, %s, %s, %s, %s)",
                        (account, since, until, dim, bh)).fetchall()


def timeseries(conn, account, metric, since, until, group="day", tz=None, dim="account", dim_id=None, bh=False):
    return conn.execute("SELECT * FROM pgrollup.report_timeseries(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (account, metric, since, until, group, tz, dim, dim_id, bh)).fetchall()


def strip_source(rows):
    return [r[:-1] for r in rows]


# Read-path references: CONTRACT.md "Read functions", computed straight from raw events.
REFERENCE_SUMMARY = """
WITH x AS (
    SELECT dim.id::bigint AS dim_id, m.rollup_metric AS metric, m.payload_kind, e.conversation_id,
           CASE WHEN %(bh)s THEN e.value_in_business_hours ELSE e.value END AS v
      FROM {schema}.reporting_events e JOIN pgrollup.event_metrics m ON m.event_name = e.name
      CROSS JOIN LATERAL (VALUES ('account', e.account_id), ('agent', e.user_id), ('inbox', e.inbox_id)) dim(t, id)
     WHERE e.account_id = %(a)s AND dim.t = %(dim)s AND dim.id IS NOT NULL
       AND pgrollup_internal.utc(e.created_at) >= %(since)s AND pgrollup_internal.utc(e.created_at) < %(until)s
       AND (m.rollup_metric <> 'bot_handoffs_count' OR e.conversation_id IS NOT NULL)
), ids AS (
    SELECT %(a)s::bigint AS id WHERE %(dim)s = 'account'
    UNION SELECT dim_id FROM x WHERE %(dim)s <> 'account'
)
SELECT ids.id,
       count(*) FILTER (WHERE metric = 'resolutions_count'),
       avg(coalesce(v, 0)) FILTER (WHERE metric = 'resolution_time'),
       avg(coalesce(v, 0)) FILTER (WHERE metric = 'first_response'),
       avg(coalesce(v, 0)) FILTER (WHERE metric = 'reply_time'),
       count(*) FILTER (WHERE metric = 'bot_resolutions_count'),
       count(DISTINCT conversation_id) FILTER (WHERE metric = 'bot_handoffs_count')
  FROM ids LEFT JOIN x ON x.dim_id = ids.id
 GROUP BY ids.id ORDER BY ids.id
"""

_BUCKET = """CASE %(unit)s
    WHEN 'hour' THEN date_trunc('hour', {t}, %(tz)s)
    WHEN 'week' THEN (date_trunc('week', ({t} AT TIME ZONE %(tz)s) + interval '1 day') - interval '1 day') AT TIME ZONE %(tz)s
    ELSE date_trunc(%(unit)s, {t} AT TIME ZONE %(tz)s) AT TIME ZONE %(tz)s END"""

REFERENCE_TIMESERIES = """
WITH b AS (
    SELECT DISTINCT """ + _BUCKET.format(t="x") + """ AS b
      FROM (SELECT generate_series(%(since)s::timestamptz, %(until)s::timestamptz, interval '15 minutes') AS x
            UNION ALL SELECT %(until)s::timestamptz - interval '1 microsecond') s
     WHERE x < %(until)s
), x AS (
    SELECT """ + _BUCKET.format(t="pgrollup_internal.utc(e.created_at)") + """ AS b,
           e.conversation_id, m.payload_kind,
           CASE WHEN %(bh)s THEN e.value_in_business_hours ELSE e.value END AS v
      FROM {schema}.reporting_events e JOIN pgrollup.event_metrics m ON m.event_name = e.name
      CROSS JOIN LATERAL (VALUES ('account', e.account_id), ('agent', e.user_id), ('inbox', e.inbox_id)) dim(t, id)
     WHERE e.account_id = %(a)s AND dim.t = %(dim)s AND dim.id IS NOT NULL
       AND (%(dim_id)s::bigint IS NULL OR dim.id = %(dim_id)s)
       AND m.rollup_metric = %(rmetric)s
       AND pgrollup_internal.utc(e.created_at) >= %(since)s AND pgrollup_internal.utc(e.created_at) < %(until)s
       AND (m.rollup_metric <> 'bot_handoffs_count' OR e.conversation_id IS NOT NULL)
)
SELECT b.b,
       CASE WHEN %(avg)s THEN coalesce(avg(coalesce(x.v, 0)) FILTER (WHERE x.b IS NOT NULL), 0)
            WHEN %(rmetric)s = 'bot_handoffs_count' THEN count(DISTINCT x.conversation_id)
            ELSE count(x.b) END::double precision,
       CASE WHEN %(rmetric)s = 'bot_handoffs_count' THEN count(DISTINCT x.conversation_id) ELSE count(x.b) END
  FROM b LEFT JOIN x ON x.b = b.b
 GROUP BY b.b ORDER BY b.b
"""

ROLLUP_METRIC = {"resolutions_count": "resolutions_count", "avg_resolution_time": "resolution_time",
                 "avg_first_response_time": "first_response", "avg_reply_time": "reply_time",
                 "bot_resolutions_count": "bot_resolutions_count", "bot_handoffs_count": "bot_handoffs_count"}


def reference_summary(conn, account, since, until, dim="account", bh=False, schema="public"):
    return conn.execute(REFERENCE_SUMMARY.format(schema=schema),
                        dict(a=account, since=since, until=until, dim=dim, bh=bh)).fetchall()


def reference_timeseries(conn, account, metric, since, until, unit="day", tz="UTC", dim="account",
                         dim_id=None, bh=False, schema="public"):
    return conn.execute(REFERENCE_TIMESERIES.format(schema=schema),
                        dict(a=account, since=since, until=until, unit=unit, tz=tz, dim=dim, dim_id=dim_id, bh=bh,
                             rmetric=ROLLUP_METRIC[metric], avg=metric.startswith("avg_"))).fetchall()

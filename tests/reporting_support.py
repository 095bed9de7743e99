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
    SELECT e.*, (((e.created_at::text)::timestamp AT TIME ZONE 'UTC') AT TIME ZONE acc.timezone)::date AS d
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
    return sorted(bad, key=str)


def summary(conn, account, since, until, dim="account", bh=False):
    return conn.execute("SELECT * FROM pgrollup.report_summary(%s, %s, %s, %s, %s)",
                        (account, since, until, dim, bh)).fetchall()


def timeseries(conn, account, metric, since, until, group="day", tz=None, dim="account", dim_id=None, bh=False):
    return conn.execute("SELECT * FROM pgrollup.report_timeseries(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        (account, metric, since, until, group, tz, dim, dim_id, bh)).fetchall()


def strip_source(rows):
    return [r[:-1] for r in rows]

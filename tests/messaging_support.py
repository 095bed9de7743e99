"""Shared helpers for the messaging tests: source-table DDL in its supported variants, the plain-SQL
reference queries of the contract, and comparisons of every view and read function against them."""
from __future__ import annotations

import datetime as dt

from psycopg import sql

COUNTS = ["sends", "delivered", "opens", "clicks", "bounces", "unsubscribes", "unique_opens", "unique_clicks"]


def source_ddl(schema: str = "public", ts: str = "timestamptz", ids: str = "bigint",
               partitioned: bool = False) -> str:
    """DDL of the three messaging source tables. ts: timestamptz or timestamp (holding UTC);
    ids: bigint or integer; partitioned: declaratively partitioned by tenant (hash)."""
    s = sql.Identifier(schema).as_string(None)
    serial = "bigserial" if ids == "bigint" else "serial"
    if not partitioned:
        return f"""
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE {s}.outbound_messages (
    id {serial} PRIMARY KEY, tenant_id {ids} NOT NULL, campaign_id {ids}, contact_id {ids} NOT NULL,
    channel text NOT NULL, created_at {ts} NOT NULL DEFAULT now(), sent_at {ts}, subject text);
CREATE TABLE {s}.message_events (
    id {serial} PRIMARY KEY, tenant_id {ids} NOT NULL, message_id {ids} NOT NULL, event_type text NOT NULL,
    occurred_at {ts} NOT NULL, created_at {ts} NOT NULL DEFAULT now(), payload jsonb);
CREATE INDEX ON {s}.message_events (message_id);
CREATE TABLE {s}.campaign_transitions (
    id {serial} PRIMARY KEY, tenant_id {ids} NOT NULL, campaign_id {ids} NOT NULL, to_status text NOT NULL,
    transitioned_at {ts} NOT NULL);
"""
    # partitioned: the primary key must include the partition key
    out = [f"CREATE SCHEMA IF NOT EXISTS {s};"]
    for table, cols in (
        ("outbound_messages", f"id {serial}, tenant_id {ids} NOT NULL, campaign_id {ids}, contact_id {ids} NOT NULL, "
                              f"channel text NOT NULL, created_at {ts} NOT NULL DEFAULT now(), sent_at {ts}"),
        ("message_events", f"id {serial}, tenant_id {ids} NOT NULL, message_id {ids} NOT NULL, event_type text NOT NULL, "
                           f"occurred_at {ts} NOT NULL, created_at {ts} NOT NULL DEFAULT now()"),
        ("campaign_transitions", f"id {serial}, tenant_id {ids} NOT NULL, campaign_id {ids} NOT NULL, "
                                 f"to_status text NOT NULL, transitioned_at {ts} NOT NULL"),
    ):
        out.append(f"CREATE TABLE {s}.{table} ({cols}, PRIMARY KEY (id, tenant_id)) PARTITION BY HASH (tenant_id);")
        for i in range(2):
            out.append(f"CREATE TABLE {s}.{table}_p{i} PARTITION OF {s}.{table} "
                       f"FOR VALUES WITH (MODULUS 2, REMAINDER {i});")
    out.append(f"CREATE INDEX ON {s}.message_events (message_id);")
    return "\n".join(out)


def create_sources(db, **kw) -> None:
    with db.connect() as conn:
        conn.execute(source_ddl(**kw))


# ---------------------------------------------------------------------------------------------
# Reference queries: the contract, in plain SQL over the source tables (run with TimeZone UTC so a
# timestamp column reads as UTC via ::timestamptz). Independent of pgrollup's internals except the
# public registry table and the tenant zones (read through set_tenant_timezone's table).

def _ref_points(s: str) -> str:
    return f"""
WITH tz AS (SELECT tenant_id, timezone FROM pgrollup_internal.msg_tenants),
m AS (
    SELECT o.id::bigint AS message_id, o.tenant_id::bigint AS tenant_id, o.campaign_id::bigint AS campaign_id,
           o.contact_id::bigint AS contact_id, o.channel::text AS channel, o.sent_at::timestamptz AS sent_at,
           COALESCE(tz.timezone, 'UTC') AS zone
      FROM {s}.outbound_messages o LEFT JOIN tz ON tz.tenant_id = o.tenant_id),
ev AS (
    SELECT e.message_id::bigint AS message_id, r.metric, e.occurred_at::timestamptz AS at
      FROM {s}.message_events e JOIN pgrollup.message_event_metrics r ON r.event_type = e.event_type),
pts AS (
    SELECT m.*, 'sends' AS metric, m.sent_at AS at FROM m WHERE m.sent_at IS NOT NULL
    UNION ALL SELECT m.*, ev.metric, ev.at FROM m JOIN ev USING (message_id)
    UNION ALL SELECT m.*, 'unique_opens', min(ev.at) FROM m JOIN ev USING (message_id)
               WHERE ev.metric = 'opens' GROUP BY m.message_id, m.tenant_id, m.campaign_id, m.contact_id, m.channel, m.sent_at, m.zone
    UNION ALL SELECT m.*, 'unique_clicks', min(ev.at) FROM m JOIN ev USING (message_id)
               WHERE ev.metric = 'clicks' GROUP BY m.message_id, m.tenant_id, m.campaign_id, m.contact_id, m.channel, m.sent_at, m.zone
)"""


_COUNT_SQL = ", ".join(f"count(*) FILTER (WHERE metric = '{c}')::bigint AS {c}" for c in COUNTS)


def ref_contact_hourly(s: str) -> str:
    return _ref_points(s) + f"""
SELECT tenant_id, contact_id, channel, date_trunc('hour', at, zone) AS hour, {_COUNT_SQL}
  FROM pts GROUP BY 1, 2, 3, 4"""


def ref_campaign_daily(s: str) -> str:
    return _ref_points(s) + f""",
g AS (SELECT tenant_id, campaign_id, (at AT TIME ZONE zone)::date AS date, zone, {_COUNT_SQL}
        FROM pts WHERE campaign_id IS NOT NULL GROUP BY 1, 2, 3, 4)
SELECT g.tenant_id, g.campaign_id, g.date, {', '.join('g.' + c for c in COUNTS)},
       (SELECT t.to_status::text FROM {s}.campaign_transitions t
         WHERE t.tenant_id = g.tenant_id AND t.campaign_id = g.campaign_id
           AND t.transitioned_at::timestamptz < ((g.date + 1)::timestamp AT TIME ZONE g.zone)
         ORDER BY t.transitioned_at DESC, t.id DESC LIMIT 1) AS status
  FROM g"""


def ref_tenant_daily(s: str) -> str:
    return _ref_points(s) + f"""
SELECT tenant_id, (at AT TIME ZONE zone)::date AS date, {_COUNT_SQL}
  FROM pts GROUP BY 1, 2"""


def ref_message(s: str) -> str:
    return f"""
SELECT o.id::bigint, o.tenant_id::bigint, o.campaign_id::bigint, o.contact_id::bigint, o.channel::text,
       o.sent_at::timestamptz,
       count(r.metric) FILTER (WHERE r.metric = 'delivered'),
       count(r.metric) FILTER (WHERE r.metric = 'opens'),
       count(r.metric) FILTER (WHERE r.metric = 'clicks'),
       count(r.metric) FILTER (WHERE r.metric = 'bounces'),
       count(r.metric) FILTER (WHERE r.metric = 'unsubscribes'),
       min(e.occurred_at::timestamptz) FILTER (WHERE r.metric = 'opens'),
       min(e.occurred_at::timestamptz) FILTER (WHERE r.metric = 'clicks')
  FROM {s}.outbound_messages o
  LEFT JOIN ({s}.message_events e JOIN pgrollup.message_event_metrics r ON r.event_type = e.event_type)
       ON e.message_id = o.id
 GROUP BY o.id, o.tenant_id, o.campaign_id, o.contact_id, o.channel, o.sent_at"""


VIEW_COLS = {
    "metrics_contact_hourly": "tenant_id, contact_id, channel, hour, " + ", ".join(COUNTS),
    "metrics_campaign_daily": "tenant_id, campaign_id, date, " + ", ".join(COUNTS) + ", status",
    "metrics_tenant_daily": "tenant_id, date, " + ", ".join(COUNTS),
    "metrics_message": "message_id, tenant_id, campaign_id, contact_id, channel, sent_at, delivered, opens, clicks, "
                       "bounces, unsubscribes, first_opened_at, first_clicked_at",
}
REFS = {
    "metrics_contact_hourly": ref_contact_hourly,
    "metrics_campaign_daily": ref_campaign_daily,
    "metrics_tenant_daily": ref_tenant_daily,
    "metrics_message": ref_message,
}


def _sorted(rows):
    return sorted(rows, key=lambda r: tuple((v is None, str(v)) for v in r))


def diff_views(conn, schema: str = "public") -> list[str]:
    """Differences between every public view and its reference query (empty when exact)."""
    s = sql.Identifier(schema).as_string(conn)
    problems = []
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute("SET LOCAL TimeZone = 'UTC'")
        for view, ref in REFS.items():
            got = _sorted(conn.execute(f"SELECT {VIEW_COLS[view]} FROM pgrollup.{view}").fetchall())
            want = _sorted(conn.execute(ref(s)).fetchall())
            if got != want:
                gs, ws = set(got), set(want)
                extra = sorted(gs - ws, key=str)[:5]
                missing = sorted(ws - gs, key=str)[:5]
                problems.append(f"{view}: {len(got)} rows vs reference {len(want)}; "
                                f"unexpected {extra}; missing {missing}")
    return problems


def diff_read_functions(conn, schema: str = "public") -> list[str]:
    """Compare the read functions with the views over every tenant / contact (and whole range)."""
    problems = []
    lo, hi = dt.date(1990, 1, 1), dt.date(2100, 1, 1)
    tenants = [r[0] for r in conn.execute("SELECT DISTINCT tenant_id FROM pgrollup.metrics_tenant_daily").fetchall()]
    for t in tenants:
        got = conn.execute("SELECT * FROM pgrollup.tenant_daily(%s, %s, %s)", (t, lo, hi)).fetchall()
        want = conn.execute(f"SELECT {VIEW_COLS['metrics_tenant_daily']} FROM pgrollup.metrics_tenant_daily "
                            "WHERE tenant_id = %s ORDER BY date", (t,)).fetchall()
        if got != want:
            problems.append(f"tenant_daily({t}) differs")
        got = conn.execute("SELECT * FROM pgrollup.campaign_daily(%s, %s, %s)", (t, lo, hi)).fetchall()
        want = conn.execute(f"SELECT {VIEW_COLS['metrics_campaign_daily']} FROM pgrollup.metrics_campaign_daily "
                            "WHERE tenant_id = %s ORDER BY date, campaign_id", (t,)).fetchall()
        if got != want:
            problems.append(f"campaign_daily({t}) differs")
    for t, c in conn.execute("SELECT DISTINCT tenant_id, contact_id FROM pgrollup.metrics_contact_hourly").fetchall():
        got = conn.execute("SELECT * FROM pgrollup.contact_hourly(%s, %s, '-infinity', 'infinity')", (t, c)).fetchall()
        want = conn.execute(f"SELECT {VIEW_COLS['metrics_contact_hourly']} FROM pgrollup.metrics_contact_hourly "
                            "WHERE tenant_id = %s AND contact_id = %s ORDER BY hour, channel", (t, c)).fetchall()
        if got != want:
            problems.append(f"contact_hourly({t}, {c}) differs")
    return problems


def assert_exact(conn, schema: str = "public") -> None:
    problems = diff_views(conn, schema) + diff_read_functions(conn, schema)
    assert not problems, "\n".join(problems)

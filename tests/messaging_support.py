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


# ---------------------------------------------------------------------------------------------
# Randomized workloads: an operation is (kind, a, b, c) with small integers, interpreted against
# whatever rows exist, so hypothesis can generate and shrink them.

ANCHORS = [dt.datetime(2024, 3, 9), dt.datetime(2024, 4, 5, 12), dt.datetime(2024, 9, 28),
           dt.datetime(2024, 11, 2), dt.datetime(2024, 12, 31)]   # DST changes of the zones below, year end
ZONES = ["UTC", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns", "Europe/Berlin"]
EVENT_TYPES = ["delivered", "open", "opened", "click", "clicked", "bounce", "unsubscribe", "spam", "open"]
STATUSES = ["draft", "scheduled", "running", "paused", "done"]
WRITE_OPS = ["msg", "msg", "send", "fix", "delmsg", "ev", "ev", "ev", "evfix", "delev", "tr", "deltr", "trfix", "bulk"]
ADMIN_OPS = ["tz", "refresh", "backfill"]
# mostly inserted events of existing messages (the refresh's inserted-events path), mixed with the rest
INSERT_OPS = ["ev", "ev", "ev", "evbatch", "evbatch", "evbatch", "refresh"]


def ts(x: int) -> str:
    """A UTC timestamp near one of the anchors (3-day window), as text without offset."""
    t = ANCHORS[x % len(ANCHORS)] + dt.timedelta(minutes=(x // len(ANCHORS)) * 7 % (3 * 24 * 60))
    return t.strftime("%Y-%m-%d %H:%M:%S")


class Workload:
    """Applies operations to the source tables of one schema through one connection (autocommit)."""

    def __init__(self, conn, schema: str = "public", tenants=(1, 2, 3)):
        self.conn = conn
        self.s = sql.Identifier(schema).as_string(conn)
        self.tenants = list(tenants)
        conn.execute("SET TimeZone = 'UTC'")

    def _pick(self, table: str, a: int, where: str = "true"):
        n = self.conn.execute(f"SELECT count(*) FROM {self.s}.{table} WHERE {where}").fetchone()[0]
        if n == 0:
            return None
        return self.conn.execute(f"SELECT id FROM {self.s}.{table} WHERE {where} ORDER BY id OFFSET %s LIMIT 1",
                                 (a % n,)).fetchone()[0]

    def _tenant_where(self):
        return "tenant_id IN (" + ",".join(str(t) for t in self.tenants) + ")"

    def apply(self, op) -> None:
        kind, a, b, c = op
        s, ex = self.s, self.conn.execute
        tw = self._tenant_where()
        if kind == "msg":
            ex(f"INSERT INTO {s}.outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at) "
               "VALUES (%s, %s, %s, %s, %s)",
               (self.tenants[a % len(self.tenants)], None if b % 4 == 0 else 1 + b % 3, 1 + c % 4,
                ["email", "sms"][(a // 3) % 2], None if c % 3 == 0 else ts(b)))
        elif kind == "send":
            m = self._pick("outbound_messages", a, tw)
            if m is not None:
                ex(f"UPDATE {s}.outbound_messages SET sent_at = %s WHERE id = %s", (None if b % 5 == 0 else ts(b), m))
        elif kind == "fix":
            m = self._pick("outbound_messages", a, tw)
            if m is not None:
                col, val = [("tenant_id", self.tenants[c % len(self.tenants)]), ("campaign_id", None if c % 4 == 0 else 1 + c % 3),
                            ("contact_id", 1 + c % 4), ("channel", ["email", "sms", "push"][c % 3])][b % 4]
                ex(f"UPDATE {s}.outbound_messages SET {col} = %s WHERE id = %s", (val, m))
        elif kind == "delmsg":
            m = self._pick("outbound_messages", a, tw)
            if m is not None:
                ex(f"DELETE FROM {s}.outbound_messages WHERE id = %s", (m,))
        elif kind == "ev":
            if b % 7 == 0:   # an event before its message row exists
                mx = ex(f"SELECT coalesce(max(id), 0) FROM {s}.outbound_messages").fetchone()[0]
                m = mx + 1 + b % 3
            else:
                m = self._pick("outbound_messages", a, tw)
            if m is not None:
                ex(f"INSERT INTO {s}.message_events (tenant_id, message_id, event_type, occurred_at) VALUES (%s, %s, %s, %s)",
                   (self.tenants[0], m, EVENT_TYPES[b % len(EVENT_TYPES)], ts(c)))
        elif kind == "evfix":
            e = self._pick("message_events", a, tw)
            if e is not None:
                if b % 3 == 0:
                    ex(f"UPDATE {s}.message_events SET occurred_at = %s WHERE id = %s", (ts(c), e))
                elif b % 3 == 1:
                    ex(f"UPDATE {s}.message_events SET event_type = %s WHERE id = %s", (EVENT_TYPES[c % len(EVENT_TYPES)], e))
                else:
                    m = self._pick("outbound_messages", c, tw)
                    if m is not None:
                        ex(f"UPDATE {s}.message_events SET message_id = %s WHERE id = %s", (m, e))
        elif kind == "delev":
            e = self._pick("message_events", a, tw)
            if e is not None:
                ex(f"DELETE FROM {s}.message_events WHERE id = %s", (e,))
        elif kind == "tr":
            ex(f"INSERT INTO {s}.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) VALUES (%s, %s, %s, %s)",
               (self.tenants[a % len(self.tenants)], 1 + b % 3, STATUSES[c % len(STATUSES)], ts(b + c)))
        elif kind == "deltr":
            t = self._pick("campaign_transitions", a, tw)
            if t is not None:
                ex(f"DELETE FROM {s}.campaign_transitions WHERE id = %s", (t,))
        elif kind == "trfix":
            t = self._pick("campaign_transitions", a, tw)
            if t is not None:
                ex(f"UPDATE {s}.campaign_transitions SET transitioned_at = %s WHERE id = %s", (ts(b), t))
        elif kind == "bulk":
            # one statement inserting many messages, then one inserting many events for them
            tenant = self.tenants[a % len(self.tenants)]
            ids = [r[0] for r in ex(
                f"INSERT INTO {s}.outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at) "
                "SELECT %s, 1 + g %% 3, 1 + g %% 4, 'email', %s::timestamp + g * interval '13 minutes' "
                "FROM generate_series(1, 12) g RETURNING id", (tenant, ts(b))).fetchall()]
            ex(f"INSERT INTO {s}.message_events (tenant_id, message_id, event_type, occurred_at) "
               "SELECT %s, m, (ARRAY['delivered','open','click','opened','bounce'])[1 + (m + g) %% 5], "
               "%s::timestamp + (m %% 50 + g) * interval '17 minutes' "
               "FROM unnest(%s::bigint[]) m, generate_series(1, 3) g", (tenant, ts(c), ids))
        elif kind == "evbatch":
            # one statement inserting events for several existing messages (and possibly one not
            # yet existing): duplicates, opens and clicks before and after the stored first ones
            ids = [r[0] for r in ex(f"SELECT id FROM {s}.outbound_messages WHERE {tw} ORDER BY id").fetchall()]
            if ids:
                picks = [ids[(a + k * (1 + b % 5)) % len(ids)] for k in range(1 + c % 4)]
                if b % 11 == 0:
                    picks.append(max(ids) + 1 + c % 2)
                ex(f"INSERT INTO {s}.message_events (tenant_id, message_id, event_type, occurred_at) "
                   "SELECT %s, m, (%s::text[])[1 + (g + %s) %% %s], %s::timestamp + (g * %s %% 9 - 4) * interval '50 minutes' "
                   "FROM unnest(%s::bigint[]) WITH ORDINALITY AS p(m, g)",
                   (self.tenants[0], EVENT_TYPES, c, len(EVENT_TYPES), ts(b), 1 + a % 7, picks))
        elif kind == "tz":
            ex("SELECT pgrollup.set_tenant_timezone(%s, %s)", (self.tenants[a % len(self.tenants)], ZONES[b % len(ZONES)]))
        elif kind == "refresh":
            ex("SELECT * FROM pgrollup.refresh('messaging')")
        elif kind == "backfill":
            tenant = None if a % 2 else self.tenants[a % len(self.tenants)]
            d0 = ANCHORS[b % len(ANCHORS)].date()
            lo = None if c % 3 == 0 else d0 + dt.timedelta(days=c % 3 - 1)
            hi = None if c % 5 == 0 else d0 + dt.timedelta(days=1 + c % 2)
            ex("SELECT pgrollup.backfill_messaging(%s, %s, %s)", (tenant, lo, hi))
        elif kind == "mode":
            ex("SELECT pgrollup.set_messaging_mode(%s)", (["incremental", "materialized_view"][a % 2],))
        else:
            raise ValueError(kind)

    def reset(self) -> None:
        """Empty the source tables and the tenant zones (the TRUNCATE capture asks for a rebuild)."""
        self.conn.execute(f"TRUNCATE {self.s}.outbound_messages, {self.s}.message_events, {self.s}.campaign_transitions")
        for t in self.tenants:
            self.conn.execute("SELECT pgrollup.set_tenant_timezone(%s, NULL)", (t,))


def random_ops(rng, n: int, kinds=WRITE_OPS):
    return [(rng.choice(kinds), rng.randrange(1000), rng.randrange(1000), rng.randrange(1000)) for _ in range(n)]

"""Benchmark data: source tables and a year of skewed, reproducible sample data for both modules,
generated in SQL (generate_series + random() after setseed). Python only sends the statements."""
from __future__ import annotations

import re
from dataclasses import dataclass

from pgrollup.errors import UserError

def parse_scale(scale: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", scale or "")
    if not m:
        raise UserError(f"invalid --scale {scale!r}: use a row count such as 10k, 1m, 5m or 10m")
    n = float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    if n < 5_000:
        raise UserError(f"--scale {scale} is too small: at least 5k rows")
    return int(n)


# timed runs per arm of each bulk write case (COPY, INSERT ... SELECT), whatever --repeat asks for
# the pgbench cases: a statement takes about a second, so more samples are cheap next to the pgbench
# runs, and a median of three moved by up to 0.45 in ratio between runs of the same code at 10m
BULK_RUNS = 6


def bulk_runs(reps: int) -> int:
    """Timed runs per arm of a bulk write case for a `--repeat` of reps: at least BULK_RUNS, and an
    even number, so that each arm runs first in its pair as often as second (at 10m, five runs gave
    whichever arm ran second three times a median 20 % slower)."""
    timed = max(reps, BULK_RUNS)
    return timed + timed % 2


REPORTING_ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC", "America/Los_Angeles",
                   "Australia/Sydney", "Asia/Tokyo", "America/Sao_Paulo", "Pacific/Chatham", "America/St_Johns"]
MESSAGING_ZONES = ["Asia/Kolkata", "America/New_York", "Europe/London", "UTC", "America/Chicago",
                   "Asia/Singapore", "Europe/Paris", "Australia/Adelaide"]

REPORTING_DDL = """
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
"""
MESSAGING_DDL = """
CREATE TABLE IF NOT EXISTS public.outbound_messages (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL,
    campaign_id bigint,
    contact_id bigint NOT NULL,
    channel text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE TABLE IF NOT EXISTS public.message_events (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL,
    message_id bigint NOT NULL,
    event_type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS public.campaign_transitions (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL,
    campaign_id bigint NOT NULL,
    to_status text NOT NULL,
    transitioned_at timestamptz NOT NULL
);
"""
SOURCE_DDL = REPORTING_DDL + MESSAGING_DDL

# the applications' own indexes (the support app's nine on reporting_events, the messaging app's on
# message_events), pgrollup's recommended ones among them; created after the bulk load. Write costs
# are measured on these: a bare table would overstate pgrollup's share of a write.
REPORTING_INDEXES = [
    """CREATE INDEX IF NOT EXISTS index_reporting_events_on_account_id ON public.reporting_events (account_id)""",
    """CREATE INDEX IF NOT EXISTS reporting_events_account_id_name_created_at_idx
    ON public.reporting_events (account_id, name, created_at)""",
    """CREATE INDEX IF NOT EXISTS reporting_events__account_id__name__inbox_id__created_at
    ON public.reporting_events (account_id, name, inbox_id, created_at)""",
    """CREATE INDEX IF NOT EXISTS index_reporting_events_on_conversation_id ON public.reporting_events (conversation_id)""",
    """CREATE INDEX IF NOT EXISTS index_reporting_events_on_created_at ON public.reporting_events (created_at)""",
    """CREATE INDEX IF NOT EXISTS index_reporting_events_on_inbox_id ON public.reporting_events (inbox_id)""",
    """CREATE INDEX IF NOT EXISTS index_reporting_events_on_name ON public.reporting_events (name)""",
    """CREATE INDEX IF NOT EXISTS index_reporting_events_on_user_id ON public.reporting_events (user_id)""",
]
MESSAGING_INDEXES = [
    """CREATE INDEX IF NOT EXISTS message_events_message_id_idx ON public.message_events (message_id)""",
    """CREATE INDEX IF NOT EXISTS message_events_tenant_id_occurred_at_idx ON public.message_events (tenant_id, occurred_at)""",
]
SOURCE_INDEXES = ";\n".join(REPORTING_INDEXES + MESSAGING_INDEXES)


# reporting event names: 30 % resolved, 20 % first response, 30 % reply time, 5 % bot resolved,
# 5 % bot handoff, 10 % an event name the registry does not know
REPORTING_NAME_SQL = """CASE WHEN u < 0.30 THEN 'conversation_resolved' WHEN u < 0.50 THEN 'first_response'
            WHEN u < 0.80 THEN 'reply_time' WHEN u < 0.85 THEN 'conversation_bot_resolved'
            WHEN u < 0.90 THEN 'conversation_bot_handoff' ELSE 'conversation_opened' END"""

# message event types: mapped ones and 16 % that count toward nothing
EVENT_TYPE_SQL = """CASE WHEN u < 0.35 THEN 'delivered' WHEN u < 0.60 THEN 'open' WHEN u < 0.65 THEN 'opened'
            WHEN u < 0.75 THEN 'click' WHEN u < 0.78 THEN 'bounce' WHEN u < 0.79 THEN 'unsubscribe'
            WHEN u < 0.84 THEN 'clicked' ELSE 'processed' END"""


@dataclass
class Shape:
    """How many rows of what: `rows` source rows per module."""
    rows: int

    @property
    def accounts(self) -> int:
        return max(5, min(200, self.rows // 50_000))

    @property
    def tenants(self) -> int:
        return max(5, min(500, self.rows // 20_000))

    @property
    def messages(self) -> int:
        return max(100, self.rows // 4)

    @property
    def transitions_per_campaign(self) -> int:
        return 4

    @property
    def big_account_agents(self) -> int:
        return 300


def reporting_rows_sql(n: int, accounts: int, agents: int, ts_sql: str = "(now() AT TIME ZONE 'UTC') - random() * interval '365 days'",
                       account_sql: str | None = None) -> str:
    """SELECT of n reporting_events rows (without id). Account 1 gets half the rows, the others follow
    a Zipf-like (log-uniform) law; account 1 has `agents` agents and 40 inboxes, the others 20 and 5;
    created_at over the last year (UTC), ordered by created_at like an append-only table."""
    acct = account_sql or f"CASE WHEN random() < 0.5 THEN 1 ELSE 1 + floor(exp(random() * ln({max(accounts - 1, 1)})))::int END"
    return f"""
SELECT {REPORTING_NAME_SQL} AS name,
       CASE WHEN u >= 0.80 THEN NULL ELSE v END AS value,
       CASE WHEN u >= 0.80 THEN NULL ELSE round(v * bh) END AS value_in_business_hours,
       acct AS account_id,
       CASE WHEN r1 < 0.03 THEN NULL
            ELSE acct * 100 + 1 + floor(r2 * (CASE WHEN acct = 1 THEN 40 ELSE 5 END))::int END AS inbox_id,
       CASE WHEN r3 < 0.08 THEN NULL
            ELSE acct * 1000 + floor(exp(r4 * ln(CASE WHEN acct = 1 THEN {agents} ELSE 20 END)))::int END AS user_id,
       floor(r5 * {max(n // 4, 1000)})::int AS conversation_id,
       ts - make_interval(secs => coalesce(v, 60)) AS event_start_time,
       ts AS event_end_time,
       ts AS created_at,
       ts AS updated_at
  FROM (SELECT u, random() AS bh, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
               random() AS r5, acct, ts,
               floor(random() * CASE WHEN u < 0.3 THEN 86400 WHEN u < 0.5 THEN 3600 ELSE 1800 END) AS v
          FROM (SELECT {acct} AS acct, {ts_sql} AS ts, random() AS u
                  FROM generate_series(1, {n}) AS g OFFSET 0) AS s0
        OFFSET 0) AS s"""


def load_reporting(conn, shape: Shape, seed: float = 0.42) -> None:
    conn.execute(f"SELECT setseed({seed})")
    conn.execute(f"""
INSERT INTO public.reporting_events (name, value, value_in_business_hours, account_id, inbox_id, user_id,
                                     conversation_id, event_start_time, event_end_time, created_at, updated_at)
SELECT * FROM ({reporting_rows_sql(shape.rows, shape.accounts, shape.big_account_agents)}) AS r
 ORDER BY r.created_at""")


def load_messaging(conn, shape: Shape, seed: float = 0.17) -> None:
    """outbound_messages (rows/4; tenants Zipf-like, tenant 1 the largest; 10 % without campaign;
    3 % never sent), campaign_transitions (4 per campaign over the year), message_events (the rest
    of the rows: about 3 per message, occurring within 3 days of the send, 16 % unmapped types)."""
    t, m = shape.tenants, shape.messages
    conn.execute(f"SELECT setseed({seed})")
    conn.execute(f"""
INSERT INTO public.outbound_messages (tenant_id, campaign_id, contact_id, channel, created_at, sent_at)
SELECT tenant,
       CASE WHEN r1 < 0.1 THEN NULL ELSE tenant * 1000 + floor(exp(r2 * ln(50)))::bigint END,
       tenant * 10000000 + floor(r3 * {max(m // 20, 100)})::bigint,
       CASE WHEN r4 < 0.7 THEN 'email' WHEN r4 < 0.9 THEN 'sms' ELSE 'push' END,
       created,
       CASE WHEN r5 < 0.97 THEN created + r6 * interval '10 minutes' END
  FROM (SELECT floor(exp(random() * ln({t}::float8 + 1)))::bigint AS tenant, random() AS r1, random() AS r2,
               random() AS r3, random() AS r4, random() AS r5, random() AS r6,
               now() - random() * interval '365 days' AS created
          FROM generate_series(1, {m}) OFFSET 0) AS s
 ORDER BY created""")
    conn.execute(f"""
INSERT INTO public.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at)
SELECT c.tenant_id, c.campaign_id, st.s, c.first_at + st.k * (c.last_at - c.first_at) / 3
  FROM (SELECT tenant_id, campaign_id, min(created_at) AS first_at, max(created_at) AS last_at
          FROM public.outbound_messages WHERE campaign_id IS NOT NULL GROUP BY 1, 2) AS c
 CROSS JOIN (VALUES (0, 'scheduled'), (1, 'running'), (2, 'paused'), (3, 'completed')) AS st(k, s)
 ORDER BY 4""")
    n_tr = conn.execute("SELECT count(*) FROM public.campaign_transitions").fetchone()[0]
    n_ev = max(shape.rows - m - n_tr, 100)
    conn.execute(f"""
INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at, created_at)
SELECT o.tenant_id, o.id, s.et, x.at, x.at + s.r2 * interval '1 minute'
  FROM (SELECT 1 + floor(random() * {m})::bigint AS mid, {EVENT_TYPE_SQL} AS et, random() AS r, random() AS r2
          FROM (SELECT random() AS u FROM generate_series(1, {n_ev}) OFFSET 0) AS u0 OFFSET 0) AS s
  JOIN public.outbound_messages AS o ON o.id = s.mid
 CROSS JOIN LATERAL (SELECT least(coalesce(o.sent_at, o.created_at) + s.r ^ 3 * interval '3 days', now()) AS at) AS x
 ORDER BY x.at""")


def new_messages_sql(tenant: int, count: int) -> str:
    """A fresh send of `count` messages for one tenant today (the messages the write benchmarks'
    webhook events refer to); returns nothing, ids are contiguous."""
    return f"""
INSERT INTO public.outbound_messages (tenant_id, campaign_id, contact_id, channel, created_at, sent_at)
SELECT {tenant}, {tenant} * 1000 + 1, {tenant} * 10000000 + g, 'email', now() - interval '1 hour', now() - interval '50 minutes'
  FROM generate_series(1, {count}) AS g"""


def change_events_sql(shape_name: str, n: int) -> str:
    """INSERT of n new message_events: 'one_day' = webhook events of yesterday (UTC) for the 2,500
    most recently sent messages; 'scattered' = late events for random messages over the whole year."""
    if shape_name == "one_day":
        return f"""
WITH recent AS (SELECT pg_catalog.array_agg(id) AS ids
                  FROM (SELECT id FROM public.outbound_messages WHERE sent_at IS NOT NULL
                         ORDER BY sent_at DESC LIMIT 2500) AS r)
INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at, created_at)
SELECT o.tenant_id, o.id, s.et, s.at, now()
  FROM (SELECT recent.ids[1 + floor(random() * cardinality(recent.ids))::int] AS mid, {EVENT_TYPE_SQL} AS et,
               date_trunc('day', now()) - interval '1 day' + random() * interval '1 day' AS at
          FROM recent, (SELECT random() AS u FROM generate_series(1, {n}) OFFSET 0) AS u0 OFFSET 0) AS s
  JOIN public.outbound_messages AS o ON o.id = s.mid"""
    if shape_name == "scattered":
        return f"""
WITH mx AS (SELECT max(id) AS m FROM public.outbound_messages)
INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at, created_at)
SELECT o.tenant_id, o.id, s.et, least(coalesce(o.sent_at, o.created_at) + s.r * interval '2 days', now()), now()
  FROM (SELECT 1 + floor(random() * mx.m)::bigint AS mid, {EVENT_TYPE_SQL} AS et, random() AS r
          FROM mx, (SELECT random() AS u FROM generate_series(1, {n}) OFFSET 0) AS u0 OFFSET 0) AS s
  JOIN public.outbound_messages AS o ON o.id = s.mid"""
    raise ValueError(shape_name)


def reporting_copy_sql(n: int, account: int, agents: int) -> str:
    """COPY ... TO STDOUT of n new reporting events of one account, created now (today's rows)."""
    body = reporting_rows_sql(n, 1, agents, ts_sql="(now() AT TIME ZONE 'UTC') - random() * interval '1 minute'",
                              account_sql=str(account))
    return f"COPY ({body}) TO STDOUT"


def reporting_insert_sql(n: int, account: int, agents: int) -> str:
    """One INSERT ... SELECT of n new reporting events of one account, created now."""
    body = reporting_rows_sql(n, 1, agents, ts_sql="(now() AT TIME ZONE 'UTC') - random() * interval '1 minute'",
                              account_sql=str(account))
    return f"INSERT INTO public.reporting_events ({REPORTING_COPY_COLUMNS}) {body}"


REPORTING_COPY_COLUMNS = ("name, value, value_in_business_hours, account_id, inbox_id, user_id, conversation_id, "
                          "event_start_time, event_end_time, created_at, updated_at")


def messaging_rows_sql(n: int, tenant: int, lo: int, hi: int) -> str:
    """SELECT of n webhook events of one tenant for its messages lo..hi, occurring now."""
    return f"""
SELECT {tenant}::bigint, mid, {EVENT_TYPE_SQL}, now() - r * interval '1 minute', now()
  FROM (SELECT {lo} + floor(random() * {hi - lo + 1})::bigint AS mid, random() AS u, random() AS r
          FROM generate_series(1, {n}) OFFSET 0) AS s"""


def messaging_copy_sql(n: int, tenant: int, lo: int, hi: int) -> str:
    """COPY ... TO STDOUT of n webhook events of one tenant for its messages lo..hi, occurring now."""
    return f"COPY ({messaging_rows_sql(n, tenant, lo, hi)}) TO STDOUT"


def messaging_insert_sql(n: int, tenant: int, lo: int, hi: int) -> str:
    """One INSERT ... SELECT of n webhook events of one tenant for its messages lo..hi."""
    return f"INSERT INTO public.message_events ({MESSAGING_COPY_COLUMNS}) {messaging_rows_sql(n, tenant, lo, hi)}"


MESSAGING_COPY_COLUMNS = "tenant_id, message_id, event_type, occurred_at, created_at"

# pgbench scripts: one single-row INSERT per transaction, on one account / tenant
PGBENCH_REPORTING = """\\set u random(1, 100)
\\set v random(1, 3600)
\\set inbox random(1, 40)
\\set agent random(1, 300)
\\set conv random(1, 1000000)
INSERT INTO public.reporting_events (name, value, value_in_business_hours, account_id, inbox_id, user_id, conversation_id, event_start_time, event_end_time, created_at, updated_at) VALUES (CASE WHEN :u <= 30 THEN 'conversation_resolved' WHEN :u <= 50 THEN 'first_response' WHEN :u <= 80 THEN 'reply_time' WHEN :u <= 85 THEN 'conversation_bot_resolved' WHEN :u <= 90 THEN 'conversation_bot_handoff' ELSE 'conversation_opened' END, :v, :v / 2, :account, :account * 100 + :inbox, :account * 1000 + :agent, :conv, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC');
"""

PGBENCH_MESSAGING = """\\set u random(1, 100)
\\set m random(:mlo, :mhi)
INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at, created_at) VALUES (:tenant, :m, CASE WHEN :u <= 35 THEN 'delivered' WHEN :u <= 65 THEN 'open' WHEN :u <= 84 THEN 'click' WHEN :u <= 87 THEN 'bounce' WHEN :u <= 88 THEN 'unsubscribe' ELSE 'processed' END, now(), now());
"""


def pgbench_script(module: str, isolation: str | None = None) -> str:
    """The pgbench script of a module: one single-row INSERT per transaction, in an explicit
    transaction at the given isolation level when one is given."""
    script = {"reporting": PGBENCH_REPORTING, "messaging": PGBENCH_MESSAGING}[module]
    if not isolation:
        return script
    sets = [line for line in script.splitlines() if line.startswith("\\")]
    body = [line for line in script.splitlines() if line and not line.startswith("\\")]
    return "\n".join(sets + [f"BEGIN ISOLATION LEVEL {isolation.upper()};", *body, "COMMIT;"]) + "\n"

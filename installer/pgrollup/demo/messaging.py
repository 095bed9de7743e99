"""Demo data and dashboards for the messaging module (``pgrollup demo``).

Four tenants in different zones send campaigns (which move draft -> scheduled -> running ->
paused/done) and transactional messages (no campaign) over email, sms and push; providers report
deliveries, opens, clicks, bounces and unsubscribes, some of them days late. Everything is
generated in SQL (setseed + generate_series) so it loads in about a second."""
from __future__ import annotations

TENANTS = {1: ("Acme Outdoor", "America/New_York"), 2: ("Bäckerei Berlin", "Europe/Berlin"),
           3: ("Chai & Co", "Asia/Kolkata"), 4: ("Harbour Fish", "America/St_Johns")}

# each table is created only when absent (an existing table is the application's: no DDL on it)
TABLES = {
    "outbound_messages": """
CREATE TABLE public.outbound_messages (
    id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, campaign_id bigint, contact_id bigint NOT NULL,
    channel text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz)""",
    "message_events": """
CREATE TABLE public.message_events (
    id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, message_id bigint NOT NULL, event_type text NOT NULL,
    occurred_at timestamptz NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX message_events_message_id_idx ON public.message_events (message_id)""",
    "campaign_transitions": """
CREATE TABLE public.campaign_transitions (
    id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, campaign_id bigint NOT NULL, to_status text NOT NULL,
    transitioned_at timestamptz NOT NULL)""",
    "demo_campaigns": """
CREATE TABLE public.demo_campaigns (
    tenant_id bigint NOT NULL, campaign_id bigint PRIMARY KEY, name text NOT NULL)""",
}

LOAD = """
SELECT setseed(0.42);
INSERT INTO public.demo_campaigns (tenant_id, campaign_id, name)
SELECT t, t * 100 + k,
       (ARRAY['Spring sale', 'Welcome series', 'Win-back', 'Product launch', 'Weekly digest'])[k]
  FROM generate_series(1, 4) t, generate_series(1, 5) k;

-- campaigns move through statuses over the last five weeks
INSERT INTO public.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at)
SELECT c.tenant_id, c.campaign_id, s.status,
       date_trunc('hour', now()) - interval '35 days' + (c.campaign_id % 100) * interval '2 days' + s.ord * interval '3 days'
  FROM public.demo_campaigns c
  CROSS JOIN LATERAL (VALUES (1, 'draft'), (2, 'scheduled'), (3, 'running'),
                             (4, CASE WHEN c.campaign_id % 100 IN (2, 5) THEN 'running'
                                      WHEN c.campaign_id % 100 = 3 THEN 'paused' ELSE 'done' END)) AS s(ord, status)
 WHERE s.ord < 4 OR c.campaign_id % 100 <> 2;

-- 6,000 messages over 30 days; 10% transactional (no campaign); 4% never sent
WITH g AS (
    SELECT i, 1 + (random() * 3.999)::int % 4 AS tenant_id, random() AS r1, random() AS r2, random() AS r3
      FROM generate_series(1, 6000) i)
INSERT INTO public.outbound_messages (tenant_id, campaign_id, contact_id, channel, created_at, sent_at)
SELECT g.tenant_id,
       CASE WHEN g.r1 < 0.10 THEN NULL ELSE g.tenant_id * 100 + 1 + (g.r1 * 1000)::int % 5 END,
       g.tenant_id * 10000 + (g.r2 * 800)::int,
       CASE WHEN g.r3 < 0.70 THEN 'email' WHEN g.r3 < 0.90 THEN 'sms' ELSE 'push' END,
       now() - interval '30 days' + g.r2 * interval '30 days',
       CASE WHEN g.r3 > 0.96 THEN NULL
            ELSE now() - interval '30 days' + g.r2 * interval '30 days' + (g.r1 * 20)::int * interval '1 minute' END
  FROM g;

-- provider webhooks: deliveries, bounces, (repeated) opens, clicks, unsubscribes; some arrive late
WITH m AS (SELECT id, tenant_id, channel, sent_at, random() AS r, random() AS r2, random() AS r3
             FROM public.outbound_messages WHERE sent_at IS NOT NULL),
ev AS (
    SELECT m.id, m.tenant_id, 'delivered' AS t, m.sent_at + interval '40 seconds' AS at FROM m WHERE m.r < 0.95
    UNION ALL SELECT m.id, m.tenant_id, 'bounced', m.sent_at + interval '2 minutes' FROM m WHERE m.r >= 0.97
    UNION ALL SELECT m.id, m.tenant_id, CASE WHEN m.id % 3 = 0 THEN 'opened' ELSE 'open' END,
                     m.sent_at + (1 + n * n * 6) * (10 + m.r3 * 300) * interval '1 minute'
                FROM m CROSS JOIN LATERAL generate_series(1, CASE WHEN m.r2 < 0.32 THEN 1 + (m.r3 * 2.6)::int ELSE 0 END) n
               WHERE m.channel <> 'sms' AND m.r < 0.95
    UNION ALL SELECT m.id, m.tenant_id, CASE WHEN m.id % 2 = 0 THEN 'clicked' ELSE 'click' END,
                     m.sent_at + (30 + n * 90 + m.r * 600) * interval '1 minute'
                FROM m CROSS JOIN LATERAL generate_series(1, CASE WHEN m.r2 < 0.08 THEN 1 + (m.r3 * 1.8)::int ELSE 0 END) n
               WHERE m.r < 0.95
    UNION ALL SELECT m.id, m.tenant_id, 'unsubscribe', m.sent_at + (60 + random() * 900) * interval '1 minute'
                FROM m WHERE m.r BETWEEN 0.12 AND 0.125
    UNION ALL SELECT m.id, m.tenant_id, 'spam_report', m.sent_at + interval '3 hours'
                FROM m WHERE m.r BETWEEN 0.5 AND 0.502)
INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at, created_at)
SELECT ev.tenant_id, ev.id, ev.t, ev.at,
       ev.at + CASE WHEN random() < 0.03 THEN random() * interval '4 days' ELSE interval '5 seconds' END
  FROM ev
 WHERE ev.at < now()
 ORDER BY ev.at + CASE WHEN random() < 0.03 THEN random() * interval '4 days' ELSE interval '5 seconds' END;
ANALYZE public.outbound_messages, public.message_events, public.campaign_transitions;
"""


def setup(conn) -> bool:
    """Create the absent source tables in public and load the sample data when the demo created
    every table itself (existing tables and their rows are used as they are). True when loaded."""
    with conn.transaction():
        created = []
        for table, ddl in TABLES.items():
            if not conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (f"public.{table}",)).fetchone()[0]:
                conn.execute(ddl)
                created.append(table)
        if len(created) != len(TABLES):
            return False
        conn.execute(LOAD)
        return True


def after_install(conn) -> None:
    """Each sample tenant reports in its own zone (restated at the next refresh); a tenant that has
    a zone already keeps it."""
    for tenant, (_name, zone) in TENANTS.items():
        if not conn.execute("SELECT EXISTS (SELECT 1 FROM pgrollup_internal.msg_tenants WHERE tenant_id = %s)",
                            (tenant,)).fetchone()[0]:
            conn.execute("SELECT pgrollup.set_tenant_timezone(%s, %s)", (tenant, zone))


def _pct(part, whole) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def show(conn, console) -> None:
    """A campaign dashboard (last 30 local days) and one tenant's daily trend (last 14 days)."""
    from rich.table import Table

    for tenant, (name, zone) in TENANTS.items():
        today = conn.execute("SELECT (now() AT TIME ZONE %s)::date", (zone,)).fetchone()[0]
        rows = conn.execute("""
            SELECT d.campaign_id, COALESCE(c.name, 'campaign ' || d.campaign_id),
                   sum(d.sends)::bigint, sum(d.delivered)::bigint, sum(d.unique_opens)::bigint, sum(d.opens)::bigint,
                   sum(d.unique_clicks)::bigint, sum(d.bounces)::bigint, sum(d.unsubscribes)::bigint,
                   (array_agg(d.status ORDER BY d.date DESC))[1]
              FROM pgrollup.campaign_daily(%s, %s::date - 29, %s::date) d
              LEFT JOIN public.demo_campaigns c ON c.campaign_id = d.campaign_id
             GROUP BY 1, 2 ORDER BY 1""", (tenant, today, today)).fetchall()
        table = Table(title=f"Campaigns of {name} (tenant {tenant}, {zone}), last 30 days")
        for col in ("campaign", "status", "sent", "delivered", "delivery rate", "unique opens", "open rate",
                    "opens", "unique clicks", "click rate", "bounces", "unsubscribes"):
            table.add_column(col, justify="left" if col in ("campaign", "status") else "right")
        for cid, cname, sends, delivered, uopens, opens, uclicks, bounces, unsubs, status in rows:
            table.add_row(f"{cname} ({cid})", status or "-", str(sends), str(delivered), _pct(delivered, sends),
                          str(uopens), _pct(uopens, delivered), str(opens), str(uclicks), _pct(uclicks, delivered),
                          str(bounces), str(unsubs))
        console.print(table)

    tenant, (name, zone) = 3, TENANTS[3]
    today = conn.execute("SELECT (now() AT TIME ZONE %s)::date", (zone,)).fetchone()[0]
    rows = conn.execute("SELECT date, sends, delivered, opens, unique_opens, unique_clicks, bounces, unsubscribes "
                        "FROM pgrollup.tenant_daily(%s, %s::date - 13, %s::date)", (tenant, today, today)).fetchall()
    table = Table(title=f"Daily trend of {name} (tenant {tenant}), local days in {zone}")
    for col in ("date", "sent", "delivered", "opens", "unique opens", "unique clicks", "bounces", "unsubscribes", ""):
        table.add_column(col, justify="left" if col in ("date", "") else "right")
    peak = max((r[1] for r in rows), default=0) or 1
    for date, sends, delivered, opens, uopens, uclicks, bounces, unsubs in rows:
        table.add_row(str(date), str(sends), str(delivered), str(opens), str(uopens), str(uclicks),
                      str(bounces), str(unsubs), "█" * round(30 * sends / peak))
    console.print(table)
    late = conn.execute("SELECT count(*) FROM public.message_events WHERE created_at > occurred_at + interval '1 hour'").fetchone()[0]
    console.print(f"[dim]{late} events arrived late (up to 4 days after they happened) and still landed in the "
                  f"hour and day they happened.[/dim]")

-- pgrollup: pg_dump --schema-only of a fresh install with every module (tests/schema_dump.py)

CREATE SCHEMA pgrollup;

COMMENT ON SCHEMA pgrollup IS 'pgrollup public API: rollup views, read functions, settings and maintenance functions.';

CREATE SCHEMA pgrollup_internal;

COMMENT ON SCHEMA pgrollup_internal IS 'pgrollup internals: change logs, rollup state, module registry. Not a stable interface.';

CREATE FUNCTION pgrollup.backfill_messaging(p_tenant_id bigint DEFAULT NULL::bigint, p_from date DEFAULT NULL::date, p_to date DEFAULT NULL::date) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_n bigint;
BEGIN
    IF p_from IS NOT NULL AND p_to IS NOT NULL AND p_from > p_to THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_from %s is after p_to %s', p_from, p_to);
    END IF;
    -- the module lock: never races a refresh, another backfill or a mode switch; the source is read
    -- in snapshots taken after it, and writes committed meanwhile stay in the change log
    PERFORM pgrollup_internal.lock_module('messaging', true);
    IF pgrollup_internal.messaging_mode() = 'materialized_view' THEN
        RETURN pgrollup_internal.messaging_refresh_mvs();
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NOT NULL THEN
        -- Citus: the tenant (or every tenant) is logged for restatement, which the next refresh
        -- applies on the workers, each shard group where it is (the workers cannot see this
        -- transaction's rows before it commits; pgrollup backfill refreshes right after)
        RETURN pgrollup_internal.messaging_citus_queue(p_tenant_id);
    END IF;
    IF p_tenant_id IS NULL AND p_from IS NULL AND p_to IS NULL THEN
        v_n := pgrollup_internal.messaging_rebuild();
        PERFORM pgrollup_internal.messaging_note_set_aside();
        -- every rollup restated from source: statements whose capture was skipped (column drift)
        -- are accounted for, so their record is cleared once no drift is left
        IF pgrollup_internal.messaging_drift() IS NULL THEN
            DELETE FROM pgrollup_internal.capture_failures AS f WHERE f.module = 'messaging';
        END IF;
        RETURN v_n;
    END IF;
    IF p_tenant_id IS NOT NULL THEN
        PERFORM pgrollup_internal.messaging_sync_transitions(NULL, p_tenant_id, false);
    ELSE
        PERFORM pgrollup_internal.messaging_sync_transitions(NULL, NULL, true);
    END IF;
    PERFORM pgrollup_internal.messaging_backfill_keys(p_tenant_id, p_from, p_to);
    v_n := pgrollup_internal.messaging_restate();
    PERFORM pgrollup_internal.messaging_note_set_aside();
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup.backfill_messaging(p_tenant_id bigint, p_from date, p_to date) IS 'Restates a slice of the messaging rollups from the source tables: one tenant (NULL = all) and local dates p_from..p_to inclusive (NULL = open); every message contributing to the slice is recomputed. Run it after editing pgrollup.message_event_metrics, and without arguments after a capture failure (column drift): a full backfill with no drift left clears the capture-failure record. Atomic, serialized with refreshes, safe while writes continue. Returns the number of messages restated (in materialized_view mode: refreshes the materialized views and returns the number of messages). On Citus it logs every key of the tenant (or of every tenant, whatever the dates) for the next refresh, which restates them on the workers, and returns the rows logged.';

CREATE FUNCTION pgrollup.backfill_reporting(p_account_id bigint, p_from date DEFAULT NULL::date, p_to date DEFAULT NULL::date) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_tz text;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_from > p_to THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_from (%s) must not be after p_to (%s)', p_from, p_to);
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = '25001',
            MESSAGE = 'pgrollup.backfill_reporting must run in a READ COMMITTED transaction (its snapshot must be taken after the module lock)';
    END IF;
    -- never races a refresh, another backfill or a timezone change (module lock); writers are
    -- neither waited for nor blocked: the restatement reads the raw slice and consumes its
    -- change-log rows in one snapshot taken after the lock
    PERFORM pgrollup_internal.lock_module('reporting', true);
    SELECT a.timezone INTO v_tz FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    IF v_tz IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('account %s has no reporting timezone: set one with pgrollup.set_reporting_timezone (p_account_id)', p_account_id);
    END IF;
    RETURN pgrollup_internal.reporting_restate(p_account_id, p_from, p_to);
END;
$$;

COMMENT ON FUNCTION pgrollup.backfill_reporting(p_account_id bigint, p_from date, p_to date) IS 'Rebuilds an account''s rollups for local days p_from..p_to (NULL = from the first / to the last) from raw reporting_events, atomically and idempotently; safe while events keep arriving, today included. Returns the rollup rows written. 22023 when the account has no reporting timezone.';

CREATE TABLE pgrollup_internal.msg_campaign_daily (
    tenant_id bigint NOT NULL,
    campaign_id bigint NOT NULL,
    date date NOT NULL,
    sends bigint DEFAULT 0 NOT NULL,
    delivered bigint DEFAULT 0 NOT NULL,
    opens bigint DEFAULT 0 NOT NULL,
    clicks bigint DEFAULT 0 NOT NULL,
    bounces bigint DEFAULT 0 NOT NULL,
    unsubscribes bigint DEFAULT 0 NOT NULL,
    unique_opens bigint DEFAULT 0 NOT NULL,
    unique_clicks bigint DEFAULT 0 NOT NULL
);

COMMENT ON TABLE pgrollup_internal.msg_campaign_daily IS 'messaging rollup (incremental mode): metrics per tenant, campaign and local date; read through pgrollup.metrics_campaign_daily.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.tenant_id IS 'Tenant.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.campaign_id IS 'Campaign.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.date IS 'Local date in the tenant''s zone.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.sends IS 'Count of sends in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.delivered IS 'Count of delivered in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.opens IS 'Count of opens in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.clicks IS 'Count of clicks in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.bounces IS 'Count of bounces in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.unsubscribes IS 'Count of unsubscribes in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.unique_opens IS 'Count of unique_opens in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.unique_clicks IS 'Count of unique_clicks in the bucket.';

CREATE TABLE pgrollup_internal.msg_tenants (
    tenant_id bigint NOT NULL,
    timezone text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE pgrollup_internal.msg_tenants IS 'messaging: time zone of each tenant (set with pgrollup.set_tenant_timezone); tenants without a row use UTC.';

COMMENT ON COLUMN pgrollup_internal.msg_tenants.tenant_id IS 'Tenant id (outbound_messages.tenant_id).';

COMMENT ON COLUMN pgrollup_internal.msg_tenants.timezone IS 'Canonical IANA time zone name.';

COMMENT ON COLUMN pgrollup_internal.msg_tenants.updated_at IS 'When the zone was last set.';

CREATE TABLE pgrollup_internal.msg_transitions (
    id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    campaign_id bigint NOT NULL,
    transitioned_at timestamp with time zone NOT NULL,
    to_status text NOT NULL
);

COMMENT ON TABLE pgrollup_internal.msg_transitions IS 'messaging (incremental mode): copy of the source campaign_transitions as of the last refresh; the campaign status of a local date is looked up here at read time.';

COMMENT ON COLUMN pgrollup_internal.msg_transitions.id IS 'campaign_transitions.id (breaks ties between equal transitioned_at).';

COMMENT ON COLUMN pgrollup_internal.msg_transitions.tenant_id IS 'Tenant.';

COMMENT ON COLUMN pgrollup_internal.msg_transitions.campaign_id IS 'Campaign.';

COMMENT ON COLUMN pgrollup_internal.msg_transitions.transitioned_at IS 'When the campaign entered to_status (UTC instant).';

COMMENT ON COLUMN pgrollup_internal.msg_transitions.to_status IS 'Status the campaign moved to.';

CREATE VIEW pgrollup_internal.msg_inc_campaign_daily AS
 SELECT r.tenant_id,
    r.campaign_id,
    r.date,
    r.sends,
    r.delivered,
    r.opens,
    r.clicks,
    r.bounces,
    r.unsubscribes,
    r.unique_opens,
    r.unique_clicks,
    st.to_status AS status
   FROM ((pgrollup_internal.msg_campaign_daily r
     LEFT JOIN pgrollup_internal.msg_tenants z ON ((z.tenant_id = r.tenant_id)))
     LEFT JOIN LATERAL ( SELECT t.to_status
           FROM pgrollup_internal.msg_transitions t
          WHERE ((t.tenant_id = r.tenant_id) AND (t.campaign_id = r.campaign_id) AND (t.transitioned_at < (((r.date + 1))::timestamp without time zone AT TIME ZONE COALESCE(z.timezone, 'UTC'::text))))
          ORDER BY t.transitioned_at DESC, t.id DESC
         LIMIT 1) st ON (true));

COMMENT ON VIEW pgrollup_internal.msg_inc_campaign_daily IS 'messaging incremental mode: campaign-daily rollup with the campaign status of each local date.';

CREATE VIEW pgrollup_internal.msg_route_campaign_daily AS
 SELECT msg_inc_campaign_daily.tenant_id,
    msg_inc_campaign_daily.campaign_id,
    msg_inc_campaign_daily.date,
    msg_inc_campaign_daily.sends,
    msg_inc_campaign_daily.delivered,
    msg_inc_campaign_daily.opens,
    msg_inc_campaign_daily.clicks,
    msg_inc_campaign_daily.bounces,
    msg_inc_campaign_daily.unsubscribes,
    msg_inc_campaign_daily.unique_opens,
    msg_inc_campaign_daily.unique_clicks,
    msg_inc_campaign_daily.status
   FROM pgrollup_internal.msg_inc_campaign_daily;

COMMENT ON VIEW pgrollup_internal.msg_route_campaign_daily IS 'Router behind pgrollup.metrics_campaign_daily: the incremental rollup or the materialized view, per messaging mode.';

CREATE VIEW pgrollup.metrics_campaign_daily AS
 SELECT r.tenant_id,
    r.campaign_id,
    r.date,
    r.sends,
    r.delivered,
    r.opens,
    r.clicks,
    r.bounces,
    r.unsubscribes,
    r.unique_opens,
    r.unique_clicks,
    r.status
   FROM pgrollup_internal.msg_route_campaign_daily r;

COMMENT ON VIEW pgrollup.metrics_campaign_daily IS 'Messaging metrics per tenant, campaign and local date in the tenant''s zone, with the campaign''s status on that date (days with activity only; messages without a campaign are excluded). Current as of the last pgrollup.refresh(''messaging''). For a dashboard slice use pgrollup.campaign_daily().';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.tenant_id IS 'Tenant (outbound_messages.tenant_id).';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.campaign_id IS 'Campaign (outbound_messages.campaign_id, never NULL here).';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.date IS 'Local date in the tenant''s zone (23 or 25 hours long on DST days).';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.sends IS 'Messages sent (sent_at) in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.delivered IS 'Delivered events (event types mapped to delivered in pgrollup.message_event_metrics) in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.opens IS 'Open events in the bucket (every open counts).';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.clicks IS 'Click events in the bucket (every click counts).';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.bounces IS 'Bounce events in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.unsubscribes IS 'Unsubscribe events in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.unique_opens IS 'Messages whose first open falls in the bucket (each message counts once, at its earliest open).';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.unique_clicks IS 'Messages whose first click falls in the bucket (each message counts once, at its earliest click).';

COMMENT ON COLUMN pgrollup.metrics_campaign_daily.status IS 'to_status of the campaign''s latest campaign_transitions row strictly before the end of this local date (ties broken by the higher id); NULL when there is none.';

CREATE FUNCTION pgrollup.campaign_daily(p_tenant_id bigint, p_from date, p_to date, p_campaign_id bigint DEFAULT NULL::bigint) RETURNS SETOF pgrollup.metrics_campaign_daily
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_limit bigint := pgrollup_internal.read_limit();
    v_rows  bigint;
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_tenant_id must not be NULL';
    END IF;
    IF p_from IS NULL OR p_to IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_from and p_to must not be NULL';
    END IF;
    IF p_campaign_id IS NULL THEN
        RETURN QUERY
        SELECT v.* FROM pgrollup.metrics_campaign_daily AS v
         WHERE v.tenant_id = p_tenant_id AND v.date >= p_from AND v.date <= p_to
         ORDER BY v.date, v.campaign_id
         LIMIT v_limit + 1;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        PERFORM pgrollup_internal.check_read_rows('campaign_daily', v_rows, v_limit);
    ELSE
        RETURN QUERY
        SELECT v.* FROM pgrollup.metrics_campaign_daily AS v
         WHERE v.tenant_id = p_tenant_id AND v.campaign_id = p_campaign_id
           AND v.date >= p_from AND v.date <= p_to
         ORDER BY v.date
         LIMIT v_limit + 1;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        PERFORM pgrollup_internal.check_read_rows('campaign_daily', v_rows, v_limit);
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup.campaign_daily(p_tenant_id bigint, p_from date, p_to date, p_campaign_id bigint) IS 'Dashboard slice of pgrollup.metrics_campaign_daily: one tenant, local dates p_from..p_to inclusive, optionally one campaign; ordered by date and campaign. Index-backed. More than max_read_buckets rows (100000 by default) are refused with 54000 (at most that many are read).';

CREATE TABLE pgrollup_internal.msg_contact_hourly (
    tenant_id bigint NOT NULL,
    contact_id bigint NOT NULL,
    hour timestamp with time zone NOT NULL,
    channel text NOT NULL,
    sends bigint DEFAULT 0 NOT NULL,
    delivered bigint DEFAULT 0 NOT NULL,
    opens bigint DEFAULT 0 NOT NULL,
    clicks bigint DEFAULT 0 NOT NULL,
    bounces bigint DEFAULT 0 NOT NULL,
    unsubscribes bigint DEFAULT 0 NOT NULL,
    unique_opens bigint DEFAULT 0 NOT NULL,
    unique_clicks bigint DEFAULT 0 NOT NULL
);

COMMENT ON TABLE pgrollup_internal.msg_contact_hourly IS 'messaging rollup (incremental mode): metrics per tenant, contact, local hour and channel; read through pgrollup.metrics_contact_hourly.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.tenant_id IS 'Tenant.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.contact_id IS 'Contact.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.hour IS 'Start of the local hour in the tenant''s zone.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.channel IS 'Channel.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.sends IS 'Count of sends in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.delivered IS 'Count of delivered in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.opens IS 'Count of opens in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.clicks IS 'Count of clicks in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.bounces IS 'Count of bounces in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.unsubscribes IS 'Count of unsubscribes in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.unique_opens IS 'Count of unique_opens in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.unique_clicks IS 'Count of unique_clicks in the bucket.';

CREATE VIEW pgrollup_internal.msg_inc_contact_hourly AS
 SELECT r.tenant_id,
    r.contact_id,
    r.channel,
    r.hour,
    r.sends,
    r.delivered,
    r.opens,
    r.clicks,
    r.bounces,
    r.unsubscribes,
    r.unique_opens,
    r.unique_clicks
   FROM pgrollup_internal.msg_contact_hourly r;

COMMENT ON VIEW pgrollup_internal.msg_inc_contact_hourly IS 'messaging incremental mode: contact-hourly rollup in the public column order.';

CREATE VIEW pgrollup_internal.msg_route_contact_hourly AS
 SELECT msg_inc_contact_hourly.tenant_id,
    msg_inc_contact_hourly.contact_id,
    msg_inc_contact_hourly.channel,
    msg_inc_contact_hourly.hour,
    msg_inc_contact_hourly.sends,
    msg_inc_contact_hourly.delivered,
    msg_inc_contact_hourly.opens,
    msg_inc_contact_hourly.clicks,
    msg_inc_contact_hourly.bounces,
    msg_inc_contact_hourly.unsubscribes,
    msg_inc_contact_hourly.unique_opens,
    msg_inc_contact_hourly.unique_clicks
   FROM pgrollup_internal.msg_inc_contact_hourly;

COMMENT ON VIEW pgrollup_internal.msg_route_contact_hourly IS 'Router behind pgrollup.metrics_contact_hourly: the incremental rollup or the materialized view, per messaging mode.';

CREATE VIEW pgrollup.metrics_contact_hourly AS
 SELECT r.tenant_id,
    r.contact_id,
    r.channel,
    r.hour,
    r.sends,
    r.delivered,
    r.opens,
    r.clicks,
    r.bounces,
    r.unsubscribes,
    r.unique_opens,
    r.unique_clicks
   FROM pgrollup_internal.msg_route_contact_hourly r;

COMMENT ON VIEW pgrollup.metrics_contact_hourly IS 'Messaging metrics per tenant, contact, channel and local hour in the tenant''s zone (hours with activity only). Current as of the last pgrollup.refresh(''messaging''). For one contact use pgrollup.contact_hourly().';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.tenant_id IS 'Tenant (outbound_messages.tenant_id).';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.contact_id IS 'Contact the messages were sent to.';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.channel IS 'Channel of the messages (outbound_messages.channel).';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.hour IS 'Start of the local hour in the tenant''s zone, as an instant (date_trunc(''hour'', ts, zone)); in zones with sub-hour offsets it is not a UTC hour.';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.sends IS 'Messages sent (sent_at) in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.delivered IS 'Delivered events (event types mapped to delivered in pgrollup.message_event_metrics) in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.opens IS 'Open events in the bucket (every open counts).';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.clicks IS 'Click events in the bucket (every click counts).';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.bounces IS 'Bounce events in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.unsubscribes IS 'Unsubscribe events in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.unique_opens IS 'Messages whose first open falls in the bucket (each message counts once, at its earliest open).';

COMMENT ON COLUMN pgrollup.metrics_contact_hourly.unique_clicks IS 'Messages whose first click falls in the bucket (each message counts once, at its earliest click).';

CREATE FUNCTION pgrollup.contact_hourly(p_tenant_id bigint, p_contact_id bigint, p_since timestamp with time zone, p_until timestamp with time zone) RETURNS SETOF pgrollup.metrics_contact_hourly
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_limit bigint := pgrollup_internal.read_limit();
    v_rows  bigint;
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_tenant_id must not be NULL';
    END IF;
    IF p_contact_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_contact_id must not be NULL';
    END IF;
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_since and p_until must not be NULL';
    END IF;
    RETURN QUERY
    SELECT v.* FROM pgrollup.metrics_contact_hourly AS v
     WHERE v.tenant_id = p_tenant_id AND v.contact_id = p_contact_id
       AND v.hour >= p_since AND v.hour < p_until
     ORDER BY v.hour, v.channel
     LIMIT v_limit + 1;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM pgrollup_internal.check_read_rows('contact_hourly', v_rows, v_limit);
END;
$$;

COMMENT ON FUNCTION pgrollup.contact_hourly(p_tenant_id bigint, p_contact_id bigint, p_since timestamp with time zone, p_until timestamp with time zone) IS 'Dashboard slice of pgrollup.metrics_contact_hourly: one tenant and contact, local hours with p_since <= hour < p_until, ordered by hour and channel. Index-backed. More than max_read_buckets rows (100000 by default) are refused with 54000 (at most that many are read).';

CREATE FUNCTION pgrollup.messaging_backfill_plan(p_tenant_id bigint DEFAULT NULL::bigint, p_from date DEFAULT NULL::date, p_to date DEFAULT NULL::date) RETURNS TABLE(tenant_id bigint, timezone text, first_date date, last_date date, days integer, messages bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
#variable_conflict use_column
BEGIN
    IF p_from IS NOT NULL AND p_to IS NOT NULL AND p_from > p_to THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_from %s is after p_to %s', p_from, p_to);
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NOT NULL THEN
        -- Citus: a backfill restates whole tenants (pgrollup_internal.messaging_citus_queue), each
        -- on its shard group; the messages are counted per tenant on the shards
        RETURN QUERY
        WITH k AS (
            SELECT o.tenant_id::bigint AS tenant_id, pg_catalog.count(*) AS messages,
                   pg_catalog.min(LEAST(pgrollup_internal.utc(o.sent_at), pgrollup_internal.utc(o.created_at))) AS lo,
                   pg_catalog.max(GREATEST(pgrollup_internal.utc(o.sent_at), pgrollup_internal.utc(o.created_at))) AS hi
              FROM "public".outbound_messages AS o
             WHERE p_tenant_id IS NULL OR o.tenant_id = p_tenant_id
             GROUP BY o.tenant_id
        ), t AS (
            SELECT k.tenant_id, COALESCE(z.timezone, 'UTC') AS timezone,
                   COALESCE(p_from, (k.lo AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date) AS first_date,
                   COALESCE(p_to, (k.hi AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date) AS last_date,
                   k.messages
              FROM k LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = k.tenant_id
        )
        SELECT t.tenant_id, t.timezone, t.first_date, t.last_date,
               CASE WHEN t.first_date IS NULL OR t.last_date IS NULL THEN 0 ELSE (t.last_date - t.first_date + 1) END,
               t.messages
          FROM t ORDER BY t.tenant_id;
        RETURN;
    END IF;
    PERFORM pgrollup_internal.messaging_backfill_keys(p_tenant_id, p_from, p_to);
    RETURN QUERY
    WITH k AS (
        SELECT COALESCE(o.tenant_id::bigint, s.tenant_id) AS tenant_id,
               LEAST(pgrollup_internal.utc(o.sent_at), pgrollup_internal.utc(o.created_at)) AS at
          FROM pg_temp.pgr_msg_keys AS k
          LEFT JOIN "public".outbound_messages AS o ON o.id = k.message_id
          LEFT JOIN pgrollup_internal.msg_state AS s ON s.message_id = k.message_id
    ), t AS (
        SELECT k.tenant_id, COALESCE(z.timezone, 'UTC') AS timezone,
               COALESCE(p_from, pg_catalog.min((k.at AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date)) AS first_date,
               COALESCE(p_to, pg_catalog.max((k.at AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date)) AS last_date,
               pg_catalog.count(*) AS messages
          FROM k LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = k.tenant_id
         GROUP BY k.tenant_id, z.timezone
    )
    SELECT t.tenant_id, t.timezone, t.first_date, t.last_date,
           CASE WHEN t.first_date IS NULL OR t.last_date IS NULL THEN 0 ELSE (t.last_date - t.first_date + 1) END,
           t.messages
      FROM t ORDER BY t.tenant_id;
END;
$$;

COMMENT ON FUNCTION pgrollup.messaging_backfill_plan(p_tenant_id bigint, p_from date, p_to date) IS 'Plan of pgrollup.backfill_messaging for the same arguments, changing nothing: per tenant its zone, local date range, days and messages that would be restated (on Citus, where a backfill restates whole tenants: every message of each tenant).';

CREATE FUNCTION pgrollup.refresh(p_module text DEFAULT NULL::text, p_wait boolean DEFAULT true) RETURNS TABLE(module text, status text, changes_applied bigint, duration interval)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_module text;
    v_result record;
BEGIN
    IF p_wait IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_wait must be true or false, not NULL';
    END IF;
    IF p_module IS NOT NULL THEN
        PERFORM pgrollup_internal.module_function(p_module, 'refresh');  -- 22023 for an unknown module
    END IF;
    FOR v_module IN
        SELECT m.module FROM pgrollup_internal.modules AS m
         WHERE p_module IS NULL OR m.module = p_module
         ORDER BY m.module
    LOOP
        SELECT * INTO v_result FROM pgrollup_internal.refresh_module(v_module, p_wait);
        module := v_module;
        status := v_result.status;
        changes_applied := v_result.changes_applied;
        duration := v_result.duration;
        RETURN NEXT;
    END LOOP;
    PERFORM pgrollup_internal.prune_refresh_runs();
END;
$$;

COMMENT ON FUNCTION pgrollup.refresh(p_module text, p_wait boolean) IS 'Applies pending changes to the rollups of one module (or of every installed module when p_module is NULL) under a per-module lock, after covering new partitions of its source tables with capture triggers and restating partitions that were attached filled, detached, dropped or truncated. status: ok, skipped (another refresh holds the lock and p_wait is false) or failed (its work rolled back, the error recorded in pgrollup.refresh_runs). Safe to call from many sessions at once. An attempt cancelled by statement_timeout, lock_timeout or a client shows in rollup_health at once and in refresh_runs (cancelled) from the next refresh; CALL pgrollup.run_refresh() records it at once.';

CREATE FUNCTION pgrollup.refresh_begin(p_module text DEFAULT NULL::text) RETURNS SETOF bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_module IS NOT NULL THEN
        PERFORM pgrollup_internal.module_function(p_module, 'refresh');  -- 22023 for an unknown module
    END IF;
    PERFORM pgrollup_internal.prune_refresh_runs();
    RETURN QUERY
    INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status, changes_applied, pid)
    SELECT m.module, pg_catalog.clock_timestamp(), NULL, 'running', 0, pg_catalog.pg_backend_pid()
      FROM pgrollup_internal.modules AS m
     WHERE p_module IS NULL OR m.module = p_module
     ORDER BY m.module
    RETURNING run_id;
END;
$$;

COMMENT ON FUNCTION pgrollup.refresh_begin(p_module text) IS 'First step of pgrollup.run_refresh: records a running attempt per module (one, or every installed module when p_module is NULL) and returns their run ids; the caller commits before pgrollup.refresh_run does the work, so a cancelled attempt keeps its record.';

CREATE FUNCTION pgrollup.refresh_run(p_run_id bigint, p_wait boolean DEFAULT true) RETURNS TABLE(module text, status text, changes_applied bigint, duration interval)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_module text;
    v_result record;
BEGIN
    IF p_wait IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_wait must be true or false, not NULL';
    END IF;
    SELECT r.module INTO v_module FROM pgrollup_internal.refresh_runs AS r
     WHERE r.run_id = p_run_id AND r.status = 'running';
    IF v_module IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_run_id %s is not a running refresh attempt (see pgrollup.refresh_begin)', p_run_id);
    END IF;
    SELECT * INTO v_result FROM pgrollup_internal.refresh_module(v_module, p_wait, p_run_id);
    module := v_module;
    status := v_result.status;
    changes_applied := v_result.changes_applied;
    duration := v_result.duration;
    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION pgrollup.refresh_run(p_run_id bigint, p_wait boolean) IS 'Second step of pgrollup.run_refresh: refreshes the module of the attempt p_run_id (recorded by pgrollup.refresh_begin and committed) and completes its record; status ok, failed, or skipped (p_wait false and another refresh holds the module: the record is removed).';

CREATE FUNCTION pgrollup.report_summary(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_dimension_type text DEFAULT 'account'::text, p_business_hours boolean DEFAULT false) RETURNS TABLE(dimension_id bigint, resolutions_count bigint, avg_resolution_time double precision, avg_first_response_time double precision, avg_reply_time double precision, bot_resolutions_count bigint, bot_handoffs_count bigint, source text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
#variable_conflict use_column
DECLARE
    v_plan record;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('%s must not be NULL', CASE WHEN p_since IS NULL THEN 'p_since' ELSE 'p_until' END);
    END IF;
    IF p_since >= p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_since (%s) must be before p_until (%s)', p_since, p_until);
    END IF;
    IF p_dimension_type IS NULL OR p_dimension_type NOT IN ('account', 'agent', 'inbox') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_dimension_type must be account, agent or inbox, not %s',
                                        COALESCE(pg_catalog.quote_literal(p_dimension_type), 'NULL'));
    END IF;
    IF p_business_hours IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_business_hours must be true or false, not NULL';
    END IF;
    v_plan := pgrollup_internal.reporting_plan(p_account_id, p_since, p_until, NULL, NULL);
    RETURN QUERY
    WITH f AS (
        SELECT * FROM pgrollup_internal.reporting_facts_serial(
            p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
            v_plan.timezone, NULL, p_dimension_type, NULL,
            ARRAY['resolutions_count', 'resolution_time', 'first_response', 'reply_time',
                  'bot_resolutions_count', 'bot_handoffs_count'], p_business_hours) WHERE v_plan.source <> 'raw'
        UNION ALL
        SELECT * FROM pgrollup_internal.reporting_facts(
            p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
            v_plan.timezone, NULL, p_dimension_type, NULL,
            ARRAY['resolutions_count', 'resolution_time', 'first_response', 'reply_time',
                  'bot_resolutions_count', 'bot_handoffs_count'], p_business_hours) WHERE v_plan.source = 'raw'
    ), ids AS (
        SELECT p_account_id AS id WHERE p_dimension_type = 'account'
        UNION
        SELECT f.dimension_id FROM f WHERE p_dimension_type <> 'account'
    )
    SELECT ids.id,
           COALESCE(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'resolutions_count'), 0)::bigint,
           pg_catalog.sum(f.total) FILTER (WHERE f.metric = 'resolution_time')
             / NULLIF(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'resolution_time'), 0),
           pg_catalog.sum(f.total) FILTER (WHERE f.metric = 'first_response')
             / NULLIF(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'first_response'), 0),
           pg_catalog.sum(f.total) FILTER (WHERE f.metric = 'reply_time')
             / NULLIF(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'reply_time'), 0),
           COALESCE(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'bot_resolutions_count'), 0)::bigint,
           COALESCE(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'bot_handoffs_count'), 0)::bigint,
           v_plan.source
      FROM ids
      LEFT JOIN f ON f.dimension_id = ids.id
     GROUP BY ids.id
     ORDER BY ids.id;
END;
$$;

COMMENT ON FUNCTION pgrollup.report_summary(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_dimension_type text, p_business_hours boolean) IS 'Reporting summary of an account over p_since <= created_at < p_until: one row per dimension id (account: exactly one row) with resolutions, average resolution / first response / reply times (business-hours values when p_business_hours; NULL when none), bot resolutions and distinct handed-off conversations. Whole local days come from rollups when the account has a zone and reads are enabled; source says rollup, hybrid or raw.';

CREATE FUNCTION pgrollup.report_timeseries(p_account_id bigint, p_metric text, p_since timestamp with time zone, p_until timestamp with time zone, p_group_by text DEFAULT 'day'::text, p_timezone text DEFAULT NULL::text, p_dimension_type text DEFAULT 'account'::text, p_dimension_id bigint DEFAULT NULL::bigint, p_business_hours boolean DEFAULT false) RETURNS TABLE(bucket_start timestamp with time zone, value double precision, count bigint, source text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
#variable_conflict use_column
DECLARE
    v_plan   record;
    v_rollup text;
    v_avg    boolean;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    v_rollup := CASE p_metric
                    WHEN 'resolutions_count' THEN 'resolutions_count'
                    WHEN 'avg_resolution_time' THEN 'resolution_time'
                    WHEN 'avg_first_response_time' THEN 'first_response'
                    WHEN 'avg_reply_time' THEN 'reply_time'
                    WHEN 'bot_resolutions_count' THEN 'bot_resolutions_count'
                    WHEN 'bot_handoffs_count' THEN 'bot_handoffs_count'
                END;
    IF v_rollup IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_metric must be one of resolutions_count, avg_resolution_time, avg_first_response_time, avg_reply_time, bot_resolutions_count, bot_handoffs_count, not %s',
                                        COALESCE(pg_catalog.quote_literal(p_metric), 'NULL'));
    END IF;
    v_avg := p_metric LIKE 'avg\_%';
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('%s must not be NULL', CASE WHEN p_since IS NULL THEN 'p_since' ELSE 'p_until' END);
    END IF;
    IF NOT pg_catalog.isfinite(p_since) OR NOT pg_catalog.isfinite(p_until) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('%s must be finite for a time series', CASE WHEN NOT pg_catalog.isfinite(p_since) THEN 'p_since' ELSE 'p_until' END);
    END IF;
    IF p_since >= p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_since (%s) must be before p_until (%s)', p_since, p_until);
    END IF;
    IF p_group_by IS NULL OR p_group_by NOT IN ('hour', 'day', 'week', 'month', 'year') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_group_by must be hour, day, week, month or year, not %s',
                                        COALESCE(pg_catalog.quote_literal(p_group_by), 'NULL'));
    END IF;
    IF p_dimension_type IS NULL OR p_dimension_type NOT IN ('account', 'agent', 'inbox') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_dimension_type must be account, agent or inbox, not %s',
                                        COALESCE(pg_catalog.quote_literal(p_dimension_type), 'NULL'));
    END IF;
    IF p_business_hours IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_business_hours must be true or false, not NULL';
    END IF;
    -- every bucket of the range is returned, empty ones included: refuse a huge range before any work
    PERFORM pgrollup_internal.check_read_size('report_timeseries', p_group_by,
                                              pgrollup_internal.range_buckets(p_since, p_until, p_group_by));
    v_plan := pgrollup_internal.reporting_plan(p_account_id, p_since, p_until, p_timezone, p_group_by);
    IF p_group_by = 'hour' THEN
        RETURN QUERY
        WITH b AS (
            SELECT DISTINCT pg_catalog.date_trunc('hour', x.x, v_plan.timezone) AS h
              FROM (SELECT pg_catalog.generate_series(p_since, p_until, interval '15 minutes') AS x
                    UNION ALL SELECT p_until - interval '1 microsecond') AS x
             WHERE x.x < p_until
        ), f AS (
            SELECT * FROM pgrollup_internal.reporting_facts_serial(
                p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
                v_plan.timezone, 'hour', p_dimension_type, p_dimension_id, ARRAY[v_rollup], p_business_hours) WHERE v_plan.source <> 'raw'
            UNION ALL
            SELECT * FROM pgrollup_internal.reporting_facts(
                p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
                v_plan.timezone, 'hour', p_dimension_type, p_dimension_id, ARRAY[v_rollup], p_business_hours) WHERE v_plan.source = 'raw'
        )
        SELECT b.h,
               CASE WHEN NOT v_avg THEN COALESCE(pg_catalog.sum(f.count), 0)::double precision
                    ELSE COALESCE(pg_catalog.sum(f.total) / NULLIF(pg_catalog.sum(f.count), 0), 0) END,
               COALESCE(pg_catalog.sum(f.count), 0)::bigint,
               v_plan.source
          FROM b LEFT JOIN f ON f.bucket_hour = b.h
         GROUP BY b.h
         ORDER BY b.h;
    ELSE
        RETURN QUERY
        WITH b AS (
            SELECT DISTINCT pgrollup_internal.reporting_bucket_date(d.d::date, p_group_by) AS k
              FROM pg_catalog.generate_series((p_since AT TIME ZONE v_plan.timezone)::date::timestamp without time zone,
                                              ((p_until - interval '1 microsecond') AT TIME ZONE v_plan.timezone)::date::timestamp without time zone,
                                              interval '1 day') AS d(d)
        ), f AS (
            SELECT * FROM pgrollup_internal.reporting_facts_serial(
                p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
                v_plan.timezone, p_group_by, p_dimension_type, p_dimension_id, ARRAY[v_rollup], p_business_hours) WHERE v_plan.source <> 'raw'
            UNION ALL
            SELECT * FROM pgrollup_internal.reporting_facts(
                p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
                v_plan.timezone, p_group_by, p_dimension_type, p_dimension_id, ARRAY[v_rollup], p_business_hours) WHERE v_plan.source = 'raw'
        )
        SELECT pgrollup_internal.reporting_day_start(b.k, v_plan.timezone),
               CASE WHEN NOT v_avg THEN COALESCE(pg_catalog.sum(f.count), 0)::double precision
                    ELSE COALESCE(pg_catalog.sum(f.total) / NULLIF(pg_catalog.sum(f.count), 0), 0) END,
               COALESCE(pg_catalog.sum(f.count), 0)::bigint,
               v_plan.source
          FROM b LEFT JOIN f ON f.bucket_date = b.k
         GROUP BY b.k
         ORDER BY b.k;
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup.report_timeseries(p_account_id bigint, p_metric text, p_since timestamp with time zone, p_until timestamp with time zone, p_group_by text, p_timezone text, p_dimension_type text, p_dimension_id bigint, p_business_hours boolean) IS 'Time series of one reporting metric over p_since <= created_at < p_until in local hour, day, week (from Sunday), month or year buckets of p_timezone (default the account''s zone, else UTC); every overlapping bucket appears once (empty: count 0, value 0). value = count for count metrics, average for avg_* metrics; bot_handoffs_count counts distinct conversations per bucket. p_dimension_id NULL = every id of the dimension type. Whole local days come from rollups when possible; source says rollup, hybrid or raw. A range of more than max_read_buckets (100000 by default) buckets is refused with 22023 before any work.';

CREATE FUNCTION pgrollup.reporting_backfill_plan(p_account_id bigint, p_from date DEFAULT NULL::date, p_to date DEFAULT NULL::date, p_timezone text DEFAULT NULL::text) RETURNS TABLE(timezone text, first_day date, last_day date, days integer, events bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
#variable_conflict use_column
DECLARE
    v_tz text;
    v_lo timestamptz;
    v_hi timestamptz;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_timezone IS NOT NULL THEN
        v_tz := pgrollup_internal.check_timezone(p_timezone, 'p_timezone');
    ELSE
        SELECT a.timezone INTO v_tz FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    END IF;
    IF v_tz IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('account %s has no reporting timezone: set one with pgrollup.set_reporting_timezone (p_account_id)', p_account_id);
    END IF;
    v_lo := CASE WHEN p_from IS NULL THEN '-infinity'::timestamptz ELSE pgrollup_internal.reporting_day_start(p_from, v_tz) END;
    v_hi := CASE WHEN p_to IS NULL THEN 'infinity'::timestamptz ELSE pgrollup_internal.reporting_day_start(p_to + 1, v_tz) END;
    RETURN QUERY
    SELECT v_tz,
           COALESCE(p_from, pg_catalog.min(x.d)),
           COALESCE(p_to, pg_catalog.max(x.d)),
           (COALESCE(p_to, pg_catalog.max(x.d)) - COALESCE(p_from, pg_catalog.min(x.d)) + 1)::integer,
           pg_catalog.count(*)
      FROM (SELECT (pgrollup_internal.utc(e.created_at) AT TIME ZONE v_tz)::date AS d
              FROM "public".reporting_events AS e
             WHERE e.account_id = p_account_id
               AND e.name = ANY (ARRAY(SELECT m.event_name FROM pgrollup.event_metrics AS m))
               AND e.created_at >= v_lo AND e.created_at < v_hi) AS x;
END;
$$;

COMMENT ON FUNCTION pgrollup.reporting_backfill_plan(p_account_id bigint, p_from date, p_to date, p_timezone text) IS 'What a reporting backfill (or a timezone change, with p_timezone) would rebuild for an account: the zone, the first and last local day (defaults: those with registered events), the number of days and of registered events. Changes nothing.';

CREATE PROCEDURE pgrollup.run_refresh(IN p_module text DEFAULT NULL::text, IN p_wait boolean DEFAULT true, INOUT p_run_ids bigint[] DEFAULT NULL::bigint[])
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_run_id bigint;
BEGIN
    -- No SECURITY DEFINER and no SET search_path: a procedure with either may not COMMIT. It names
    -- nothing unqualified; the two steps it calls are definers with a pinned search_path.
    p_run_ids := ARRAY(SELECT pgrollup.refresh_begin(p_module));
    COMMIT;                                -- the attempts are on record before any work
    FOREACH v_run_id IN ARRAY p_run_ids LOOP
        PERFORM pgrollup.refresh_run(v_run_id, p_wait);
        COMMIT;
    END LOOP;
END;
$$;

COMMENT ON PROCEDURE pgrollup.run_refresh(IN p_module text, IN p_wait boolean, INOUT p_run_ids bigint[]) IS 'Refresh for schedulers (pg_cron runs it, so does pgrollup refresh): like pgrollup.refresh, but each module''s attempt is committed to pgrollup.refresh_runs (status running) before its work and completed after, so an attempt cancelled by statement_timeout, lock_timeout or a client stays on record. CALL it outside a transaction block. Returns the run ids (a skipped module''s record is removed).';

CREATE FUNCTION pgrollup.set_messaging_mode(p_mode text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_current text;
    v_lock_timeout text;
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('incremental', 'materialized_view') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('invalid p_mode %s: expected incremental or materialized_view',
                                        COALESCE(pg_catalog.quote_literal(p_mode), 'NULL'));
    END IF;
    IF p_mode = 'materialized_view'
       AND pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'materialized_view mode is not supported on Citus: the messaging sources are distributed, and so is the incremental state that the refresh keeps on the workers';
    END IF;
    PERFORM pgrollup_internal.lock_module('messaging', true);   -- never races a refresh or backfill
    v_current := pgrollup_internal.messaging_mode();
    IF v_current = p_mode THEN
        PERFORM pgrollup_internal.messaging_attach();   -- make sure the triggers match the mode
        PERFORM pgrollup_internal.messaging_route();
        RETURN;
    END IF;
    -- the triggers' short lock on each source table: at most 5 s (or the caller's shorter
    -- lock_timeout), never queued behind a long application transaction while blocking its writers
    v_lock_timeout := pg_catalog.current_setting('lock_timeout');
    IF v_lock_timeout = '0' THEN
        PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    END IF;
    UPDATE pgrollup_internal.settings AS s SET value = p_mode WHERE s.name = 'messaging.mode';
    UPDATE pgrollup_internal.settings AS s SET value = pg_catalog.now()::text WHERE s.name = 'messaging.mode_since';
    DELETE FROM pgrollup_internal.settings AS s WHERE s.name = 'messaging.build_pending';
    IF p_mode = 'materialized_view' THEN
        -- the materialized views are built from source (reads only: writers go on), then the
        -- triggers go (a short lock on each source table, bounded by lock_timeout)
        IF pg_catalog.to_regclass('pgrollup_internal.msg_mv_message') IS NULL THEN
            PERFORM pgrollup_internal.messaging_create_mvs();
        ELSE
            -- back before the incremental build ran: readers still read these, bring them up to date
            PERFORM pgrollup_internal.messaging_refresh_mvs();
        END IF;
        PERFORM pgrollup_internal.messaging_route();
        PERFORM pgrollup_internal.messaging_detach();
        -- incremental state is rebuilt from source when switching back
        DELETE FROM pgrollup_internal.msg_changes;
        DELETE FROM pgrollup_internal.msg_contact_hourly;
        DELETE FROM pgrollup_internal.msg_campaign_daily;
        DELETE FROM pgrollup_internal.msg_tenant_daily;
        DELETE FROM pgrollup_internal.msg_contrib;
        DELETE FROM pgrollup_internal.msg_state;
        DELETE FROM pgrollup_internal.msg_transitions;
    ELSE
        -- Only the capture triggers are created here (a short lock on each source table, bounded
        -- by lock_timeout): from this commit on every change is captured. The incremental state is
        -- built from source by the next refresh (a full-rebuild request in the change log), while
        -- writers go on; until then readers keep reading the materialized views.
        PERFORM pgrollup_internal.messaging_attach();
        INSERT INTO pgrollup_internal.settings (name, value) VALUES ('messaging.build_pending', 'true');
        INSERT INTO pgrollup_internal.msg_changes (message_id, transition_id, tenant_id) VALUES (NULL, NULL, NULL);
        PERFORM pgrollup_internal.messaging_route();
    END IF;
    PERFORM pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
END;
$$;

COMMENT ON FUNCTION pgrollup.set_messaging_mode(p_mode text) IS 'Switches the messaging module between incremental (capture triggers on the source tables, refresh applies only what changed; default) and materialized_view (no triggers; refresh runs REFRESH MATERIALIZED VIEW CONCURRENTLY). Switching never holds writers beyond a short lock on each source table (lock_timeout 5s unless the caller set a shorter one): to materialized_view it builds the materialized views at once (reading source only); to incremental it attaches the capture triggers and the next pgrollup.refresh(''messaging'') builds the incremental state while writers go on, readers keeping the materialized views until then. The public views and read functions are the same in both modes.';

CREATE FUNCTION pgrollup.set_reporting_mode(p_mode text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- One mode is left: realtime (writers append to the change log, reads fold its tail in,
    -- refresh applies it). The immediate and deferred modes were removed (docs/REPORTING.md).
    IF p_mode IS NULL OR p_mode <> 'realtime' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_mode must be realtime (the only reporting mode; immediate and deferred were removed), not %s',
                                        COALESCE(pg_catalog.quote_literal(p_mode), 'NULL'));
    END IF;
    PERFORM pgrollup_internal.lock_module('reporting', true);
    UPDATE pgrollup_internal.settings AS s SET value = p_mode WHERE s.name = 'reporting_mode';
    IF NOT FOUND THEN
        INSERT INTO pgrollup_internal.settings (name, value) VALUES ('reporting_mode', p_mode);
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup.set_reporting_mode(p_mode text) IS 'Sets the reporting mode; realtime is the only one (writers append to a change log, every read folds the changes not applied yet in, pgrollup.refresh(''reporting'') applies them). Anything else raises 22023.';

CREATE FUNCTION pgrollup.set_reporting_timezone(p_account_id bigint, p_timezone text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_tz  text;
    v_old text;
    v_now timestamptz := pg_catalog.now();   -- a value, not a function call, in the upsert (Citus asks it of reference tables)
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_timezone IS NOT NULL THEN
        v_tz := pgrollup_internal.check_timezone(p_timezone, 'p_timezone');
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = '25001',
            MESSAGE = 'pgrollup.set_reporting_timezone must run in a READ COMMITTED transaction';
    END IF;
    -- serializes with refresh and backfills; writers never wait (see reporting_restate)
    PERFORM pgrollup_internal.lock_module('reporting', true);
    SELECT a.timezone INTO v_old FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    INSERT INTO pgrollup_internal.reporting_accounts AS a (account_id, timezone)
    VALUES (p_account_id, v_tz)
    ON CONFLICT (account_id) DO UPDATE SET timezone = EXCLUDED.timezone, updated_at = v_now;
    IF v_old IS DISTINCT FROM v_tz THEN
        -- restate at once: all of the account's rows in the new zone (or none without a zone)
        PERFORM pgrollup_internal.reporting_restate(p_account_id, NULL, NULL);
        UPDATE pgrollup_internal.reporting_accounts AS a SET restated_at = v_now
         WHERE a.account_id = p_account_id;
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup.set_reporting_timezone(p_account_id bigint, p_timezone text) IS 'Sets an account''s reporting timezone (IANA name, validated; 22023 otherwise) and restates all its rollup rows in that zone at once, atomically and safely while events arrive. NULL turns rollups off for the account and removes its rows.';

CREATE FUNCTION pgrollup.set_rollup_reads(p_account_id bigint, p_enabled boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_now timestamptz := pg_catalog.now();   -- a value, not a function call, in the upsert (Citus asks it of reference tables)
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_enabled IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_enabled must be true or false, not NULL';
    END IF;
    INSERT INTO pgrollup_internal.reporting_accounts AS a (account_id, rollup_reads)
    VALUES (p_account_id, p_enabled)
    ON CONFLICT (account_id) DO UPDATE SET rollup_reads = EXCLUDED.rollup_reads, updated_at = v_now;
END;
$$;

COMMENT ON FUNCTION pgrollup.set_rollup_reads(p_account_id bigint, p_enabled boolean) IS 'Turns the rollup read path of pgrollup.report_summary / report_timeseries on or off for an account (default off: raw queries). Writes do not depend on it.';

CREATE FUNCTION pgrollup.set_tenant_timezone(p_tenant_id bigint, p_timezone text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_new text;
    v_old text;
    v_now timestamptz := pg_catalog.now();   -- a value, not a function call, in the upsert (Citus asks it of reference tables)
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_tenant_id must not be NULL';
    END IF;
    v_new := CASE WHEN p_timezone IS NULL THEN 'UTC' ELSE pgrollup_internal.check_timezone(p_timezone, 'p_timezone') END;
    SELECT z.timezone INTO v_old FROM pgrollup_internal.msg_tenants AS z WHERE z.tenant_id = p_tenant_id FOR UPDATE;
    IF p_timezone IS NULL THEN
        DELETE FROM pgrollup_internal.msg_tenants AS z WHERE z.tenant_id = p_tenant_id;
    ELSE
        INSERT INTO pgrollup_internal.msg_tenants AS z (tenant_id, timezone, updated_at) VALUES (p_tenant_id, v_new, v_now)
        ON CONFLICT (tenant_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at;
    END IF;
    IF COALESCE(v_old, 'UTC') IS DISTINCT FROM v_new THEN
        -- the next refresh restates the tenant's whole history in the new zone
        INSERT INTO pgrollup_internal.msg_changes (tenant_id) VALUES (p_tenant_id);
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup.set_tenant_timezone(p_tenant_id bigint, p_timezone text) IS 'Sets the IANA time zone of a messaging tenant (local hours and dates of its rollups); NULL resets it to the default UTC. Invalid zones raise SQLSTATE 22023. The whole history of the tenant is restated at the next pgrollup.refresh().';

CREATE TABLE pgrollup_internal.msg_tenant_daily (
    tenant_id bigint NOT NULL,
    date date NOT NULL,
    sends bigint DEFAULT 0 NOT NULL,
    delivered bigint DEFAULT 0 NOT NULL,
    opens bigint DEFAULT 0 NOT NULL,
    clicks bigint DEFAULT 0 NOT NULL,
    bounces bigint DEFAULT 0 NOT NULL,
    unsubscribes bigint DEFAULT 0 NOT NULL,
    unique_opens bigint DEFAULT 0 NOT NULL,
    unique_clicks bigint DEFAULT 0 NOT NULL
);

COMMENT ON TABLE pgrollup_internal.msg_tenant_daily IS 'messaging rollup (incremental mode): metrics per tenant and local date; read through pgrollup.metrics_tenant_daily.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.tenant_id IS 'Tenant.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.date IS 'Local date in the tenant''s zone.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.sends IS 'Count of sends in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.delivered IS 'Count of delivered in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.opens IS 'Count of opens in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.clicks IS 'Count of clicks in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.bounces IS 'Count of bounces in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.unsubscribes IS 'Count of unsubscribes in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.unique_opens IS 'Count of unique_opens in the bucket.';

COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.unique_clicks IS 'Count of unique_clicks in the bucket.';

CREATE VIEW pgrollup_internal.msg_inc_tenant_daily AS
 SELECT r.tenant_id,
    r.date,
    r.sends,
    r.delivered,
    r.opens,
    r.clicks,
    r.bounces,
    r.unsubscribes,
    r.unique_opens,
    r.unique_clicks
   FROM pgrollup_internal.msg_tenant_daily r;

COMMENT ON VIEW pgrollup_internal.msg_inc_tenant_daily IS 'messaging incremental mode: tenant-daily rollup in the public column order.';

CREATE VIEW pgrollup_internal.msg_route_tenant_daily AS
 SELECT msg_inc_tenant_daily.tenant_id,
    msg_inc_tenant_daily.date,
    msg_inc_tenant_daily.sends,
    msg_inc_tenant_daily.delivered,
    msg_inc_tenant_daily.opens,
    msg_inc_tenant_daily.clicks,
    msg_inc_tenant_daily.bounces,
    msg_inc_tenant_daily.unsubscribes,
    msg_inc_tenant_daily.unique_opens,
    msg_inc_tenant_daily.unique_clicks
   FROM pgrollup_internal.msg_inc_tenant_daily;

COMMENT ON VIEW pgrollup_internal.msg_route_tenant_daily IS 'Router behind pgrollup.metrics_tenant_daily: the incremental rollup or the materialized view, per messaging mode.';

CREATE VIEW pgrollup.metrics_tenant_daily AS
 SELECT r.tenant_id,
    r.date,
    r.sends,
    r.delivered,
    r.opens,
    r.clicks,
    r.bounces,
    r.unsubscribes,
    r.unique_opens,
    r.unique_clicks
   FROM pgrollup_internal.msg_route_tenant_daily r;

COMMENT ON VIEW pgrollup.metrics_tenant_daily IS 'Messaging metrics per tenant and local date in the tenant''s zone (days with activity only; all messages, with or without campaign). Current as of the last pgrollup.refresh(''messaging''). For a dashboard slice use pgrollup.tenant_daily().';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.tenant_id IS 'Tenant (outbound_messages.tenant_id).';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.date IS 'Local date in the tenant''s zone (23 or 25 hours long on DST days).';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.sends IS 'Messages sent (sent_at) in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.delivered IS 'Delivered events (event types mapped to delivered in pgrollup.message_event_metrics) in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.opens IS 'Open events in the bucket (every open counts).';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.clicks IS 'Click events in the bucket (every click counts).';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.bounces IS 'Bounce events in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.unsubscribes IS 'Unsubscribe events in the bucket.';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.unique_opens IS 'Messages whose first open falls in the bucket (each message counts once, at its earliest open).';

COMMENT ON COLUMN pgrollup.metrics_tenant_daily.unique_clicks IS 'Messages whose first click falls in the bucket (each message counts once, at its earliest click).';

CREATE FUNCTION pgrollup.tenant_daily(p_tenant_id bigint, p_from date, p_to date) RETURNS SETOF pgrollup.metrics_tenant_daily
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_limit bigint := pgrollup_internal.read_limit();
    v_rows  bigint;
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_tenant_id must not be NULL';
    END IF;
    IF p_from IS NULL OR p_to IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_from and p_to must not be NULL';
    END IF;
    RETURN QUERY
    SELECT v.* FROM pgrollup.metrics_tenant_daily AS v
     WHERE v.tenant_id = p_tenant_id AND v.date >= p_from AND v.date <= p_to
     ORDER BY v.date
     LIMIT v_limit + 1;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM pgrollup_internal.check_read_rows('tenant_daily', v_rows, v_limit);
END;
$$;

COMMENT ON FUNCTION pgrollup.tenant_daily(p_tenant_id bigint, p_from date, p_to date) IS 'Dashboard slice of pgrollup.metrics_tenant_daily: one tenant, local dates p_from..p_to inclusive, ordered by date. Index-backed. More than max_read_buckets rows (100000 by default) are refused with 54000 (at most that many are read).';

CREATE FUNCTION pgrollup.version() RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN '0.1.0'::text;

COMMENT ON FUNCTION pgrollup.version() IS 'Version of the installed pgrollup SQL (functions and views are re-applied on every install, so this is the version of the last install).';

CREATE FUNCTION pgrollup_internal.attach_capture(p_module text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_schema text;
    v_spec   record;
    v_root   regclass;
BEGIN
    -- the module's declared capture triggers (pgrollup_internal.capture_triggers) on each source
    -- table, then on every partition of it; idempotent
    PERFORM pgrollup_internal.lock_module(p_module, true);   -- never races a refresh covering partitions
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = p_module;
    FOR v_spec IN
        SELECT c.* FROM pgrollup_internal.capture_triggers AS c
         WHERE c.module = p_module ORDER BY c.table_name, c.trigger_name
    LOOP
        v_root := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, v_spec.table_name));
        IF v_root IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '42P01',
                MESSAGE = pg_catalog.format('%s: source table %I.%I does not exist', p_module, v_schema, v_spec.table_name);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_root AND t.tgname = v_spec.trigger_name) THEN
            PERFORM pgrollup_internal.create_capture_trigger(v_root, v_spec.trigger_name, v_spec.event,
                                                             v_spec.function_name, v_spec.old_table, v_spec.new_table);
        END IF;
    END LOOP;
    -- partitions: busy ones are skipped (and reported) rather than failing the install; the next
    -- refresh covers them
    PERFORM pgrollup_internal.cover_partitions(p_module, true, true);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.attach_capture(p_module text) IS 'Creates a module''s declared capture triggers on its source tables (waiting for locks) and on every partition of them (skipping busy ones, which the next refresh covers), idempotently; called by the module''s attach hook.';

CREATE FUNCTION pgrollup_internal.base_type(p_type oid) RETURNS oid
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
WITH RECURSIVE d (typ, depth) AS (
    SELECT p_type, 0
    UNION ALL
    SELECT y.typbasetype, d.depth + 1
      FROM d JOIN pg_catalog.pg_type AS y ON y.oid = d.typ
     WHERE y.typtype = 'd' AND d.depth < 32
)
SELECT d.typ FROM d ORDER BY d.depth DESC LIMIT 1;
$$;

COMMENT ON FUNCTION pgrollup_internal.base_type(p_type oid) IS 'The type a column of the given type holds: the type itself, or a domain''s base type (through domains over domains).';

CREATE FUNCTION pgrollup_internal.bind_capture(p_function regprocedure, p_source regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_def   text := pg_catalog.pg_get_functiondef(p_function);
    v_bound text;
BEGIN
    v_bound := pg_catalog.regexp_replace(v_def, '''[0-9]+''::pg_catalog\.regclass',
                                         pg_catalog.format('%L::pg_catalog.regclass', COALESCE(p_source::oid, 0::oid)::text), 'g');
    IF v_bound IS DISTINCT FROM v_def THEN
        EXECUTE v_bound;
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.bind_capture(p_function regprocedure, p_source regclass) IS 'Binds a capture trigger function to its source table: replaces the OID in its regclass constants (''0'' in the function files) with the table''s, so its column check can be folded into its cached plans; called by the attach hooks.';

CREATE FUNCTION pgrollup_internal.capture_columns_ok(p_module text, p_table text, p_source regclass) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN pgrollup_internal.source_drift(p_module, p_table, p_source::oid) IS NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.capture_columns_ok(p_module text, p_table text, p_source regclass) IS 'Plan-time column check of the capture triggers (IMMUTABLE on purpose, folded into their cached plans, which depend on the source table and are planned again after any change of it): true when source_drift finds nothing on the source table.';

CREATE FUNCTION pgrollup_internal.capture_note_drift(p_module text, p_table text, p_relid oid) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.capture_failures AS f
                    WHERE f.module = p_module AND f.relation = p_relid::regclass::text) THEN
        PERFORM pgrollup_internal.capture_skipped(p_module, p_table, p_relid);
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.capture_note_drift(p_module text, p_table text, p_relid oid) IS 'Records a column drift a capture trigger''s fast path found (once per relation, through capture_skipped); the trigger then skips capture and lets the statement through.';

CREATE FUNCTION pgrollup_internal.capture_partition_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_slices jsonb;
BEGIN
    -- on a Citus shard (no pgrollup tables there): let the write through; see capture_problems()
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- on the Citus coordinator the TRUNCATE of a distributed partition fires this on the shell
    -- table too: its rows are on the workers, where this trigger does nothing (health reports it)
    IF pgrollup_internal.citus_placement(TG_RELID) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- BEFORE TRUNCATE of a partition (TG_ARGV: module, source table): its rows are still there;
    -- note the slices they contribute to, which the module's next refresh restates. Never fails the
    -- application's statement: without a slices function or with column drift, everything is
    -- restated instead.
    v_slices := pgrollup_internal.relation_slices(TG_ARGV[0], TG_ARGV[1], TG_RELID);
    IF v_slices = '[]'::jsonb THEN
        RETURN NULL;                           -- an empty partition: nothing to restate
    END IF;
    INSERT INTO pgrollup_internal.partition_restates (module, relation, slices)
    VALUES (TG_ARGV[0], TG_RELID::regclass::text, v_slices);
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.capture_partition_truncate() IS 'BEFORE TRUNCATE trigger on each partition of a source table (arguments: module, source table): queues the slices the partition''s rows contribute to in pgrollup_internal.partition_restates, for the module''s next refresh to restate. Never fails the statement.';

CREATE FUNCTION pgrollup_internal.capture_problems(p_module text, p_mode text) RETURNS text[]
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- PL/pgSQL so the query below is planned once per session (rollup_health is polled).
    -- Findings ('critical:...' / 'warning:...') about a module's capture, for rollup_health: the
    -- source tables, their partitions and triggers as the module declared them
    -- (pgrollup_internal.capture_triggers, for the modes listed there), column drift, statements
    -- whose capture was skipped, and source rows set aside. Catalog lookups only.
    RETURN (
    WITH tabs AS (
        SELECT c.table_name,
               pg_catalog.to_regclass(pg_catalog.format('%I.%I', m.source_schema, c.table_name)) AS root,
               pg_catalog.format('%I.%I', m.source_schema, c.table_name) AS qualified
          FROM pgrollup_internal.modules AS m
          JOIN pgrollup_internal.capture_triggers AS c ON c.module = m.module
         WHERE m.module = p_module AND (c.modes IS NULL OR p_mode = ANY (c.modes))
         GROUP BY c.table_name, m.source_schema
    ), members AS (
        -- the table itself and its partitions and inheritance children (source_tree)
        SELECT t.table_name, t.root, t.root AS relid, true AS is_root
          FROM tabs AS t WHERE t.root IS NOT NULL
        UNION ALL
        SELECT t.table_name, t.root, p.relid, false
          FROM tabs AS t
         CROSS JOIN LATERAL pgrollup_internal.source_tree(t.root) AS p
          JOIN pg_catalog.pg_class AS k ON k.oid = p.relid
         WHERE t.root IS NOT NULL AND p.relid <> t.root AND k.relkind IN ('r', 'p')
    ), expected AS (
        SELECT mb.table_name, mb.relid, mb.is_root, c.trigger_name
          FROM members AS mb
          JOIN pgrollup_internal.capture_triggers AS c
            ON c.module = p_module AND c.table_name = mb.table_name
           AND (c.modes IS NULL OR p_mode = ANY (c.modes)) AND (mb.is_root OR NOT c.root_only)
        UNION ALL
        SELECT mb.table_name, mb.relid, false, 'pgrollup_partition_truncate'
          FROM members AS mb
         WHERE NOT mb.is_root
           AND EXISTS (SELECT 1 FROM pgrollup_internal.modules AS m WHERE m.module = p_module AND m.slices_function IS NOT NULL)
    ), trig AS (
        SELECT e.relid, e.is_root,
               pg_catalog.string_agg(e.trigger_name, ', ' ORDER BY e.trigger_name) FILTER (WHERE g.oid IS NULL) AS missing,
               pg_catalog.string_agg(e.trigger_name, ', ' ORDER BY e.trigger_name) FILTER (WHERE g.tgenabled = 'D') AS disabled
          FROM expected AS e
          LEFT JOIN pg_catalog.pg_trigger AS g ON g.tgrelid = e.relid AND g.tgname = e.trigger_name
         GROUP BY e.relid, e.is_root
    ), findings AS (
        SELECT 'critical:source table ' || t.qualified || ' is missing: recreate it, re-run pgrollup install, then backfill' AS f
          FROM tabs AS t WHERE t.root IS NULL
        UNION ALL
        SELECT 'critical:source table ' || t.qualified || ' was dropped and recreated (its capture triggers went with it): re-run pgrollup install (it restates everything)'
          FROM tabs AS t
          JOIN pgrollup_internal.source_partitions AS p ON p.module = p_module AND p.table_name = t.table_name AND p.is_root
         WHERE t.root IS NOT NULL AND p.relid <> t.root::oid
        UNION ALL
        SELECT 'critical:' || d.drift || ': capture of that table is skipped; fix the column (or re-run pgrollup install after the application migration), then backfill'
          FROM tabs AS t
         CROSS JOIN LATERAL (SELECT pgrollup_internal.source_drift(p_module, t.table_name, t.root) AS drift) AS d
         WHERE t.root IS NOT NULL AND d.drift IS NOT NULL
        UNION ALL
        -- a source the application distributed with Citus after install (citus.enable_unsafe_triggers):
        -- Citus copied the capture triggers to the shards, where pgrollup's tables are not; each
        -- capture trigger then returns at once (one catalog-cache lookup per statement), so the
        -- application's writes go through uncaptured, and this finding says so
        SELECT 'critical:source table ' || mb.relid::regclass::text || ' is ' || z.kind
               || ': pgrollup''s triggers capture nothing on its shards and writes to it are not counted;'
               || CASE WHEN p_module = 'reporting' AND z.kind = 'a Citus distributed table (by account_id)'
                       THEN ' re-run pgrollup install (it moves reporting''s tables next to the shards, docs/SCALE-OUT.md), then backfill what was written meanwhile'
                       WHEN p_module = 'messaging' AND z.kind = 'a Citus distributed table (by tenant_id)'
                            AND EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k
                                         WHERE k.oid = mb.relid AND k.relkind = 'r' AND NOT k.relispartition)
                       THEN ' re-run pgrollup install once all three messaging sources are distributed by tenant_id and colocated (it moves messaging''s tables next to the shards and rebuilds them, docs/SCALE-OUT.md)'
                       ELSE ' pgrollup does not capture this Citus layout: run pgrollup uninstall (it removes the triggers from every shard)' END
          FROM members AS mb
         CROSS JOIN LATERAL (SELECT pgrollup_internal.citus_placement(mb.relid) AS kind) AS z
         WHERE z.kind IS NOT NULL
           -- except reporting's own Citus layout (pgrollup_internal.reporting_citus_layout), whose
           -- row-level trigger is declared in capture_triggers and checked like the others
           AND NOT (p_module = 'reporting' AND z.kind = 'a Citus distributed table (by account_id)'
                    AND pgrollup_internal.citus_placement(pg_catalog.to_regclass('pgrollup_internal.reporting_changes')) IS NOT NULL)
           -- and messaging's (pgrollup_internal.messaging_citus_layout)
           AND NOT (p_module = 'messaging' AND z.kind = 'a Citus distributed table (by tenant_id)'
                    AND pgrollup_internal.citus_placement(pg_catalog.to_regclass('pgrollup_internal.msg_changes')) IS NOT NULL)
        UNION ALL
        -- reporting or messaging on Citus: a worker that does not answer holds shards whose refresh fails (and
        -- is retried) and whose accounts cannot be read until it is back
        SELECT 'critical:Citus node ' || n.node || ' does not answer; the refresh of its shards fails and is retried, '
               || 'reads of their accounts or tenants fail until it is back'
          FROM pg_catalog.unnest(CASE WHEN (p_module = 'reporting'
                                            AND pgrollup_internal.citus_placement(pg_catalog.to_regclass('pgrollup_internal.reporting_changes')) IS NOT NULL)
                                        OR (p_module = 'messaging'
                                            AND pgrollup_internal.citus_placement(pg_catalog.to_regclass('pgrollup_internal.msg_changes')) IS NOT NULL)
                                      THEN pgrollup_internal.citus_unreachable_nodes() END) AS n(node)
        UNION ALL
        SELECT 'critical:capture triggers missing on ' || r.relid::regclass::text || ' (' || r.missing || ')'
               || CASE WHEN r.is_root THEN ': writes are not captured; re-run pgrollup install, then backfill'
                       ELSE ': partition not covered by capture; the next refresh covers it (if this stays, pgrollup may lack the TRIGGER privilege on it or it is always locked), or re-run pgrollup install' END
          FROM trig AS r WHERE r.missing IS NOT NULL
        UNION ALL
        SELECT 'critical:capture triggers disabled on ' || r.relid::regclass::text || ' (' || r.disabled || '): ALTER TABLE '
               || r.relid::regclass::text || ' ENABLE TRIGGER ...; then backfill what was written meanwhile'
          FROM trig AS r WHERE r.disabled IS NOT NULL
        UNION ALL
        SELECT 'critical:capture skipped on ' || f.relation || ' since ' || pg_catalog.min(f.seen_at)::text || ' (' || f.problem
               || '): fix the column or re-run pgrollup install, then backfill (a full backfill clears this)'
          FROM pgrollup_internal.capture_failures AS f
         WHERE f.module = p_module
         GROUP BY f.relation, f.problem
        UNION ALL
        SELECT 'warning:' || r.rows::text || ' source row(s) set aside since ' || r.first_seen::text || ' (' || r.reason
               || '): they count toward nothing; fix those rows (the next refresh counts them) or backfill'
          FROM pgrollup_internal.rows_set_aside AS r
         WHERE r.module = p_module AND r.rows > 0
    )
    SELECT COALESCE(pg_catalog.array_agg(x.f ORDER BY x.f), '{}'::text[]) FROM findings AS x);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.capture_problems(p_module text, p_mode text) IS 'Findings about a module''s capture for rollup_health (''critical:...'' or ''warning:...''): missing source tables, tables dropped and recreated, column drift, missing or disabled capture triggers on a source table or any partition, uncovered partitions, statements whose capture was skipped, and source rows set aside, each with its repair.';

CREATE FUNCTION pgrollup_internal.capture_skipped(p_module text, p_table text, p_relid oid) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_drift text := pgrollup_internal.source_drift(p_module, p_table, p_relid);
BEGIN
    IF v_drift IS NULL THEN
        RETURN false;
    END IF;
    INSERT INTO pgrollup_internal.capture_failures (module, relation, problem, seen_at)
    SELECT p_module, p_relid::regclass::text, v_drift, pg_catalog.now()
     WHERE NOT EXISTS (SELECT 1 FROM pgrollup_internal.capture_failures AS f
                        WHERE f.module = p_module AND f.relation = p_relid::regclass::text AND f.problem = v_drift);
    RETURN true;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.capture_skipped(p_module text, p_table text, p_relid oid) IS 'Guard for capture triggers: true (after recording the problem once in pgrollup_internal.capture_failures) when a column the module reads from the table has drifted on the relation written to, so the trigger skips capture instead of failing the statement.';

CREATE FUNCTION pgrollup_internal.check_read_rows(p_function text, p_rows bigint, p_limit bigint) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- Read functions that return only existing rows read at most p_limit + 1 of them (LIMIT) and
    -- call this with how many came back: more than the limit is refused (54000), the work stays bounded.
    IF p_rows > p_limit THEN
        RAISE EXCEPTION USING ERRCODE = '54000',
            MESSAGE = pg_catalog.format('%s: the request returns more than the %s rows a read may return', p_function, p_limit),
            HINT = 'Narrow the range (the limit is the setting max_read_buckets in pgrollup_internal.settings).';
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.check_read_rows(p_function text, p_rows bigint, p_limit bigint) IS 'Refuses (54000) a read that returned more than p_limit rows (the caller reads at most p_limit + 1).';

CREATE FUNCTION pgrollup_internal.check_read_size(p_function text, p_unit text, p_buckets numeric) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_limit bigint;
BEGIN
    -- Read functions call this with the number of buckets (hours, days, ...) a request spans,
    -- computed from its arguments alone, before any work: a request over a huge range is refused
    -- at once instead of writing gigabytes of temporary files.
    IF p_buckets IS NULL THEN
        RETURN;
    END IF;
    v_limit := pgrollup_internal.read_limit();
    IF p_buckets > v_limit THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('%s: the range spans %s %s buckets, more than the %s a read may return',
                                        p_function, pg_catalog.ceil(p_buckets)::text, p_unit, v_limit),
            HINT = 'Narrow the range or use a coarser grouping (the limit is the setting max_read_buckets in pgrollup_internal.settings).';
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.check_read_size(p_function text, p_unit text, p_buckets numeric) IS 'Refuses (22023) a read whose range spans more buckets than max_read_buckets (pgrollup_internal.settings, default 100000), before the read does any work.';

CREATE FUNCTION pgrollup_internal.check_timezone(p_timezone text, p_argument text DEFAULT 'p_timezone'::text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_name text;
BEGIN
    -- no zone name is longer than 64 characters: a longer value is refused without a lookup
    IF p_timezone IS NOT NULL AND p_timezone <> '' AND pg_catalog.length(p_timezone) <= 64 THEN
        -- the cached copy first (an index lookup), then pg_timezone_names itself (reads the zone
        -- files), each exact and then in another letter case
        SELECT t.name INTO v_name FROM pgrollup_internal.timezone_names AS t WHERE t.name = p_timezone;
        IF v_name IS NULL THEN
            SELECT pg_catalog.min(t.name) INTO v_name FROM pgrollup_internal.timezone_names AS t
             WHERE pg_catalog.lower(t.name) = pg_catalog.lower(p_timezone);
        END IF;
        IF v_name IS NULL THEN
            SELECT pg_catalog.min(z.name) INTO v_name
              FROM pg_catalog.pg_timezone_names() AS z(name, abbrev, utc_offset, is_dst)
             WHERE z.name = p_timezone OR pg_catalog.lower(z.name) = pg_catalog.lower(p_timezone);
        END IF;
        -- only the tz database's region names (and its links such as US/Eastern, UTC and Etc/*):
        -- not the server host's zone (localtime), tzcode's template (posixrules), the "zone not
        -- set" placeholder (Factory), nor the posix/, right/ and SystemV/ copies of the tree
        IF v_name IS NOT NULL
           AND (pg_catalog.lower(v_name) IN ('localtime', 'posixrules', 'factory')
                OR pg_catalog.lower(v_name) ~ '^(posix|right|systemv)/') THEN
            v_name := NULL;
        END IF;
    END IF;
    IF v_name IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format('invalid time zone %s for %s: expected an IANA time zone name such as Asia/Kolkata or UTC (see pg_timezone_names)',
                                        CASE WHEN p_timezone IS NULL THEN 'NULL'
                                             WHEN pg_catalog.length(p_timezone) > 100
                                             THEN pg_catalog.quote_literal(pg_catalog.left(p_timezone, 100)) || '… ('
                                                  || pg_catalog.length(p_timezone) || ' characters)'
                                             ELSE pg_catalog.quote_literal(p_timezone) END,
                                        p_argument);
    END IF;
    RETURN v_name;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.check_timezone(p_timezone text, p_argument text) IS 'Validates an IANA time zone region name (as listed in pg_timezone_names, links such as US/Eastern, UTC and Etc/* included; abbreviations, offsets, POSIX strings, localtime, posixrules, Factory and the posix/, right/, SystemV/ copies are refused) and returns its canonical spelling; raises SQLSTATE 22023 naming the argument and the bad value (its first 100 characters when longer).';

CREATE FUNCTION pgrollup_internal.citus_bind(p_function regprocedure, p_map jsonb, p_name text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_fn   record;
    v_src  text;
    v_key  text;
    v_set  text;
BEGIN
    -- A session-local copy pg_temp.<p_name>(...) of the PL/pgSQL function p_function (same
    -- arguments, result and settings), with every name of p_map replaced by its value: the
    -- single-node code run as it is on one node's shards, which are plain tables there (no
    -- distributed planning, nothing leaves the node). Names are replaced whole (word boundaries),
    -- longest first.
    SELECT p.prosrc, pg_catalog.pg_get_function_arguments(p.oid) AS args,
           pg_catalog.pg_get_function_result(p.oid) AS result, p.proconfig
      INTO v_fn
      FROM pg_catalog.pg_proc AS p WHERE p.oid = p_function;
    v_src := v_fn.prosrc;
    FOR v_key IN SELECT k FROM pg_catalog.jsonb_object_keys(p_map) AS k ORDER BY pg_catalog.length(k) DESC, k LOOP
        v_src := pg_catalog.regexp_replace(
            v_src,
            CASE WHEN v_key ~ '^\w' THEN '\m' ELSE '' END   -- (a key may start with a quote)
            || pg_catalog.regexp_replace(v_key, '([.\[\]()*+?^$|{}\\])', '\\\1', 'g') || '\M',
            pg_catalog.replace(p_map ->> v_key, '\', '\\'), 'g');
    END LOOP;
    -- the function's own settings (search_path, TimeZone, planner settings), as it has them (a
    -- list setting's value is stored as it was written: it is not quoted whole)
    SELECT COALESCE(pg_catalog.string_agg(
               CASE WHEN x.name = 'search_path' THEN pg_catalog.format(' SET search_path = %s', x.value)
                    ELSE pg_catalog.format(' SET %I = %L', x.name, x.value) END, ''), '')
      INTO v_set
      FROM (SELECT pg_catalog.split_part(c, '=', 1) AS name, pg_catalog.substr(c, pg_catalog.strpos(c, '=') + 1) AS value
              FROM pg_catalog.unnest(v_fn.proconfig) AS c) AS x;
    EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION pg_temp.%I(%s) RETURNS %s LANGUAGE plpgsql VOLATILE%s AS %L',
                              p_name, v_fn.args, v_fn.result, v_set, v_src);
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.citus_bind(p_function regprocedure, p_map jsonb, p_name text) IS 'Creates pg_temp.<p_name>(...), a session-local copy of a pgrollup PL/pgSQL function (same arguments, result and settings) with the names of p_map (see citus_shard_map) replaced: runs the single-node code on one Citus node''s local shards.';

CREATE FUNCTION pgrollup_internal.citus_bind_capture(p_function regprocedure, p_module text, p_source regclass, p_log regclass, p_insert text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_def    text := pg_catalog.pg_get_functiondef(p_function);
    v_begin  text;
    v_end    text;
    v_names  text[];
    v_leaves text[];
    v_code   text := '';
    v_new    text;
    v_prop   text;
    v_columns jsonb;
BEGIN
    -- On a Citus coordinator: writes into a capture trigger function (in its body, between the
    -- comment lines '-- pgrollup:citus-shards-begin <source table>' and '-- pgrollup:citus-shards-end
    -- <source table>') one static branch per shard of p_source, for INSERT:
    -- which shard fired the trigger is found with one array lookup on the shard's name and a
    -- binary search over the branches; the branch checks the shard's columns (those the module
    -- reads, from pgrollup_internal.source_columns; folded into its
    -- cached plan, see citus_shard_columns_folded) and that the colocated shard of the change log
    -- p_log is on this node, then runs p_insert (PL/pgSQL statements, a format() string: %1$s the
    -- log shard's name, %2$s that name as a literal) as static SQL, planned once per session and
    -- shard; p_insert returns, or leaves the rest to the general path. Any other case (another
    -- statement, a shard created after the last bind, a drifted column) goes on to the function's
    -- general path, which plans its statement at each call. Citus propagates the new definition
    -- to every node (a distributed function). Returns whether the definition changed; idempotent.
    SELECT pg_catalog.jsonb_object_agg(sc.column_name, sc.kind ORDER BY sc.column_name) INTO v_columns
      FROM pgrollup_internal.source_columns AS sc
      JOIN pg_catalog.pg_class AS c ON c.relname = sc.table_name AND c.oid = p_source
     WHERE sc.module = p_module;
    EXECUTE $q$
        SELECT pg_catalog.array_agg(c.relname || '_' || s.shardid ORDER BY s.shardid),
               pg_catalog.array_agg(pg_catalog.format(
                   E'IF pgrollup_internal.citus_shard_columns_folded(%L::pg_catalog.regclass, %L::jsonb)\n'
                    '           AND pg_catalog.to_regclass(%L) IS NOT NULL THEN\n'
                    '            %s\n'
                    '        END IF;',
                   pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || s.shardid), $3::text,
                   pg_catalog.format('%I.%I', ln.nspname, lc.relname || '_' || l.shardid),
                   pg_catalog.format($4, pg_catalog.format('%I.%I', ln.nspname, lc.relname || '_' || l.shardid),
                                     pg_catalog.quote_literal(pg_catalog.format('%I.%I', ln.nspname, lc.relname || '_' || l.shardid))))
                   ORDER BY s.shardid)
          FROM pg_catalog.pg_dist_shard AS s
          JOIN pg_catalog.pg_class AS c ON c.oid = s.logicalrelid
          JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
          JOIN pg_catalog.pg_dist_shard AS l
            ON l.logicalrelid = $2 AND l.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue
          JOIN pg_catalog.pg_class AS lc ON lc.oid = l.logicalrelid
          JOIN pg_catalog.pg_namespace AS ln ON ln.oid = lc.relnamespace
         WHERE s.logicalrelid = $1$q$
       INTO v_names, v_leaves USING p_source, p_log, v_columns, p_insert;
    SELECT '-- pgrollup:citus-shards-begin ' || c.relname, '-- pgrollup:citus-shards-end ' || c.relname
      INTO v_begin, v_end
      FROM pg_catalog.pg_class AS c WHERE c.oid = p_source;
    IF pg_catalog.strpos(v_def, v_begin) = 0 OR pg_catalog.strpos(v_def, v_end) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('%s has no shard markers for %s', p_function, p_source);
    END IF;
    IF v_names IS NOT NULL THEN
        v_code := pg_catalog.format(E'\n    IF TG_OP = \'INSERT\' THEN\n'
                                     '        v_shard := pg_catalog.array_position(%L::pg_catalog.text[], TG_TABLE_NAME::pg_catalog.text);\n'
                                     '        IF v_shard IS NOT NULL THEN\n'
                                     '        %s\n'
                                     '        END IF;\n'
                                     '    END IF;\n    ',
                                    v_names, pgrollup_internal.citus_capture_tree(v_leaves, 1, pg_catalog.cardinality(v_leaves)));
    END IF;
    v_new := pg_catalog.substr(v_def, 1, pg_catalog.strpos(v_def, v_begin) + pg_catalog.length(v_begin) - 1)
             || v_code || pg_catalog.substr(v_def, pg_catalog.strpos(v_def, v_end));
    IF v_new = v_def THEN
        RETURN false;
    END IF;
    -- propagated to every node whatever this transaction set before (a node refresh turns DDL
    -- propagation off for its own temporary tables)
    v_prop := pg_catalog.current_setting('citus.enable_ddl_propagation');
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'on', true);
    EXECUTE v_new;
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', v_prop, true);
    RETURN true;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.citus_bind_capture(p_function regprocedure, p_module text, p_source regclass, p_log regclass, p_insert text) IS 'Citus, on the coordinator: writes into a capture trigger function one static INSERT branch per shard of the source p_source (its shard''s columns, those module p_module reads per source_columns, checked in the branch''s cached plan, the PL/pgSQL statements p_insert writing into the colocated shard of the log p_log, planned once per session and shard), between the markers of its body for that source; a shard without a branch takes the function''s general path. Returns whether the definition changed.';

CREATE FUNCTION pgrollup_internal.citus_capture_tree(p_leaves text[], p_lo integer, p_hi integer) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_mid integer := (p_lo + p_hi) / 2;
    v_pad text := pg_catalog.repeat('    ', 2);
BEGIN
    -- citus_bind_capture's search over its branches p_leaves[p_lo:p_hi] by v_shard (the position
    -- of the branch): nested IF statements, one comparison per level
    IF p_lo = p_hi THEN
        RETURN p_leaves[p_lo];
    END IF;
    RETURN pg_catalog.format(E'IF v_shard <= %s THEN\n%s%s\n%sELSE\n%s%s\n%sEND IF;',
                             v_mid, v_pad, pgrollup_internal.citus_capture_tree(p_leaves, p_lo, v_mid), v_pad,
                             v_pad, pgrollup_internal.citus_capture_tree(p_leaves, v_mid + 1, p_hi), v_pad);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.citus_capture_tree(p_leaves text[], p_lo integer, p_hi integer) IS 'Citus: the PL/pgSQL text of citus_bind_capture''s search over its per-shard branches p_leaves[p_lo:p_hi] by the variable v_shard (nested IF statements, one comparison per level).';

CREATE FUNCTION pgrollup_internal.citus_colocated_shard(p_table regclass, p_shard_table name) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_shard text;
BEGIN
    -- On a Citus node, in a capture trigger fired on the shard p_shard_table (a source shard,
    -- '<table>_<shardid>'): the qualified name of the shard of p_table (a pgrollup change log)
    -- colocated with it, when that shard is on this node; NULL on the coordinator's table or when
    -- it is not here. Citus metadata exists only where Citus is installed: looked up dynamically.
    EXECUTE $q$
        SELECT pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || l.shardid)
          FROM pg_catalog.pg_dist_shard AS s
          JOIN pg_catalog.pg_dist_shard AS l
            ON l.logicalrelid = $1 AND l.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue
          JOIN pg_catalog.pg_class AS c ON c.oid = l.logicalrelid
          JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
         WHERE s.shardid = pg_catalog.substring($2, '_(\d+)$')::bigint$q$
       INTO v_shard USING p_table, p_shard_table::text;
    IF v_shard IS NULL OR pg_catalog.to_regclass(v_shard) IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN v_shard;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.citus_colocated_shard(p_table regclass, p_shard_table name) IS 'Citus, in a capture trigger on a source shard: the qualified name of the shard of p_table colocated with the shard p_shard_table (''<table>_<shardid>''), NULL when there is none on this node (the coordinator''s table). Capture triggers cache it per session and shard.';

CREATE FUNCTION pgrollup_internal.citus_placement(p_rel regclass) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_kind text;
BEGIN
    -- pg_dist_partition exists only where Citus is installed: looked up dynamically
    IF p_rel IS NULL OR pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE $q$
        SELECT CASE WHEN d.partmethod = 'h'
                    THEN 'a Citus distributed table (by ' || pg_catalog.column_to_column_name(d.logicalrelid, d.partkey) || ')'
                    WHEN d.partmethod = 'n' AND d.repmodel = 't' THEN 'a Citus reference table'
                    ELSE 'a Citus table' END
          FROM pg_catalog.pg_dist_partition AS d
         WHERE d.logicalrelid = $1$q$
       INTO v_kind USING p_rel;
    RETURN v_kind;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.citus_placement(p_rel regclass) IS 'How Citus holds a relation (''a Citus distributed table (by <column>)'', ''a Citus reference table'', ''a Citus table''), or NULL when it is not a Citus table or Citus is not installed. Used by rollup_health and the reporting module''s Citus layout.';

CREATE FUNCTION pgrollup_internal.citus_rebind_capture(p_module text, p_bind regprocedure) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_changed boolean;
BEGIN
    -- After a Citus refresh of module p_module, on the coordinator: runs its bind function p_bind
    -- (reporting_citus_bind_capture, messaging_citus_bind_capture), so that shards created since
    -- the last bind (a shard split) get their static capture branch. A failure here leaves those
    -- shards on the general path, which captures them as exactly: a WARNING, not a failed refresh.
    EXECUTE pg_catalog.format('SELECT %s()', p_bind::oid::pg_catalog.regproc) INTO v_changed;
    RETURN v_changed;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING '%: capture branches of new shards not written: %', p_module, SQLERRM;
    RETURN false;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.citus_rebind_capture(p_module text, p_bind regprocedure) IS 'Citus, on the coordinator, after a refresh of module p_module: runs its bind function p_bind (citus_bind_capture for each of its sources), so that shards created since the last bind get their static capture branch; a failure is a WARNING (those shards keep the general path), not a failed refresh. Returns whether the capture function changed.';

CREATE FUNCTION pgrollup_internal.citus_shard_columns_folded(p_shard regclass, p_columns jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN pgrollup_internal.citus_shard_columns_ok(p_shard, p_columns);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.citus_shard_columns_folded(p_shard regclass, p_columns jsonb) IS 'Citus: citus_shard_columns_ok declared IMMUTABLE, so that the static branches citus_bind_capture writes into a capture trigger''s function fold the column check of their shard into their cached plan (planned again after any ALTER TABLE of the shard). Called by those branches only.';

CREATE FUNCTION pgrollup_internal.citus_shard_columns_ok(p_shard regclass, p_columns jsonb) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_ok boolean;
BEGIN
    -- On a Citus node, in a capture trigger fired on a source shard in a REPEATABLE READ or
    -- SERIALIZABLE transaction: true when every column of p_columns ({"column": "kind"}, the kinds
    -- of pgrollup_internal.source_columns: id, number, text, timestamp) exists on the shard with an
    -- accepted type (kind_accepts). The columns come from the shard's row type as the server knows
    -- it now (the relation cache), not from pg_attribute read through the transaction's snapshot:
    -- that snapshot can predate a migration that committed before the statement locked the shard, while the
    -- trigger's own SQL is parsed against the new columns. Two statements planned at each call:
    -- the triggers use a cheaper pg_attribute query at READ COMMITTED, where every query of theirs
    -- takes a snapshot after the statement's lock.
    EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.?&) $1 FROM (SELECT (NULL::%s).*) AS r', p_shard)
       INTO v_ok USING ARRAY(SELECT pg_catalog.jsonb_object_keys(p_columns));
    IF v_ok THEN
        EXECUTE pg_catalog.format(
            'SELECT %s FROM (SELECT (NULL::%s).*) AS r',
            (SELECT pg_catalog.string_agg(pg_catalog.format('pgrollup_internal.kind_accepts(%L, pg_catalog.pg_typeof(r.%I)::pg_catalog.oid)',
                                                            e.value, e.key), ' AND ')
               FROM pg_catalog.jsonb_each_text(p_columns) AS e),
            p_shard)
           INTO v_ok;
    END IF;
    RETURN v_ok IS TRUE;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.citus_shard_columns_ok(p_shard regclass, p_columns jsonb) IS 'Citus, in a capture trigger on a source shard at REPEATABLE READ or SERIALIZABLE: true when every column of p_columns ({"column": "kind"}) exists on the shard with an accepted type, read from its row type as the server knows it now, not through the transaction''s snapshot.';

CREATE FUNCTION pgrollup_internal.citus_shard_map(p_shardid bigint) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_map jsonb;
BEGIN
    -- Run on a Citus node that holds the shard p_shardid of one of pgrollup's distributed tables:
    -- for every distributed table colocated with it (pgrollup's and the sources it follows) and
    -- every reference table of the pgrollup schemas, the local shard that holds the same keys (the
    -- colocated shard, the replica), and for each constraint of pgrollup's tables the shard's
    -- constraint name (Citus appends the shard id to both).
    -- Citus metadata exists only where Citus is installed: looked up dynamically.
    EXECUTE $q$
        WITH anchor AS (
            SELECT p.colocationid, s.shardminvalue
              FROM pg_catalog.pg_dist_shard AS s
              JOIN pg_catalog.pg_dist_partition AS p ON p.logicalrelid = s.logicalrelid
             WHERE s.shardid = $1
        ), shards AS (
            SELECT s.logicalrelid, s.shardid, n.nspname IN ('pgrollup', 'pgrollup_internal') AS ours
              FROM pg_catalog.pg_dist_shard AS s
              JOIN pg_catalog.pg_dist_partition AS p ON p.logicalrelid = s.logicalrelid
              JOIN pg_catalog.pg_class AS c ON c.oid = s.logicalrelid
              JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
             CROSS JOIN anchor AS a
             WHERE (p.colocationid = a.colocationid AND s.shardminvalue = a.shardminvalue)
                OR (n.nspname IN ('pgrollup', 'pgrollup_internal') AND p.partmethod = 'n' AND p.repmodel = 't')
        )
        SELECT pg_catalog.jsonb_object_agg(k, v)
          FROM (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS k,
                       pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || x.shardid) AS v
                  FROM shards AS x
                  JOIN pg_catalog.pg_class AS c ON c.oid = x.logicalrelid
                  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                UNION ALL
                -- the same with the schema quoted, as the installer writes the source schema into
                -- pgrollup's functions ("public".outbound_messages)
                SELECT '"' || pg_catalog.replace(n.nspname, '"', '""') || '".' || pg_catalog.quote_ident(c.relname),
                       pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || x.shardid)
                  FROM shards AS x
                  JOIN pg_catalog.pg_class AS c ON c.oid = x.logicalrelid
                  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                 WHERE NOT x.ours
                UNION ALL
                SELECT pg_catalog.quote_ident(o.conname), pg_catalog.quote_ident(o.conname || '_' || x.shardid)
                  FROM shards AS x
                  JOIN pg_catalog.pg_constraint AS o ON o.conrelid = x.logicalrelid
                 WHERE x.ours) AS m$q$
       INTO v_map USING p_shardid;
    RETURN v_map;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.citus_shard_map(p_shardid bigint) IS 'On a Citus node holding shard p_shardid of a pgrollup table: {"schema.table": "schema.table_<shardid>", "constraint": "constraint_<shardid>"} for every table colocated with it (pgrollup''s and the sources) and every pgrollup reference table (their local shards; constraints of pgrollup''s tables), the names pgrollup_internal.citus_bind substitutes.';

CREATE FUNCTION pgrollup_internal.citus_unreachable_nodes() RETURNS text[]
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_nodes text[];
BEGIN
    -- On a Citus coordinator: the worker nodes ('host:port (error)') that do not answer within 5
    -- seconds, without raising (run_command_on_workers reports each node's failure); NULL where
    -- Citus is not installed or every node answers.
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_catalog.set_config('citus.node_connection_timeout', '5000', true);
    EXECUTE $q$SELECT pg_catalog.array_agg(w.nodename || ':' || w.nodeport || ' (' || pg_catalog.split_part(w.result, E'\n', 1) || ')'
                                           ORDER BY w.nodename, w.nodeport)
                 FROM pg_catalog.run_command_on_workers('SELECT 1', true) AS w
                WHERE NOT w.success$q$
       INTO v_nodes;
    RETURN v_nodes;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.citus_unreachable_nodes() IS 'Citus: the worker nodes that do not answer within 5 seconds (''host:port (error)''), NULL when all answer or Citus is not installed; never raises. Used by rollup_health.';

CREATE FUNCTION pgrollup_internal.cover_partitions(p_module text, p_nowait boolean DEFAULT true, p_repair boolean DEFAULT false) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_schema    text;
    v_table     text;
    v_root      oid;
    v_old_root  oid;
    v_first     boolean;
    v_member    record;
    v_spec      record;
    v_gone      record;
    v_queued    record;
    v_has_slices boolean;
    v_missing   boolean;
    v_restated  bigint := 0;
    v_timeout   text := pg_catalog.current_setting('lock_timeout');
BEGIN
    SELECT m.source_schema, m.slices_function IS NOT NULL INTO v_schema, v_has_slices
      FROM pgrollup_internal.modules AS m WHERE m.module = p_module;
    FOR v_table IN
        SELECT DISTINCT c.table_name FROM pgrollup_internal.capture_triggers AS c
         WHERE c.module = p_module ORDER BY 1
    LOOP
        v_root := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, v_table));
        SELECT p.relid INTO v_old_root FROM pgrollup_internal.source_partitions AS p
         WHERE p.module = p_module AND p.table_name = v_table AND p.is_root;
        -- no source table, or not captured in this mode (the root carries none of the triggers; a
        -- recreated table has none until install attaches them again)
        CONTINUE WHEN v_root IS NULL;
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pgrollup_internal.capture_triggers AS c
                                    JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = v_root AND t.tgname = c.trigger_name
                                   WHERE c.module = p_module AND c.table_name = v_table);
        v_first := v_old_root IS NULL;     -- first coverage (install): the module builds from source anyway
        IF v_old_root IS DISTINCT FROM v_root THEN
            IF NOT v_first THEN
                -- dropped and recreated: what was captured from the old table is gone with it
                DELETE FROM pgrollup_internal.source_partitions AS p
                 WHERE p.module = p_module AND p.table_name = v_table;
                v_restated := v_restated + 1;
                PERFORM pgrollup_internal.restate_slices(p_module, NULL);
                v_first := true;           -- everything was restated: no member needs it again
            END IF;
            INSERT INTO pgrollup_internal.source_partitions (module, table_name, relid, relation, is_root)
            VALUES (p_module, v_table, v_root, v_root::regclass::text, true)
            ON CONFLICT (module, relid) DO UPDATE SET relation = excluded.relation, is_root = true;
        END IF;

        FOR v_member IN
            SELECT t.relid::oid AS relid, t.relid AS rel
              FROM pgrollup_internal.source_tree(v_root::regclass) AS t
              JOIN pg_catalog.pg_class AS k ON k.oid = t.relid
             WHERE t.relid <> v_root::regclass AND k.relkind IN ('r', 'p')
             ORDER BY t.level, t.relid
        LOOP
            v_missing := false;
            -- a covered partition that lost a trigger (dropped or disabled by hand) is not repaired
            -- silently by a refresh: what was written meanwhile is missing, health says so, and
            -- the repair is install (which re-creates it) and a backfill
            CONTINUE WHEN NOT p_repair AND EXISTS (SELECT 1 FROM pgrollup_internal.source_partitions AS p
                                                WHERE p.module = p_module AND p.relid = v_member.relid);
            BEGIN
                IF p_nowait THEN
                    PERFORM pg_catalog.set_config('lock_timeout', '200ms', true);
                END IF;
                FOR v_spec IN
                    SELECT c.* FROM pgrollup_internal.capture_triggers AS c
                     WHERE c.module = p_module AND c.table_name = v_table AND NOT c.root_only
                       AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_root AND t.tgname = c.trigger_name)
                       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_member.relid AND t.tgname = c.trigger_name)
                     ORDER BY c.trigger_name
                LOOP
                    PERFORM pgrollup_internal.create_capture_trigger(v_member.rel, v_spec.trigger_name, v_spec.event,
                                                                     v_spec.function_name, v_spec.old_table, v_spec.new_table);
                END LOOP;
                IF v_has_slices AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t
                                                 WHERE t.tgrelid = v_member.relid AND t.tgname = 'pgrollup_partition_truncate') THEN
                    EXECUTE pg_catalog.format('CREATE TRIGGER pgrollup_partition_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                                              'EXECUTE FUNCTION pgrollup_internal.capture_partition_truncate(%L, %L)',
                                              v_member.rel, p_module, v_table);
                END IF;
                PERFORM pg_catalog.set_config('lock_timeout', v_timeout, true);
            EXCEPTION WHEN lock_not_available OR insufficient_privilege OR object_in_use THEN
                v_missing := true;
                PERFORM pg_catalog.set_config('lock_timeout', v_timeout, true);
                RAISE WARNING 'pgrollup: could not put % capture triggers on partition % yet (%): the next refresh retries; until then health reports it',
                              p_module, v_member.rel, SQLERRM;
            END;
            CONTINUE WHEN v_missing;
            IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.source_partitions AS p
                            WHERE p.module = p_module AND p.relid = v_member.relid) THEN
                INSERT INTO pgrollup_internal.source_partitions (module, table_name, relid, relation, is_root)
                VALUES (p_module, v_table, v_member.relid, v_member.rel::text, false);
                -- rows it held before its triggers existed (a filled table attached, direct writes):
                -- restate the slices they contribute to (rows that came through the parent were
                -- captured already; restating them again changes nothing)
                IF NOT v_first THEN
                    IF pg_catalog.pg_relation_size(v_member.rel) > 0 OR EXISTS (
                           SELECT 1 FROM pgrollup_internal.source_tree(v_member.rel) AS t
                            WHERE t.isleaf AND pg_catalog.pg_relation_size(t.relid) > 0) THEN
                        v_restated := v_restated + 1;
                        PERFORM pgrollup_internal.restate_slices(p_module,
                            pgrollup_internal.relation_slices(p_module, v_table, v_member.relid));
                    END IF;
                END IF;
            END IF;
        END LOOP;

        -- members that left the tree: DETACH PARTITION (the table is still there) or DROP
        FOR v_gone IN
            SELECT p.relid, p.relation FROM pgrollup_internal.source_partitions AS p
             WHERE p.module = p_module AND p.table_name = v_table AND NOT p.is_root
               AND NOT EXISTS (SELECT 1 FROM pgrollup_internal.source_tree(v_root::regclass) AS t WHERE t.relid::oid = p.relid)
             ORDER BY p.relid
        LOOP
            v_restated := v_restated + 1;
            IF EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k WHERE k.oid = v_gone.relid) THEN
                PERFORM pgrollup_internal.restate_slices(p_module,
                    pgrollup_internal.relation_slices(p_module, v_table, v_gone.relid));
                -- no longer a source: pgrollup's triggers go
                FOR v_spec IN
                    SELECT t.tgname FROM pg_catalog.pg_trigger AS t
                     WHERE t.tgrelid = v_gone.relid
                       AND (t.tgname = 'pgrollup_partition_truncate'
                            OR t.tgname IN (SELECT c.trigger_name FROM pgrollup_internal.capture_triggers AS c
                                             WHERE c.module = p_module AND c.table_name = v_table))
                LOOP
                    EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_spec.tgname, v_gone.relid::regclass);
                END LOOP;
            ELSE
                PERFORM pgrollup_internal.restate_slices(p_module, NULL);   -- dropped: what it held is unknown
            END IF;
            DELETE FROM pgrollup_internal.source_partitions AS p
             WHERE p.module = p_module AND p.relid = v_gone.relid;
        END LOOP;
    END LOOP;

    -- TRUNCATEs of partitions since the last run
    FOR v_queued IN
        WITH q AS (DELETE FROM pgrollup_internal.partition_restates AS r WHERE r.module = p_module
                   RETURNING r.restate_id, r.slices)
        SELECT q.slices FROM q ORDER BY q.restate_id
    LOOP
        v_restated := v_restated + 1;
        PERFORM pgrollup_internal.restate_slices(p_module, v_queued.slices);
    END LOOP;
    RETURN v_restated;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.cover_partitions(p_module text, p_nowait boolean, p_repair boolean) IS 'Keeps a module''s capture in step with the partition trees of its source tables: puts the root''s capture triggers on new partitions (p_nowait: skipping busy ones; p_repair: also on known partitions that lost one), restates what partitions held before they were covered, after a DETACH, DROP or TRUNCATE, and forgets detached ones. Called by refresh and attach with the module lock held; returns the number of restatements.';

CREATE FUNCTION pgrollup_internal.create_capture_trigger(p_rel regclass, p_name text, p_event text, p_function text, p_old_table text, p_new_table text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_proc regprocedure := pg_catalog.to_regprocedure(p_function || '()');
    v_ref  text := '';
BEGIN
    IF v_proc IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42883', MESSAGE = pg_catalog.format('capture trigger function %s() does not exist', p_function);
    END IF;
    IF p_event NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('invalid trigger event %L', p_event);
    END IF;
    IF p_old_table IS NOT NULL THEN
        v_ref := pg_catalog.format(' OLD TABLE AS %I', p_old_table);
    END IF;
    IF p_new_table IS NOT NULL THEN
        v_ref := v_ref || pg_catalog.format(' NEW TABLE AS %I', p_new_table);
    END IF;
    IF v_ref <> '' THEN
        v_ref := ' REFERENCING' || v_ref;
    END IF;
    -- p_event is one of four keywords (checked above); the rest is quoted by format
    EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER %s ON %s%s FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                              p_name, p_event, p_rel, v_ref, v_proc::oid::regproc);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.create_capture_trigger(p_rel regclass, p_name text, p_event text, p_function text, p_old_table text, p_new_table text) IS 'Creates one statement-level AFTER capture trigger (with its transition tables) on a source table or partition.';

CREATE FUNCTION pgrollup_internal.create_refresh_trace(p_module text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    EXECUTE pg_catalog.format('CREATE SEQUENCE IF NOT EXISTS pgrollup_internal.%I MINVALUE %s NO CYCLE',
                              'refresh_trace_' || p_module, -9223372036854775807);
    EXECUTE pg_catalog.format('COMMENT ON SEQUENCE pgrollup_internal.%I IS %L', 'refresh_trace_' || p_module,
                              'Non-transactional trace of the last direct refresh attempt of module ' || p_module
                              || ': (epoch seconds << 22 | backend pid), positive from its start, negative once it reached its end.');
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.create_refresh_trace(p_module text) IS 'Creates the refresh trace sequence of a module (idempotent); defined in migration core_0006_refresh_attempts, called when a module is registered.';

CREATE FUNCTION pgrollup_internal.cron_job_state() RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_job_names text[];
    v_found     integer;
    v_inactive  integer;
BEGIN
    -- the refresh job, and the apply job when one was scheduled
    SELECT pg_catalog.array_agg(s.value ORDER BY s.name) INTO v_job_names
      FROM pgrollup_internal.settings AS s WHERE s.name IN ('cron_job_name', 'cron_apply_job_name');
    IF v_job_names IS NULL THEN
        RETURN NULL;                       -- no pg_cron job expected
    END IF;
    IF pg_catalog.to_regclass('cron.job') IS NULL THEN
        RETURN 'unknown';                  -- pg_cron lives in another database: not visible from here
    END IF;
    BEGIN
        -- pg_cron shows a role its own jobs only (row security on cron.job)
        EXECUTE 'SELECT pg_catalog.count(DISTINCT j.jobname)::integer, '
                '       pg_catalog.count(DISTINCT j.jobname) FILTER (WHERE NOT j.active)::integer '
                '  FROM cron.job AS j WHERE j.jobname OPERATOR(pg_catalog.=) ANY ($1) '
                '   AND j.database OPERATOR(pg_catalog.=) pg_catalog.current_database()'
           INTO v_found, v_inactive USING v_job_names;
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN 'unknown';
    END;
    RETURN CASE WHEN v_found < pg_catalog.cardinality(v_job_names) THEN 'missing'
                WHEN v_inactive > 0 THEN 'inactive'
                ELSE 'active' END;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.cron_job_state() IS 'State of this database''s pgrollup pg_cron jobs (the refresh job, and the reporting apply job when scheduled) as seen from this database: missing (one of them is), inactive, active, unknown (pg_cron in another database, or not visible to the owner), or NULL when no job is expected.';

CREATE FUNCTION pgrollup_internal.detach_capture(p_module text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_trigger record;
BEGIN
    -- every trigger of the module's declared names and functions, and the core's partition
    -- TRUNCATE triggers for this module, on whatever relation it is (partitions and detached tables
    -- included)
    FOR v_trigger IN
        SELECT DISTINCT c.trigger_name, pg_catalog.to_regprocedure(c.function_name || '()') AS fn
          FROM pgrollup_internal.capture_triggers AS c WHERE c.module = p_module
    LOOP
        IF v_trigger.fn IS NOT NULL THEN
            PERFORM pgrollup_internal.drop_triggers_of(v_trigger.fn, v_trigger.trigger_name);
        END IF;
    END LOOP;
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
         WHERE t.tgfoid = 'pgrollup_internal.capture_partition_truncate()'::regprocedure
           AND pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), '\000', 1) = p_module
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
    END LOOP;
    DELETE FROM pgrollup_internal.source_partitions AS p WHERE p.module = p_module;
    DELETE FROM pgrollup_internal.partition_restates AS r WHERE r.module = p_module;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.detach_capture(p_module text) IS 'Drops every capture trigger of a module (declared in pgrollup_internal.capture_triggers, and the core''s partition TRUNCATE triggers for it) from source tables, partitions and detached tables, and forgets the covered partitions.';

CREATE FUNCTION pgrollup_internal.drop_triggers_of(p_function regprocedure, p_name text DEFAULT NULL::text, p_partitions_only boolean DEFAULT false) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_trigger record;
    v_n bigint := 0;
BEGIN
    -- every trigger calling p_function (named p_name, when given; on partitions only, when asked),
    -- on whatever relation it is
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
          JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
         WHERE t.tgfoid = p_function AND NOT t.tgisinternal
           AND (p_name IS NULL OR t.tgname = p_name)
           AND (NOT p_partitions_only OR c.relispartition)
         ORDER BY t.tgrelid, t.tgname
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.drop_triggers_of(p_function regprocedure, p_name text, p_partitions_only boolean) IS 'Drops the triggers that call a function (optionally only those of one name, or only on partitions) from every relation; returns how many. Used by the modules'' attach and detach hooks.';

CREATE FUNCTION pgrollup_internal.kind_accepts(p_kind text, p_type oid) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
SELECT CASE p_kind
       WHEN 'id' THEN t.typ IN (21, 23, 20)                       -- int2, int4, int8
       WHEN 'text' THEN t.typ IN (25, 1043, 1042, 19)             -- text, varchar, bpchar, name
       WHEN 'number' THEN t.typ IN (21, 23, 20, 1700, 700, 701)   -- ints, numeric, float4, float8
       WHEN 'timestamp' THEN t.typ IN (1114, 1184)                -- timestamp, timestamptz
       ELSE true END
  FROM (SELECT pgrollup_internal.base_type(p_type) AS typ) AS t;
$$;

COMMENT ON FUNCTION pgrollup_internal.kind_accepts(p_kind text, p_type oid) IS 'Whether a column of the given type (a domain counts as its base type) is accepted for a column of the given kind (id, text, number, timestamp): the one statement of the accepted types.';

CREATE FUNCTION pgrollup_internal.lock_module(p_module text, p_wait boolean DEFAULT true) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_module text;
BEGIN
    -- A row lock on the module's row of pgrollup's own registry (no advisory-lock keys: those are
    -- one namespace shared by every role, so any role that can connect could take them and block
    -- every refresh). Only roles that may update pgrollup_internal.modules can take this lock,
    -- hence SECURITY DEFINER. Transaction-scoped: released when the caller's transaction ends,
    -- also on error. A module without a row (never installed) has nothing to serialize.
    IF p_wait THEN
        PERFORM 1 FROM pgrollup_internal.modules AS m WHERE m.module = p_module FOR UPDATE;
        RETURN true;
    END IF;
    SELECT m.module INTO v_module FROM pgrollup_internal.modules AS m
     WHERE m.module = p_module FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        RETURN true;
    END IF;
    RETURN NOT EXISTS (SELECT 1 FROM pgrollup_internal.modules AS m WHERE m.module = p_module);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.lock_module(p_module text, p_wait boolean) IS 'Takes the per-module maintenance lock held by refresh, backfill and mode switches: a row lock (FOR UPDATE) on the module''s row of pgrollup_internal.modules, which no role outside pgrollup can take; transaction-scoped. With p_wait false returns false instead of waiting.';

CREATE FUNCTION pgrollup_internal.messaging_add_events() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET client_min_messages TO 'warning'
    AS $$
DECLARE
    v_events bigint;
BEGIN
    SELECT pg_catalog.count(*) INTO v_events FROM pg_temp.pgr_msg_fast;
    IF v_events = 0 THEN
        RETURN 0;
    END IF;
    -- few events (the usual refresh): by key through the primary keys, as in messaging_restate()
    IF pg_catalog.current_setting('enable_hashjoin') = 'on'
       AND v_events <= GREATEST(20000::real, (SELECT c.reltuples FROM pg_catalog.pg_class AS c
                                              WHERE c.oid = '"public".message_events'::regclass) / 20) THEN
        RETURN pgrollup_internal.messaging_by_key('add_events');
    END IF;

    -- 0. events of messages without a per-message state in their tenant's current zone (not yet
    -- existing, or waiting for a zone change's restatement): those messages are restated instead
    INSERT INTO pg_temp.pgr_msg_keys (message_id)
    SELECT DISTINCT f.message_id
      FROM pg_temp.pgr_msg_fast AS f
     WHERE NOT EXISTS (SELECT 1
                         FROM pgrollup_internal.msg_state AS s
                         LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = s.tenant_id
                        WHERE s.message_id = f.message_id AND s.timezone = COALESCE(z.timezone, 'UTC'))
    ON CONFLICT (message_id) DO NOTHING;
    DELETE FROM pg_temp.pgr_msg_fast AS f USING pg_temp.pgr_msg_keys AS k WHERE f.message_id = k.message_id;
    ANALYZE pg_temp.pgr_msg_fast;

    -- 1. the listed events as they are in source now, mapped, with their message's applied state
    -- (every later step reads one work table at a time: no joins between work tables)
    DROP TABLE IF EXISTS pg_temp.pgr_msg_fast_ev;
    CREATE TEMP TABLE pgr_msg_fast_ev ON COMMIT DROP AS
    SELECT s.message_id, s.tenant_id, s.campaign_id, s.contact_id, s.channel, s.timezone,
           s.first_opened_at AS old_first_open, s.first_clicked_at AS old_first_click,
           r.metric, pgrollup_internal.utc(e.occurred_at) AS at
      FROM pg_temp.pgr_msg_fast AS f
      JOIN pgrollup_internal.msg_state AS s ON s.message_id = f.message_id
      JOIN "public".message_events AS e ON e.id = f.event_id
      JOIN pgrollup.message_event_metrics AS r ON r.event_type = e.event_type
     WHERE e.message_id = f.message_id
       AND e.occurred_at IS NOT NULL;   -- (an event updated to NULL since: its update restates the message)

    -- 2. per message: the new counts, the earliest new open and click
    DROP TABLE IF EXISTS pg_temp.pgr_msg_fast_msg;
    CREATE TEMP TABLE pgr_msg_fast_msg ON COMMIT DROP AS
    SELECT v.message_id, v.tenant_id, v.campaign_id, v.contact_id, v.channel, v.timezone,
           v.old_first_open, v.old_first_click,
           pg_catalog.count(*) FILTER (WHERE v.metric = 'delivered')    AS delivered,
           pg_catalog.count(*) FILTER (WHERE v.metric = 'opens')        AS opens,
           pg_catalog.count(*) FILTER (WHERE v.metric = 'clicks')       AS clicks,
           pg_catalog.count(*) FILTER (WHERE v.metric = 'bounces')      AS bounces,
           pg_catalog.count(*) FILTER (WHERE v.metric = 'unsubscribes') AS unsubscribes,
           pg_catalog.min(v.at) FILTER (WHERE v.metric = 'opens')       AS new_first_open,
           pg_catalog.min(v.at) FILTER (WHERE v.metric = 'clicks')      AS new_first_click
      FROM pg_temp.pgr_msg_fast_ev AS v
     GROUP BY v.message_id, v.tenant_id, v.campaign_id, v.contact_id, v.channel, v.timezone,
              v.old_first_open, v.old_first_click;

    -- 3. contribution delta per message and local hour, with the message's dimensions: +1 per
    -- event; a unique open (click) moves from the stored first open (click) to an earlier new one
    DROP TABLE IF EXISTS pg_temp.pgr_msg_delta;
    CREATE TEMP TABLE pgr_msg_delta ON COMMIT DROP AS
    WITH x AS (
        SELECT v.message_id, v.tenant_id, v.campaign_id, v.contact_id, v.channel, v.timezone, v.at, v.metric, 1 AS n
          FROM pg_temp.pgr_msg_fast_ev AS v
        UNION ALL
        SELECT m.message_id, m.tenant_id, m.campaign_id, m.contact_id, m.channel, m.timezone, u.at, u.metric, u.n
          FROM pg_temp.pgr_msg_fast_msg AS m
         CROSS JOIN LATERAL (VALUES
               (m.new_first_open, 'unique_opens', 1,
                m.new_first_open < m.old_first_open OR (m.old_first_open IS NULL AND m.new_first_open IS NOT NULL)),
               (m.old_first_open, 'unique_opens', -1, m.new_first_open < m.old_first_open),
               (m.new_first_click, 'unique_clicks', 1,
                m.new_first_click < m.old_first_click OR (m.old_first_click IS NULL AND m.new_first_click IS NOT NULL)),
               (m.old_first_click, 'unique_clicks', -1, m.new_first_click < m.old_first_click)
         ) AS u(at, metric, n, moves)
         WHERE u.moves
    )
    SELECT x.message_id, x.tenant_id, x.campaign_id, x.contact_id, x.channel,
           pg_catalog.date_trunc('hour', x.at, x.timezone) AS hour,
           (x.at AT TIME ZONE x.timezone)::date AS local_date,
           0::bigint AS sends,
           COALESCE(pg_catalog.sum(x.n) FILTER (WHERE x.metric = 'delivered'), 0)::bigint     AS delivered,
           COALESCE(pg_catalog.sum(x.n) FILTER (WHERE x.metric = 'opens'), 0)::bigint         AS opens,
           COALESCE(pg_catalog.sum(x.n) FILTER (WHERE x.metric = 'clicks'), 0)::bigint        AS clicks,
           COALESCE(pg_catalog.sum(x.n) FILTER (WHERE x.metric = 'bounces'), 0)::bigint       AS bounces,
           COALESCE(pg_catalog.sum(x.n) FILTER (WHERE x.metric = 'unsubscribes'), 0)::bigint  AS unsubscribes,
           COALESCE(pg_catalog.sum(x.n) FILTER (WHERE x.metric = 'unique_opens'), 0)::bigint  AS unique_opens,
           COALESCE(pg_catalog.sum(x.n) FILTER (WHERE x.metric = 'unique_clicks'), 0)::bigint AS unique_clicks
      FROM x
     GROUP BY x.message_id, x.tenant_id, x.campaign_id, x.contact_id, x.channel, 6, 7;

    -- 4. added to the bucket rollups
    PERFORM pgrollup_internal.messaging_apply_delta();

    -- 5. the per-message state: contribution rows and counts
    INSERT INTO pgrollup_internal.msg_contrib AS t
           (tenant_id, message_id, hour, local_date, sends, delivered, opens, clicks, bounces, unsubscribes, unique_opens, unique_clicks)
    SELECT c.tenant_id, c.message_id, c.hour, c.local_date, c.sends, c.delivered, c.opens, c.clicks, c.bounces, c.unsubscribes,
           c.unique_opens, c.unique_clicks
      FROM pg_temp.pgr_msg_delta AS c
     ORDER BY 2, 3, 4
    ON CONFLICT ON CONSTRAINT msg_contrib_pkey DO UPDATE
       SET delivered = t.delivered + excluded.delivered, opens = t.opens + excluded.opens,
           clicks = t.clicks + excluded.clicks, bounces = t.bounces + excluded.bounces,
           unsubscribes = t.unsubscribes + excluded.unsubscribes,
           unique_opens = t.unique_opens + excluded.unique_opens, unique_clicks = t.unique_clicks + excluded.unique_clicks;
    UPDATE pgrollup_internal.msg_state AS s
       SET delivered = s.delivered + m.delivered, opens = s.opens + m.opens, clicks = s.clicks + m.clicks,
           bounces = s.bounces + m.bounces, unsubscribes = s.unsubscribes + m.unsubscribes,
           first_opened_at = LEAST(s.first_opened_at, m.new_first_open),
           first_clicked_at = LEAST(s.first_clicked_at, m.new_first_click)
      FROM pg_temp.pgr_msg_fast_msg AS m
     WHERE s.message_id = m.message_id;
    RETURN v_events;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_add_events() IS 'Inserted-events path of a messaging refresh: adds the events listed in pg_temp.pgr_msg_fast (inserted into messages that need no restatement; messages without a per-message state in their current zone go to pg_temp.pgr_msg_keys instead) to the bucket rollups, msg_contrib and msg_state, comparing with the stored first open / first click for the unique counts instead of re-reading the messages'' other events; returns the number of listed events. Callers hold the module lock.';

CREATE FUNCTION pgrollup_internal.messaging_apply_delta() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET client_min_messages TO 'warning'
    AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.pgr_msg_g;
    CREATE TEMP TABLE pgr_msg_g ON COMMIT DROP AS
    SELECT d.tenant_id, d.contact_id, d.hour, d.channel,
           pg_catalog.sum(d.sends)::bigint AS sends, pg_catalog.sum(d.delivered)::bigint AS delivered,
           pg_catalog.sum(d.opens)::bigint AS opens, pg_catalog.sum(d.clicks)::bigint AS clicks,
           pg_catalog.sum(d.bounces)::bigint AS bounces, pg_catalog.sum(d.unsubscribes)::bigint AS unsubscribes,
           pg_catalog.sum(d.unique_opens)::bigint AS unique_opens, pg_catalog.sum(d.unique_clicks)::bigint AS unique_clicks
      FROM pg_temp.pgr_msg_delta AS d
     GROUP BY d.tenant_id, d.contact_id, d.hour, d.channel
    HAVING pg_catalog.sum(d.sends) <> 0 OR pg_catalog.sum(d.delivered) <> 0 OR pg_catalog.sum(d.opens) <> 0
        OR pg_catalog.sum(d.clicks) <> 0 OR pg_catalog.sum(d.bounces) <> 0 OR pg_catalog.sum(d.unsubscribes) <> 0
        OR pg_catalog.sum(d.unique_opens) <> 0 OR pg_catalog.sum(d.unique_clicks) <> 0;   -- buckets that change
    -- upsert the changed buckets; those whose metrics all became zero are deleted by key
    DROP TABLE IF EXISTS pg_temp.pgr_msg_zero;
    CREATE TEMP TABLE pgr_msg_zero (tenant_id bigint, contact_id bigint, hour timestamptz, channel text) ON COMMIT DROP;
    WITH up AS (
        INSERT INTO pgrollup_internal.msg_contact_hourly AS r
               (tenant_id, contact_id, hour, channel, sends, delivered, opens, clicks, bounces, unsubscribes, unique_opens, unique_clicks)
        SELECT g.tenant_id, g.contact_id, g.hour, g.channel, g.sends, g.delivered, g.opens, g.clicks, g.bounces, g.unsubscribes, g.unique_opens, g.unique_clicks
          FROM pg_temp.pgr_msg_g AS g
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, contact_id, hour, channel) DO UPDATE
       SET sends = r.sends + excluded.sends, delivered = r.delivered + excluded.delivered,
           opens = r.opens + excluded.opens, clicks = r.clicks + excluded.clicks,
           bounces = r.bounces + excluded.bounces, unsubscribes = r.unsubscribes + excluded.unsubscribes,
           unique_opens = r.unique_opens + excluded.unique_opens, unique_clicks = r.unique_clicks + excluded.unique_clicks
        RETURNING r.tenant_id, r.contact_id, r.hour, r.channel,
                  (r.sends = 0 AND r.delivered = 0 AND r.opens = 0 AND r.clicks = 0 AND r.bounces = 0
                 AND r.unsubscribes = 0 AND r.unique_opens = 0 AND r.unique_clicks = 0) AS zero
    )
    INSERT INTO pg_temp.pgr_msg_zero (tenant_id, contact_id, hour, channel)
    SELECT up.tenant_id, up.contact_id, up.hour, up.channel FROM up WHERE up.zero;
    DELETE FROM pgrollup_internal.msg_contact_hourly AS r
     USING pg_temp.pgr_msg_zero AS z
     WHERE r.tenant_id = z.tenant_id AND r.contact_id = z.contact_id AND r.hour = z.hour AND r.channel = z.channel;

    DROP TABLE IF EXISTS pg_temp.pgr_msg_g;
    CREATE TEMP TABLE pgr_msg_g ON COMMIT DROP AS
    SELECT d.tenant_id, d.campaign_id, d.local_date AS date,
           pg_catalog.sum(d.sends)::bigint AS sends, pg_catalog.sum(d.delivered)::bigint AS delivered,
           pg_catalog.sum(d.opens)::bigint AS opens, pg_catalog.sum(d.clicks)::bigint AS clicks,
           pg_catalog.sum(d.bounces)::bigint AS bounces, pg_catalog.sum(d.unsubscribes)::bigint AS unsubscribes,
           pg_catalog.sum(d.unique_opens)::bigint AS unique_opens, pg_catalog.sum(d.unique_clicks)::bigint AS unique_clicks
      FROM pg_temp.pgr_msg_delta AS d
     WHERE d.campaign_id IS NOT NULL
     GROUP BY d.tenant_id, d.campaign_id, d.local_date
    HAVING pg_catalog.sum(d.sends) <> 0 OR pg_catalog.sum(d.delivered) <> 0 OR pg_catalog.sum(d.opens) <> 0
        OR pg_catalog.sum(d.clicks) <> 0 OR pg_catalog.sum(d.bounces) <> 0 OR pg_catalog.sum(d.unsubscribes) <> 0
        OR pg_catalog.sum(d.unique_opens) <> 0 OR pg_catalog.sum(d.unique_clicks) <> 0;   -- buckets that change
    -- upsert the changed buckets; those whose metrics all became zero are deleted by key
    DROP TABLE IF EXISTS pg_temp.pgr_msg_zero;
    CREATE TEMP TABLE pgr_msg_zero (tenant_id bigint, campaign_id bigint, date date) ON COMMIT DROP;
    WITH up AS (
        INSERT INTO pgrollup_internal.msg_campaign_daily AS r
               (tenant_id, campaign_id, date, sends, delivered, opens, clicks, bounces, unsubscribes, unique_opens, unique_clicks)
        SELECT g.tenant_id, g.campaign_id, g.date, g.sends, g.delivered, g.opens, g.clicks, g.bounces, g.unsubscribes, g.unique_opens, g.unique_clicks
          FROM pg_temp.pgr_msg_g AS g
         ORDER BY 1, 2, 3
        ON CONFLICT (tenant_id, campaign_id, date) DO UPDATE
       SET sends = r.sends + excluded.sends, delivered = r.delivered + excluded.delivered,
           opens = r.opens + excluded.opens, clicks = r.clicks + excluded.clicks,
           bounces = r.bounces + excluded.bounces, unsubscribes = r.unsubscribes + excluded.unsubscribes,
           unique_opens = r.unique_opens + excluded.unique_opens, unique_clicks = r.unique_clicks + excluded.unique_clicks
        RETURNING r.tenant_id, r.campaign_id, r.date,
                  (r.sends = 0 AND r.delivered = 0 AND r.opens = 0 AND r.clicks = 0 AND r.bounces = 0
                 AND r.unsubscribes = 0 AND r.unique_opens = 0 AND r.unique_clicks = 0) AS zero
    )
    INSERT INTO pg_temp.pgr_msg_zero (tenant_id, campaign_id, date)
    SELECT up.tenant_id, up.campaign_id, up.date FROM up WHERE up.zero;
    DELETE FROM pgrollup_internal.msg_campaign_daily AS r
     USING pg_temp.pgr_msg_zero AS z
     WHERE r.tenant_id = z.tenant_id AND r.campaign_id = z.campaign_id AND r.date = z.date;

    DROP TABLE IF EXISTS pg_temp.pgr_msg_g;
    CREATE TEMP TABLE pgr_msg_g ON COMMIT DROP AS
    SELECT d.tenant_id, d.local_date AS date,
           pg_catalog.sum(d.sends)::bigint AS sends, pg_catalog.sum(d.delivered)::bigint AS delivered,
           pg_catalog.sum(d.opens)::bigint AS opens, pg_catalog.sum(d.clicks)::bigint AS clicks,
           pg_catalog.sum(d.bounces)::bigint AS bounces, pg_catalog.sum(d.unsubscribes)::bigint AS unsubscribes,
           pg_catalog.sum(d.unique_opens)::bigint AS unique_opens, pg_catalog.sum(d.unique_clicks)::bigint AS unique_clicks
      FROM pg_temp.pgr_msg_delta AS d
     GROUP BY d.tenant_id, d.local_date
    HAVING pg_catalog.sum(d.sends) <> 0 OR pg_catalog.sum(d.delivered) <> 0 OR pg_catalog.sum(d.opens) <> 0
        OR pg_catalog.sum(d.clicks) <> 0 OR pg_catalog.sum(d.bounces) <> 0 OR pg_catalog.sum(d.unsubscribes) <> 0
        OR pg_catalog.sum(d.unique_opens) <> 0 OR pg_catalog.sum(d.unique_clicks) <> 0;   -- buckets that change
    -- upsert the changed buckets; those whose metrics all became zero are deleted by key
    DROP TABLE IF EXISTS pg_temp.pgr_msg_zero;
    CREATE TEMP TABLE pgr_msg_zero (tenant_id bigint, date date) ON COMMIT DROP;
    WITH up AS (
        INSERT INTO pgrollup_internal.msg_tenant_daily AS r
               (tenant_id, date, sends, delivered, opens, clicks, bounces, unsubscribes, unique_opens, unique_clicks)
        SELECT g.tenant_id, g.date, g.sends, g.delivered, g.opens, g.clicks, g.bounces, g.unsubscribes, g.unique_opens, g.unique_clicks
          FROM pg_temp.pgr_msg_g AS g
         ORDER BY 1, 2
        ON CONFLICT (tenant_id, date) DO UPDATE
       SET sends = r.sends + excluded.sends, delivered = r.delivered + excluded.delivered,
           opens = r.opens + excluded.opens, clicks = r.clicks + excluded.clicks,
           bounces = r.bounces + excluded.bounces, unsubscribes = r.unsubscribes + excluded.unsubscribes,
           unique_opens = r.unique_opens + excluded.unique_opens, unique_clicks = r.unique_clicks + excluded.unique_clicks
        RETURNING r.tenant_id, r.date,
                  (r.sends = 0 AND r.delivered = 0 AND r.opens = 0 AND r.clicks = 0 AND r.bounces = 0
                 AND r.unsubscribes = 0 AND r.unique_opens = 0 AND r.unique_clicks = 0) AS zero
    )
    INSERT INTO pg_temp.pgr_msg_zero (tenant_id, date)
    SELECT up.tenant_id, up.date FROM up WHERE up.zero;
    DELETE FROM pgrollup_internal.msg_tenant_daily AS r
     USING pg_temp.pgr_msg_zero AS z
     WHERE r.tenant_id = z.tenant_id AND r.date = z.date;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_apply_delta() IS 'Adds the signed contribution rows of pg_temp.pgr_msg_delta to the messaging bucket rollups (contact-hourly, campaign-daily, tenant-daily) by key and deletes buckets whose metrics all became zero. Shared by restatement and the inserted-events path; callers hold the module lock.';

CREATE FUNCTION pgrollup_internal.messaging_attach() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_schema  text;
    v_trigger record;
BEGIN
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging';
    -- sources distributed by Citus: the module's own layout and statement-level capture on the
    -- shards (docs/SCALE-OUT.md)
    IF pgrollup_internal.citus_placement(pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, 'outbound_messages')))
       = 'a Citus distributed table (by tenant_id)' THEN
        PERFORM pgrollup_internal.messaging_citus_layout();
        RETURN;
    END IF;
    -- what capture needs (incremental mode), declared for the core: it covers partitions created
    -- or attached later at every refresh and reports missing or disabled triggers in rollup_health
    DELETE FROM pgrollup_internal.capture_triggers AS c WHERE c.module = 'messaging';
    INSERT INTO pgrollup_internal.capture_triggers
           (module, table_name, trigger_name, event, function_name, old_table, new_table, modes, root_only)
    SELECT 'messaging', s.tbl, t.name, t.event, 'pgrollup_internal.' || CASE WHEN t.event = 'TRUNCATE' THEN 'messaging_capture_truncate' ELSE s.fn END,
           t.old_table, t.new_table, ARRAY['incremental'], t.event = 'TRUNCATE'
      FROM (VALUES ('outbound_messages', 'messaging_capture_message'),
                   ('message_events', 'messaging_capture_event'),
                   ('campaign_transitions', 'messaging_capture_transition')) AS s(tbl, fn)
     CROSS JOIN (VALUES ('pgrollup_messaging_insert', 'INSERT', NULL, 'pgr_new'),
                        ('pgrollup_messaging_update', 'UPDATE', 'pgr_old', 'pgr_new'),
                        ('pgrollup_messaging_delete', 'DELETE', 'pgr_old', NULL),
                        ('pgrollup_messaging_truncate', 'TRUNCATE', NULL, NULL)) AS t(name, event, old_table, new_table);
    -- a partition's TRUNCATE, DETACH or DROP restates the tenants it held (not everything)
    UPDATE pgrollup_internal.modules AS m
       SET slices_function = 'pgrollup_internal.messaging_partition_slices',
           restate_function = 'pgrollup_internal.messaging_restate_slices'
     WHERE m.module = 'messaging';

    -- triggers left on tables of another schema (reinstall with another --source-schema), or any in
    -- MV mode; the full TRUNCATE rebuild trigger only on the source tables themselves
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
          JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
          JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
         WHERE t.tgfoid IN ('pgrollup_internal.messaging_capture_message()'::regprocedure,
                            'pgrollup_internal.messaging_capture_event()'::regprocedure,
                            'pgrollup_internal.messaging_capture_transition()'::regprocedure,
                            'pgrollup_internal.messaging_capture_truncate()'::regprocedure)
           AND (n.nspname IS DISTINCT FROM v_schema OR pgrollup_internal.messaging_mode() <> 'incremental'
                OR (t.tgfoid = 'pgrollup_internal.messaging_capture_truncate()'::regprocedure AND c.relispartition))
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
    END LOOP;
    IF pgrollup_internal.messaging_mode() <> 'incremental' THEN
        PERFORM pgrollup_internal.detach_capture('messaging');
        RETURN;
    END IF;
    -- each capture function's column check is folded into its cached plans, which depend on its
    -- source table through its OID (see capture_columns_ok)
    PERFORM pgrollup_internal.bind_capture(pg_catalog.format('pgrollup_internal.%I()', s.fn)::regprocedure,
                                           pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, s.tbl)))
       FROM (VALUES ('outbound_messages', 'messaging_capture_message'),
                    ('message_events', 'messaging_capture_event'),
                    ('campaign_transitions', 'messaging_capture_transition')) AS s(tbl, fn);
    -- the three source tables and, when partitioned, every partition at any depth: statement
    -- triggers fire for the table a statement names, so writes aimed at a partition directly are
    -- captured too
    PERFORM pgrollup_internal.attach_capture('messaging');
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_attach() IS 'messaging attach hook: declares the capture triggers and partition hooks to the core; in incremental mode creates the statement-level capture triggers (insert, update, delete with transition tables; truncate) on the three source tables and on every partition of them (a partition''s TRUNCATE is covered by the core''s pgrollup_partition_truncate trigger), idempotently; in materialized_view mode makes sure none are left.';

CREATE FUNCTION pgrollup_internal.messaging_backfill_keys(p_tenant_id bigint, p_from date, p_to date) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET client_min_messages TO 'warning'
    AS $$
DECLARE
    v_lo timestamptz := CASE WHEN p_from IS NULL THEN '-infinity'::timestamptz
                             ELSE (p_from::timestamp AT TIME ZONE 'UTC') - interval '1 day' END;
    v_hi timestamptz := CASE WHEN p_to IS NULL THEN 'infinity'::timestamptz
                             ELSE ((p_to + 1)::timestamp AT TIME ZONE 'UTC') + interval '1 day' END;
    v_from date := COALESCE(p_from, '-infinity'::date);
    v_to   date := COALESCE(p_to, 'infinity'::date);
    v_n bigint;
BEGIN
    PERFORM pgrollup_internal.messaging_keys_table();
    IF p_from IS NULL AND p_to IS NULL THEN
        INSERT INTO pg_temp.pgr_msg_keys (message_id)
        SELECT s.message_id FROM pgrollup_internal.msg_state AS s
         WHERE p_tenant_id IS NULL OR s.tenant_id = p_tenant_id
        UNION
        SELECT o.id FROM "public".outbound_messages AS o
         WHERE p_tenant_id IS NULL OR o.tenant_id = p_tenant_id;
    ELSE
        INSERT INTO pg_temp.pgr_msg_keys (message_id)
        SELECT s.message_id                              -- as applied
          FROM pgrollup_internal.msg_state AS s
         WHERE (p_tenant_id IS NULL OR s.tenant_id = p_tenant_id)
           AND EXISTS (SELECT 1 FROM pgrollup_internal.msg_contrib AS c
                        WHERE c.message_id = s.message_id AND c.local_date BETWEEN v_from AND v_to)
        UNION
        SELECT o.id                                      -- sent in the slice
          FROM "public".outbound_messages AS o
          LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = o.tenant_id
         WHERE (p_tenant_id IS NULL OR o.tenant_id = p_tenant_id)
           AND o.sent_at >= v_lo AND o.sent_at < v_hi
           AND (pgrollup_internal.utc(o.sent_at) AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date BETWEEN v_from AND v_to
        UNION
        SELECT o.id                                      -- with a mapped event in the slice
          FROM "public".message_events AS e
          JOIN pgrollup.message_event_metrics AS r ON r.event_type = e.event_type
          JOIN "public".outbound_messages AS o ON o.id = e.message_id
          LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = o.tenant_id
         WHERE (p_tenant_id IS NULL OR o.tenant_id = p_tenant_id)
           AND e.occurred_at >= v_lo AND e.occurred_at < v_hi
           AND (pgrollup_internal.utc(e.occurred_at) AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date BETWEEN v_from AND v_to;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_backfill_keys(p_tenant_id bigint, p_from date, p_to date) IS 'Lists in pg_temp.pgr_msg_keys the messages whose applied or current contribution falls in a backfill slice (tenant, local dates).';

CREATE FUNCTION pgrollup_internal.messaging_by_key(p_step text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET enable_hashjoin TO 'off'
    SET enable_mergejoin TO 'off'
    SET jit TO 'off'
    AS $$
BEGIN
    IF p_step = 'restate' THEN
        RETURN pgrollup_internal.messaging_restate();
    ELSIF p_step = 'add_events' THEN
        RETURN pgrollup_internal.messaging_add_events();
    END IF;
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('unknown messaging step %L', p_step);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_by_key(p_step text) IS 'Runs a step of the messaging refresh (restate: pgrollup_internal.messaging_restate(); add_events: pgrollup_internal.messaging_add_events()) with hash and merge joins and JIT off, so that a step over few messages or events goes by key through the indexes (cost proportional to the changes, not to the table sizes).';

CREATE FUNCTION pgrollup_internal.messaging_capture_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_rows bigint;
    v_odd  boolean;
BEGIN
    -- on a Citus worker (no pgrollup tables there): as in reporting_capture
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- column drift: recorded, and the statement goes through (the column check of reporting_capture)
    -- the source table, a partition or an inheritance child of it: as in reporting_capture
    IF TG_RELID = '0'::pg_catalog.regclass::oid
       OR pg_catalog.pg_partition_root(TG_RELID::regclass)::oid = '0'::pg_catalog.regclass::oid
       OR pgrollup_internal.source_inherits_from(TG_RELID, '0'::pg_catalog.regclass::oid) THEN
        IF NOT pgrollup_internal.capture_columns_ok('messaging', 'message_events', '0'::pg_catalog.regclass) THEN
            PERFORM pgrollup_internal.capture_note_drift('messaging', 'message_events', TG_RELID);
            RETURN NULL;
        END IF;
    ELSE
        -- any other relation: as in reporting_capture
        IF pgrollup_internal.capture_skipped('messaging', 'message_events', TG_RELID) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- Events without a message_id are logged as rows with message_id NULL and their ids: the
    -- refresh counts the mapped ones as set aside (and forgets them once they are fixed or deleted).
    IF TG_OP = 'INSERT' THEN
        -- one row per inserted event, with its id: a refresh adds just those events (an event
        -- without occurred_at is logged without its id: its message is restated, which sets that
        -- event aside). Inserts are the hot path: no lookup of the registry (the refresh reads
        -- events of unmapped types and adds nothing for them), no grouping and no array for the
        -- first 16 rows of a statement (an aggregate per statement cost a single-row insert about a
        -- sixth of the trigger's time).
        INSERT INTO pgrollup_internal.msg_changes (message_id, event_id)
        SELECT n.message_id, CASE WHEN n.message_id IS NULL OR n.occurred_at IS NOT NULL THEN n.id END
          FROM pgr_new AS n
         LIMIT 16;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        IF v_rows = 16 THEN
            -- a bigger statement (COPY, INSERT ... SELECT): its other events as rows of parallel
            -- arrays, at most 65,536 events each (ids are unique: id >> 16 bounds a group), which
            -- costs a fraction of a row per event. The transition table is read in the same order
            -- by each scan, so OFFSET 16 is exactly the rows the statement above did not log. One
            -- scan builds the arrays and says whether the statement also holds events without a
            -- message, an id or occurred_at; only then a second scan logs those one row each, as
            -- above. (A scan per form cost a 100k-row statement about 11 ms more; a CTE over the
            -- whole transition table read once, 30 ms more: the cost of materializing it.)
            WITH g AS (
                SELECT pg_catalog.array_agg(r.message_id) FILTER (WHERE r.ok) AS message_ids,
                       pg_catalog.array_agg(r.id) FILTER (WHERE r.ok) AS event_ids,
                       pg_catalog.bool_or(NOT r.ok) AS odd
                  FROM (SELECT n.message_id, n.id,
                               (n.message_id IS NOT NULL AND n.occurred_at IS NOT NULL AND n.id IS NOT NULL) AS ok
                          FROM pgr_new AS n OFFSET 16) AS r
                 GROUP BY r.id >> 16),
            ins AS (
                INSERT INTO pgrollup_internal.msg_changes (message_ids, event_ids)
                SELECT g.message_ids, g.event_ids FROM g WHERE g.event_ids IS NOT NULL)
            SELECT pg_catalog.bool_or(g.odd) INTO v_odd FROM g;
            IF v_odd THEN
                INSERT INTO pgrollup_internal.msg_changes (message_id, event_id)
                SELECT r.message_id, CASE WHEN r.message_id IS NULL OR r.occurred_at IS NOT NULL THEN r.id END
                  FROM (SELECT n.message_id, n.occurred_at, n.id FROM pgr_new AS n OFFSET 16) AS r
                 WHERE r.message_id IS NULL OR r.occurred_at IS NULL OR r.id IS NULL;
            END IF;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        -- updates and deletes: only events whose type is mapped can change a rollup (registry
        -- edits are followed by a backfill)
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT n.message_id
          FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id
         WHERE (o.id IS NULL
                OR ROW(o.message_id, o.event_type, o.occurred_at) IS DISTINCT FROM ROW(n.message_id, n.event_type, n.occurred_at))
           AND n.message_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = n.event_type)
        UNION
        SELECT o.message_id
          FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id
         WHERE (n.id IS NULL
                OR ROW(o.message_id, o.event_type, o.occurred_at) IS DISTINCT FROM ROW(n.message_id, n.event_type, n.occurred_at))
           AND o.message_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = o.event_type);
        INSERT INTO pgrollup_internal.msg_changes (message_id, event_ids)
        SELECT NULL, pg_catalog.array_agg(x.id)
          FROM (SELECT n.id FROM pgr_new AS n WHERE n.message_id IS NULL
                UNION
                SELECT o.id FROM pgr_old AS o WHERE o.message_id IS NULL) AS x
        HAVING pg_catalog.count(*) > 0;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id, event_ids)
        SELECT o.message_id, CASE WHEN o.message_id IS NULL THEN pg_catalog.array_agg(o.id) END
          FROM pgr_old AS o
         WHERE EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = o.event_type)
         GROUP BY o.message_id;
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_capture_event() IS 'Capture trigger (statement level, transition tables) on message_events and its partitions: appends to the messaging change log one row per inserted event with its id (whatever its type; past the 16th event of a statement, rows of parallel message-id and event-id arrays of up to 65,536 events each) and the message ids of deleted and materially updated mapped events (events without a message_id as rows with message_id NULL and their ids). When a column it reads has drifted it records a capture failure instead and never fails the statement.';

CREATE FUNCTION pgrollup_internal.messaging_capture_message() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- on a Citus worker (no pgrollup tables there): as in reporting_capture
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- column drift: recorded, and the statement goes through (the column check of reporting_capture)
    -- the source table, a partition or an inheritance child of it: as in reporting_capture
    IF TG_RELID = '0'::pg_catalog.regclass::oid
       OR pg_catalog.pg_partition_root(TG_RELID::regclass)::oid = '0'::pg_catalog.regclass::oid
       OR pgrollup_internal.source_inherits_from(TG_RELID, '0'::pg_catalog.regclass::oid) THEN
        IF NOT pgrollup_internal.capture_columns_ok('messaging', 'outbound_messages', '0'::pg_catalog.regclass) THEN
            PERFORM pgrollup_internal.capture_note_drift('messaging', 'outbound_messages', TG_RELID);
            RETURN NULL;
        END IF;
    ELSE
        -- any other relation: as in reporting_capture
        IF pgrollup_internal.capture_skipped('messaging', 'outbound_messages', TG_RELID) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- statement-level, transition tables pgr_new / pgr_old; append-only (writers never wait on each other)
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT DISTINCT n.id FROM pgr_new AS n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT n.id
          FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id
         WHERE o.id IS NULL
            OR ROW(o.tenant_id, o.campaign_id, o.contact_id, o.channel, o.sent_at)
               IS DISTINCT FROM ROW(n.tenant_id, n.campaign_id, n.contact_id, n.channel, n.sent_at)
        UNION
        SELECT o.id
          FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id
         WHERE n.id IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT DISTINCT o.id FROM pgr_old AS o;
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_capture_message() IS 'Capture trigger (statement level, transition tables) on outbound_messages and its partitions: appends the ids of inserted, deleted and materially updated messages to the messaging change log. When a column it reads has drifted it records a capture failure instead and never fails the statement.';

CREATE FUNCTION pgrollup_internal.messaging_capture_shard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_shard  integer;
    v_key    text;
    v_log    text;
    v_source text;
    v_read   jsonb;
    v_rows   bigint;
    v_odd    boolean;
    v_rest   boolean;
BEGIN
    -- Statement-level AFTER trigger (transition tables pgr_new / pgr_old) of outbound_messages,
    -- message_events and campaign_transitions when Citus distributes them by tenant_id. Citus
    -- copies it to every shard: it fires on the shard's node, once per statement that Citus runs on
    -- that shard (a COPY or an INSERT ... SELECT of many rows included), and appends the
    -- statement's changed keys, each with its tenant, to the change log's colocated shard there, a
    -- plain table on that node. Same rules as the single-node capture triggers: no lock, no shared
    -- row, no read of pgrollup's settings or registry; a column it reads that drifted lets the
    -- statement through (rollup_health, on the coordinator, reports the drift). It does nothing on
    -- the coordinator's tables, which hold no rows (Citus runs the statements on the shards).
    -- INSERT on a shard known when messaging_citus_bind_capture last ran: a static branch, planned
    -- once per session and shard, with the shard's column check folded into its cached plan
    -- (written in between these markers by pgrollup_internal.citus_bind_capture); one of
    -- message_events logs the statement's first 16 events and, when there may be more, leaves the
    -- rest to the general path below (v_rest)
    -- pgrollup:citus-shards-begin outbound_messages
    -- pgrollup:citus-shards-end outbound_messages
    -- pgrollup:citus-shards-begin message_events
    -- pgrollup:citus-shards-end message_events
    -- pgrollup:citus-shards-begin campaign_transitions
    -- pgrollup:citus-shards-end campaign_transitions
    IF v_rest THEN
        v_source := 'message_events';
    ELSE
    v_key := 'pgrollup.capture_log_' || TG_RELID::text;
    v_log := pg_catalog.current_setting(v_key, true);
    v_source := pg_catalog.regexp_replace(TG_TABLE_NAME, '_\d+$', '');
    v_read := CASE v_source
               WHEN 'outbound_messages' THEN '{"id": "id", "tenant_id": "id", "campaign_id": "id", "contact_id": "id", "channel": "text", "sent_at": "timestamp"}'
               WHEN 'message_events' THEN '{"id": "id", "tenant_id": "id", "message_id": "id", "event_type": "text", "occurred_at": "timestamp"}'
               ELSE '{"id": "id", "tenant_id": "id", "campaign_id": "id", "to_status": "text", "transitioned_at": "timestamp"}' END::jsonb;
    -- the columns it reads: from the relation cache at REPEATABLE READ and SERIALIZABLE (the
    -- transaction's snapshot can predate a migration that committed before this statement locked
    -- the shard, and the statements below are parsed against the columns as they are now; see
    -- citus_shard_columns_ok), otherwise from pg_attribute (a snapshot taken after the lock)
    IF pg_catalog.current_setting('transaction_isolation') IN ('repeatable read', 'serializable') THEN
        IF NOT pgrollup_internal.citus_shard_columns_ok(TG_RELID, v_read) THEN
            RETURN NULL;
        END IF;
    -- (int2, int4, int8 / and numeric, float4, float8 / text, varchar, bpchar, name / timestamp,
    -- timestamptz; when they do not match, the relation cache's check decides, which counts a
    -- domain as its base type)
    ELSIF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute AS a
         WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
           AND CASE WHEN a.attname = ANY (CASE v_source
                                               WHEN 'outbound_messages' THEN '{id,tenant_id,campaign_id,contact_id}'
                                               WHEN 'message_events' THEN '{id,tenant_id,message_id}'
                                               ELSE '{id,tenant_id,campaign_id}' END::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{21,23,20}'::pg_catalog.oid[])
                    WHEN a.attname = ANY (CASE v_source
                                               WHEN 'outbound_messages' THEN '{channel}'
                                               WHEN 'message_events' THEN '{event_type}'
                                               ELSE '{to_status}' END::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{25,1043,1042,19}'::pg_catalog.oid[])
                    WHEN a.attname = ANY (CASE v_source
                                               WHEN 'outbound_messages' THEN '{sent_at}'
                                               WHEN 'message_events' THEN '{occurred_at}'
                                               ELSE '{transitioned_at}' END::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{1114,1184}'::pg_catalog.oid[])
                    ELSE false END)
       <> (CASE v_source WHEN 'outbound_messages' THEN 6 ELSE 5 END) THEN
        IF NOT pgrollup_internal.citus_shard_columns_ok(TG_RELID, v_read) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- the log's shard colocated with this shard: looked up in Citus's metadata once per session
    -- and shard (a setting of the session), checked to exist at each use (a shard moved away or a
    -- re-install gives another name)
    IF v_log IS NULL OR v_log = '' OR pg_catalog.to_regclass(v_log) IS NULL THEN
        v_log := pgrollup_internal.citus_colocated_shard('pgrollup_internal.msg_changes', TG_TABLE_NAME);
        IF v_log IS NULL THEN
            RETURN NULL;   -- the coordinator's table, or no colocated log here: rollup_health says so
        END IF;
        PERFORM pg_catalog.set_config(v_key, v_log, false);
    END IF;
    END IF;
    IF v_source = 'outbound_messages' THEN
        IF TG_OP = 'INSERT' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id) SELECT n.tenant_id, n.id FROM pgr_new AS n';
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id) SELECT o.tenant_id, o.id FROM pgr_old AS o';
        ELSE
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id) '
                    'SELECT n.tenant_id, n.id FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id '
                    ' WHERE o.id IS NULL '
                    '    OR ROW(o.tenant_id, o.campaign_id, o.contact_id, o.channel, o.sent_at) '
                    '       IS DISTINCT FROM ROW(n.tenant_id, n.campaign_id, n.contact_id, n.channel, n.sent_at) '
                    'UNION '
                    'SELECT o.tenant_id, o.id FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id WHERE n.id IS NULL';
        END IF;
    ELSIF v_source = 'message_events' THEN
        -- as messaging_capture_event: one row per inserted event with its id; the messages of
        -- updated and deleted events are restated (whatever their type: the registry is a
        -- reference table, which a worker would read through Citus); events without a message
        -- as rows with message_id NULL and their ids
        IF TG_OP = 'INSERT' THEN
            IF v_rest IS NOT TRUE THEN   -- (else the static branch logged the first 16)
                EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id, event_id) '
                        'SELECT n.tenant_id, n.message_id, CASE WHEN n.message_id IS NULL OR n.occurred_at IS NOT NULL THEN n.id END '
                        '  FROM pgr_new AS n LIMIT 16';
                GET DIAGNOSTICS v_rows = ROW_COUNT;
            END IF;
            IF v_rows = 16 THEN
                -- past the 16th row, parallel arrays per tenant in one scan, then the events
                -- without a message, an id or occurred_at one row each when there are any (as in
                -- messaging_capture_event)
                EXECUTE 'WITH g AS ( '
                        '  SELECT r.tenant_id, pg_catalog.array_agg(r.message_id) FILTER (WHERE r.ok) AS message_ids, '
                        '         pg_catalog.array_agg(r.id) FILTER (WHERE r.ok) AS event_ids, pg_catalog.bool_or(NOT r.ok) AS odd '
                        '    FROM (SELECT n.tenant_id, n.message_id, n.id, '
                        '                 (n.message_id IS NOT NULL AND n.occurred_at IS NOT NULL AND n.id IS NOT NULL) AS ok '
                        '            FROM pgr_new AS n OFFSET 16) AS r '
                        '   GROUP BY r.tenant_id, r.id >> 16), '
                        'ins AS (INSERT INTO ' || v_log || ' (tenant_id, message_ids, event_ids) '
                        '        SELECT g.tenant_id, g.message_ids, g.event_ids FROM g WHERE g.event_ids IS NOT NULL) '
                        'SELECT pg_catalog.bool_or(g.odd) FROM g'
                   INTO v_odd;
                IF v_odd THEN
                    EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id, event_id) '
                            'SELECT r.tenant_id, r.message_id, CASE WHEN r.message_id IS NULL OR r.occurred_at IS NOT NULL THEN r.id END '
                            '  FROM (SELECT n.tenant_id, n.message_id, n.occurred_at, n.id FROM pgr_new AS n OFFSET 16) AS r '
                            ' WHERE r.message_id IS NULL OR r.occurred_at IS NULL OR r.id IS NULL';
                END IF;
            END IF;
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id, event_ids) '
                    'SELECT o.tenant_id, o.message_id, CASE WHEN o.message_id IS NULL THEN pg_catalog.array_agg(o.id) END '
                    '  FROM pgr_old AS o GROUP BY o.tenant_id, o.message_id';
        ELSE
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id, event_ids) '
                    'SELECT x.tenant_id, x.message_id, CASE WHEN x.message_id IS NULL THEN pg_catalog.array_agg(x.id) END '
                    '  FROM (SELECT n.tenant_id, n.message_id, n.id FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id '
                    '         WHERE o.id IS NULL '
                    '            OR ROW(o.message_id, o.event_type, o.occurred_at) IS DISTINCT FROM ROW(n.message_id, n.event_type, n.occurred_at) '
                    '        UNION '
                    '        SELECT o.tenant_id, o.message_id, o.id FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id '
                    '         WHERE n.id IS NULL '
                    '            OR ROW(o.message_id, o.event_type, o.occurred_at) IS DISTINCT FROM ROW(n.message_id, n.event_type, n.occurred_at)) AS x '
                    ' GROUP BY x.tenant_id, x.message_id';
        END IF;
    ELSIF v_source = 'campaign_transitions' THEN
        IF TG_OP = 'INSERT' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, transition_id) SELECT n.tenant_id, n.id FROM pgr_new AS n';
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, transition_id) SELECT o.tenant_id, o.id FROM pgr_old AS o';
        ELSE
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, transition_id) '
                    'SELECT n.tenant_id, n.id FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id '
                    ' WHERE o.id IS NULL '
                    '    OR ROW(o.tenant_id, o.campaign_id, o.to_status, o.transitioned_at) '
                    '       IS DISTINCT FROM ROW(n.tenant_id, n.campaign_id, n.to_status, n.transitioned_at) '
                    'UNION '
                    'SELECT o.tenant_id, o.id FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id WHERE n.id IS NULL';
        END IF;
    END IF;
    RETURN NULL;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.messaging_capture_shard() IS 'Capture trigger function on the messaging sources distributed by Citus (statement level, transition tables pgr_new / pgr_old; Citus fires it on each shard a statement writes, on that shard''s node): appends the statement''s changed keys with their tenant to the colocated shard of the change log on that node (inserted events past the 16th of a statement as rows of parallel arrays per tenant); a drifted column lets the statement through.';

CREATE FUNCTION pgrollup_internal.messaging_capture_transition() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- on a Citus worker (no pgrollup tables there): as in reporting_capture
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- column drift: recorded, and the statement goes through (the column check of reporting_capture)
    -- the source table, a partition or an inheritance child of it: as in reporting_capture
    IF TG_RELID = '0'::pg_catalog.regclass::oid
       OR pg_catalog.pg_partition_root(TG_RELID::regclass)::oid = '0'::pg_catalog.regclass::oid
       OR pgrollup_internal.source_inherits_from(TG_RELID, '0'::pg_catalog.regclass::oid) THEN
        IF NOT pgrollup_internal.capture_columns_ok('messaging', 'campaign_transitions', '0'::pg_catalog.regclass) THEN
            PERFORM pgrollup_internal.capture_note_drift('messaging', 'campaign_transitions', TG_RELID);
            RETURN NULL;
        END IF;
    ELSE
        -- any other relation: as in reporting_capture
        IF pgrollup_internal.capture_skipped('messaging', 'campaign_transitions', TG_RELID) THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pgrollup_internal.msg_changes (transition_id)
        SELECT DISTINCT n.id FROM pgr_new AS n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO pgrollup_internal.msg_changes (transition_id)
        SELECT n.id
          FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id
         WHERE o.id IS NULL
            OR ROW(o.tenant_id, o.campaign_id, o.to_status, o.transitioned_at)
               IS DISTINCT FROM ROW(n.tenant_id, n.campaign_id, n.to_status, n.transitioned_at)
        UNION
        SELECT o.id
          FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id
         WHERE n.id IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.msg_changes (transition_id)
        SELECT DISTINCT o.id FROM pgr_old AS o;
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_capture_transition() IS 'Capture trigger (statement level, transition tables) on campaign_transitions and its partitions: appends the ids of inserted, deleted and updated transitions to the messaging change log. When a column it reads has drifted it records a capture failure instead and never fails the statement.';

CREATE FUNCTION pgrollup_internal.messaging_capture_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- on a Citus shard (no pgrollup tables there): let the write through; see capture_problems()
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- a row with every key NULL: the next refresh rebuilds everything from source
    INSERT INTO pgrollup_internal.msg_changes (message_id, transition_id, tenant_id) VALUES (NULL, NULL, NULL);
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_capture_truncate() IS 'Capture trigger for TRUNCATE of a messaging source table: asks the next refresh for a full rebuild.';

CREATE FUNCTION pgrollup_internal.messaging_check_orphans(p_event_ids bigint[]) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_n bigint;
BEGIN
    IF p_event_ids IS NULL THEN
        DELETE FROM pgrollup_internal.msg_set_aside AS a
         WHERE a.source_table = 'message_events' AND a.reason = 'message_events.message_id is NULL';
        INSERT INTO pgrollup_internal.msg_set_aside (source_table, row_id, message_id, reason, tenant_id)
        SELECT 'message_events', e.id, NULL, 'message_events.message_id is NULL',
               (pg_catalog.to_jsonb(e) OPERATOR(pg_catalog.->>) 'tenant_id')::bigint   -- (the column is optional)
          FROM "public".message_events AS e
         WHERE e.message_id IS NULL
           AND EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = e.event_type)
        ON CONFLICT ON CONSTRAINT msg_set_aside_pkey DO NOTHING;
    ELSE
        DELETE FROM pgrollup_internal.msg_set_aside AS a
         WHERE a.source_table = 'message_events' AND a.reason = 'message_events.message_id is NULL'
           AND a.row_id = ANY (p_event_ids);
        INSERT INTO pgrollup_internal.msg_set_aside (source_table, row_id, message_id, reason, tenant_id)
        SELECT 'message_events', e.id, NULL, 'message_events.message_id is NULL',
               (pg_catalog.to_jsonb(e) OPERATOR(pg_catalog.->>) 'tenant_id')::bigint   -- (the column is optional)
          FROM "public".message_events AS e
         WHERE e.id = ANY (p_event_ids)
           AND e.message_id IS NULL
           AND EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = e.event_type)
        ON CONFLICT ON CONSTRAINT msg_set_aside_pkey DO NOTHING;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_check_orphans(p_event_ids bigint[]) IS 'Re-examines message_events rows without a message_id (the listed ids, or all when NULL): the mapped ones are recorded as set aside in msg_set_aside, fixed or deleted ones leave it. Callers hold the module lock.';

CREATE FUNCTION pgrollup_internal.messaging_citus_bind_capture() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_schema  text := (SELECT m.source_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging');
    v_source  regclass;
    v_changed boolean := false;
    v_bind    record;
BEGIN
    -- The static INSERT branch of each shard of the three sources in messaging_capture_shard (see
    -- pgrollup_internal.citus_bind_capture): the statements of its general path, into the change
    -- log's colocated shard; for message_events the first 16 events of the statement, the rest
    -- (when there may be more) left to the general path. Returns whether the function changed.
    FOR v_bind IN
        SELECT * FROM (VALUES
            ('outbound_messages',
             'INSERT INTO %1$s (tenant_id, message_id) SELECT n.tenant_id, n.id FROM pgr_new AS n; RETURN NULL;'),
            ('message_events',
             'INSERT INTO %1$s (tenant_id, message_id, event_id) '
             'SELECT n.tenant_id, n.message_id, CASE WHEN n.message_id IS NULL OR n.occurred_at IS NOT NULL THEN n.id END '
             'FROM pgr_new AS n LIMIT 16; '
             'GET DIAGNOSTICS v_rows = ROW_COUNT; '
             'IF v_rows < 16 THEN RETURN NULL; END IF; '
             'v_log := %2$s; v_rest := true;'),
            ('campaign_transitions',
             'INSERT INTO %1$s (tenant_id, transition_id) SELECT n.tenant_id, n.id FROM pgr_new AS n; RETURN NULL;')
        ) AS b (source, insert)
    LOOP
        v_source := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, v_bind.source));
        IF v_source IS NULL OR pgrollup_internal.citus_placement(v_source) IS DISTINCT FROM 'a Citus distributed table (by tenant_id)' THEN
            CONTINUE;
        END IF;
        v_changed := pgrollup_internal.citus_bind_capture(
            'pgrollup_internal.messaging_capture_shard()'::pg_catalog.regprocedure, 'messaging', v_source,
            'pgrollup_internal.msg_changes'::pg_catalog.regclass, v_bind.insert) OR v_changed;
    END LOOP;
    RETURN v_changed;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.messaging_citus_bind_capture() IS 'Citus: writes the static INSERT branch of every shard of outbound_messages, message_events and campaign_transitions into pgrollup_internal.messaging_capture_shard (pgrollup_internal.citus_bind_capture); called by the Citus layout at install and by each refresh (a no-op unless shards changed). Returns whether the function changed.';

CREATE FUNCTION pgrollup_internal.messaging_citus_layout() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_schema text;
    v_table  text;
    v_source regclass;
    v_first  regclass;
    v_queue  boolean := false;
BEGIN
    -- Follows the messaging sources onto Citus once they are distributed by tenant_id (colocated,
    -- tenant_id bigint): the per-tenant tables (change log, per-message state and contributions,
    -- transition copy, set-aside rows, bucket rollups) become distributed tables colocated with
    -- them, every unique key holding tenant_id; the registry and the tenant zones reference tables;
    -- capture becomes statement-level triggers that Citus fires on each shard, next to the log's
    -- shard. The first time, the incremental state is emptied and every key logged, so that the
    -- next refresh builds it on the workers. Idempotent.
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging';
    FOREACH v_table IN ARRAY '{outbound_messages,message_events,campaign_transitions}'::text[] LOOP
        v_source := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, v_table));
        IF pgrollup_internal.citus_placement(v_source) IS DISTINCT FROM 'a Citus distributed table (by tenant_id)'
           OR (SELECT a.atttypid FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = v_source AND a.attname = 'tenant_id') IS DISTINCT FROM 'pg_catalog.int8'::regtype THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = pg_catalog.format('messaging: %s is not a Citus table distributed by a bigint tenant_id', v_source);
        END IF;
        IF v_first IS NULL THEN
            v_first := v_source;
        ELSIF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition AS a, pg_catalog.pg_dist_partition AS b
                           WHERE a.logicalrelid = v_first AND b.logicalrelid = v_source AND a.colocationid = b.colocationid) THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = pg_catalog.format('messaging: %s is not colocated with %s', v_source, v_first);
        END IF;
    END LOOP;
    IF pgrollup_internal.messaging_mode() <> 'incremental' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'messaging: materialized_view mode is not supported on Citus',
            HINT = 'SELECT pgrollup.set_messaging_mode(''incremental'') before the sources are distributed.';
    END IF;
    -- Citus refuses any trigger DDL on a distributed table without this (transaction-local)
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    -- one connection per node for the DDL below, whatever ran before in the transaction
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM pgrollup_internal.messaging_detach();
    DELETE FROM pgrollup_internal.capture_triggers AS c WHERE c.module = 'messaging';
    -- declared for the core, which creates them on the sources (attach_capture, below) and reports
    -- them missing or disabled in rollup_health. INSERT, UPDATE and DELETE fire on each shard;
    -- TRUNCATE fires on the coordinator.
    INSERT INTO pgrollup_internal.capture_triggers
           (module, table_name, trigger_name, event, function_name, old_table, new_table, modes, root_only)
    SELECT 'messaging', s.tbl, t.name, t.event,
           CASE WHEN t.event = 'TRUNCATE' THEN 'pgrollup_internal.messaging_citus_truncate' ELSE 'pgrollup_internal.messaging_capture_shard' END,
           t.old_table, t.new_table, ARRAY['incremental'], true
      FROM (VALUES ('outbound_messages'), ('message_events'), ('campaign_transitions')) AS s(tbl)
     CROSS JOIN (VALUES ('pgrollup_messaging_insert', 'INSERT', NULL, 'pgr_new'),
                        ('pgrollup_messaging_update', 'UPDATE', 'pgr_old', 'pgr_new'),
                        ('pgrollup_messaging_delete', 'DELETE', 'pgr_old', NULL),
                        ('pgrollup_messaging_truncate', 'TRUNCATE', NULL, NULL)) AS t(name, event, old_table, new_table);
    UPDATE pgrollup_internal.modules AS m
       SET slices_function = NULL, restate_function = NULL
     WHERE m.module = 'messaging';
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NULL THEN
        -- the state is rebuilt on the workers from every key logged below
        TRUNCATE pgrollup_internal.msg_changes, pgrollup_internal.msg_state, pgrollup_internal.msg_contrib,
                 pgrollup_internal.msg_transitions, pgrollup_internal.msg_set_aside,
                 pgrollup_internal.msg_contact_hourly, pgrollup_internal.msg_campaign_daily,
                 pgrollup_internal.msg_tenant_daily;
        DELETE FROM pgrollup_internal.rows_set_aside AS r WHERE r.module = 'messaging';
        -- every unique key holds the distribution column
        ALTER TABLE pgrollup_internal.msg_state DROP CONSTRAINT msg_state_pkey,
            ADD CONSTRAINT msg_state_pkey PRIMARY KEY (message_id, tenant_id);
        ALTER TABLE pgrollup_internal.msg_contrib DROP CONSTRAINT msg_contrib_pkey,
            ADD CONSTRAINT msg_contrib_pkey PRIMARY KEY (message_id, hour, local_date, tenant_id);
        ALTER TABLE pgrollup_internal.msg_transitions DROP CONSTRAINT msg_transitions_pkey,
            ADD CONSTRAINT msg_transitions_pkey PRIMARY KEY (id, tenant_id);
        ALTER TABLE pgrollup_internal.msg_set_aside ALTER COLUMN tenant_id SET NOT NULL,
            DROP CONSTRAINT msg_set_aside_pkey,
            ADD CONSTRAINT msg_set_aside_pkey PRIMARY KEY (source_table, row_id, reason, tenant_id);
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup.message_event_metrics'::regclass) IS NULL THEN
        PERFORM pg_catalog.create_reference_table('pgrollup.message_event_metrics');
        PERFORM pg_catalog.truncate_local_data_after_distributing_table('pgrollup.message_event_metrics');
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_tenants'::regclass) IS NULL THEN
        PERFORM pg_catalog.create_reference_table('pgrollup_internal.msg_tenants');
        PERFORM pg_catalog.truncate_local_data_after_distributing_table('pgrollup_internal.msg_tenants');
    END IF;
    FOREACH v_table IN ARRAY '{msg_changes,msg_state,msg_contrib,msg_transitions,msg_set_aside,msg_contact_hourly,msg_campaign_daily,msg_tenant_daily}'::text[] LOOP
        IF pgrollup_internal.citus_placement(pg_catalog.format('pgrollup_internal.%I', v_table)::regclass) IS NULL THEN
            PERFORM pg_catalog.create_distributed_table(pg_catalog.format('pgrollup_internal.%I', v_table),
                                                        'tenant_id', colocate_with => v_first::text);
            v_queue := v_queue OR v_table = 'msg_changes';
        END IF;
    END LOOP;
    IF v_queue THEN
        PERFORM pgrollup_internal.messaging_citus_queue(NULL);   -- the first build, on the workers
    END IF;
    -- the code each node runs (the capture trigger's function follows its trigger)
    PERFORM pg_catalog.create_distributed_function(f::pg_catalog.regprocedure)
       FROM pg_catalog.unnest(ARRAY['pgrollup_internal.utc(timestamp without time zone)', 'pgrollup_internal.utc(timestamp with time zone)',
                               'pgrollup_internal.citus_shard_map(bigint)', 'pgrollup_internal.citus_bind(regprocedure, jsonb, text)',
                               'pgrollup_internal.citus_colocated_shard(regclass, name)',
                               'pgrollup_internal.base_type(oid)', 'pgrollup_internal.kind_accepts(text, oid)',
                               'pgrollup_internal.citus_shard_columns_ok(regclass, jsonb)',
                               'pgrollup_internal.citus_shard_columns_folded(regclass, jsonb)',
                               'pgrollup_internal.messaging_keys_table()', 'pgrollup_internal.messaging_refresh_log()',
                               'pgrollup_internal.messaging_add_events()', 'pgrollup_internal.messaging_restate()',
                               'pgrollup_internal.messaging_by_key(text)', 'pgrollup_internal.messaging_apply_delta()',
                               'pgrollup_internal.messaging_sync_transitions(bigint[], bigint, boolean)',
                               'pgrollup_internal.messaging_check_orphans(bigint[])',
                               'pgrollup_internal.messaging_refresh_node()']) AS f
      WHERE pg_catalog.to_regprocedure(f) IS NOT NULL;
    -- the campaign status of each date by a plain join on tenant_id (the latest transition before
    -- the end of the date, by DISTINCT ON), not by a LATERAL lookup: Citus routes a read filtered
    -- on one tenant to one shard only when every distributed table is joined on the distribution
    -- column, and it does not route the LATERAL form. Same columns, same rows.
    CREATE OR REPLACE VIEW pgrollup_internal.msg_inc_campaign_daily AS
    SELECT DISTINCT ON (r.tenant_id, r.campaign_id, r.date)
           r.tenant_id, r.campaign_id, r.date,
           r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks,
           t.to_status AS status
      FROM pgrollup_internal.msg_campaign_daily AS r
      LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = r.tenant_id
      LEFT JOIN pgrollup_internal.msg_transitions AS t
        ON t.tenant_id = r.tenant_id AND t.campaign_id = r.campaign_id
       AND t.transitioned_at < ((r.date + 1)::timestamp AT TIME ZONE COALESCE(z.timezone, 'UTC'))
     ORDER BY r.tenant_id, r.campaign_id, r.date, t.transitioned_at DESC, t.id DESC;
    COMMENT ON VIEW pgrollup_internal.msg_inc_campaign_daily IS 'messaging incremental mode: campaign-daily rollup with the campaign status of each local date (on Citus: looked up by a join on tenant_id, which Citus routes to one shard per tenant).';
    PERFORM pgrollup_internal.attach_capture('messaging');
    PERFORM pgrollup_internal.messaging_citus_bind_capture();
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_citus_layout() IS 'Citus: makes the messaging module''s per-tenant tables distributed tables colocated with the sources (distributed by a bigint tenant_id; every unique key holding it), the registry and the tenant zones reference tables, its node code distributed functions, and capture the statement-level triggers of pgrollup_internal.messaging_capture_shard, which fire on each shard (and the TRUNCATE trigger of pgrollup_internal.messaging_citus_truncate, on the coordinator). The first time, the state is emptied and every key logged for the next refresh. Idempotent.';

CREATE FUNCTION pgrollup_internal.messaging_citus_queue(p_tenant_id bigint DEFAULT NULL::bigint) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_now   timestamptz := pg_catalog.clock_timestamp();
    v_total bigint := 0;
    v_n     bigint;
    v_key   record;
BEGIN
    FOR v_key IN
        SELECT * FROM (VALUES
            -- (log column, key, table, filter): messages, transitions and events without a
            -- message, as in source now and as applied or set aside
            ('message_id', 'x.id', '"public".outbound_messages', 'true'),
            ('message_id', 'x.message_id', 'pgrollup_internal.msg_state', 'true'),
            ('message_id', 'x.message_id', 'pgrollup_internal.msg_set_aside', 'x.message_id IS NOT NULL'),
            ('transition_id', 'x.id', '"public".campaign_transitions', 'true'),
            ('transition_id', 'x.id', 'pgrollup_internal.msg_transitions', 'true'),
            ('transition_id', 'x.row_id', 'pgrollup_internal.msg_set_aside', 'x.source_table = ''campaign_transitions'''),
            ('event_id', 'x.id', '"public".message_events', 'x.message_id IS NULL'),
            ('event_id', 'x.row_id', 'pgrollup_internal.msg_set_aside',
             'x.source_table = ''message_events'' AND x.message_id IS NULL')) AS k(col, id, tbl, filter)
    LOOP
        EXECUTE pg_catalog.format(
            'INSERT INTO pgrollup_internal.msg_changes (captured_at, tenant_id, %I) SELECT $1, x.tenant_id, %s FROM %s AS x '
            'WHERE %s AND ($2::bigint IS NULL OR x.tenant_id = $2)', v_key.col, v_key.id, v_key.tbl, v_key.filter)
          USING v_now, p_tenant_id;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_total := v_total + v_n;
    END LOOP;
    RETURN v_total;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.messaging_citus_queue(p_tenant_id bigint) IS 'Citus: logs every key of one tenant (NULL: all), applied or in source now, so that the next refresh restates it on its shard group (colocated INSERT ... SELECT statements run on the shards); returns the rows logged. Stands for the single-node full rebuild.';

CREATE FUNCTION pgrollup_internal.messaging_citus_truncate() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- TRUNCATE of a messaging source distributed by Citus fires this on the coordinator (Citus
    -- copies it to the workers, where pgrollup's coordinator tables are not and it does nothing):
    -- every key pgrollup holds is logged for restatement, in the TRUNCATE's transaction.
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL
       OR pgrollup_internal.citus_placement(TG_RELID) IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pgrollup_internal.messaging_citus_queue(NULL);
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_citus_truncate() IS 'Citus: TRUNCATE trigger of the distributed messaging sources (fires on the coordinator): logs every key pgrollup holds for restatement by the next refresh (pgrollup_internal.messaging_citus_queue).';

CREATE FUNCTION pgrollup_internal.messaging_create_mvs() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $_$
DECLARE
    v_points text := $q$
        WITH m AS (
            SELECT o.id::bigint          AS message_id,
                   o.tenant_id::bigint   AS tenant_id,
                   o.campaign_id::bigint AS campaign_id,
                   o.contact_id::bigint  AS contact_id,
                   o.channel::text       AS channel,
                   pgrollup_internal.utc(o.sent_at) AS sent_at,
                   COALESCE(z.timezone, 'UTC') AS timezone
              FROM "public".outbound_messages AS o
              LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = o.tenant_id
        ), ev AS (
            SELECT e.message_id::bigint AS message_id, r.metric, pgrollup_internal.utc(e.occurred_at) AS at
              FROM "public".message_events AS e
              JOIN pgrollup.message_event_metrics AS r ON r.event_type = e.event_type
        ), firsts AS (
            SELECT ev.message_id, 'unique_' || ev.metric AS metric, pg_catalog.min(ev.at) AS at
              FROM ev WHERE ev.metric IN ('opens', 'clicks')
             GROUP BY ev.message_id, ev.metric
        ), p AS (
            SELECT m.tenant_id, m.campaign_id, m.contact_id, m.channel, m.timezone, 'sends'::text AS metric, m.sent_at AS at
              FROM m WHERE m.sent_at IS NOT NULL
            UNION ALL
            SELECT m.tenant_id, m.campaign_id, m.contact_id, m.channel, m.timezone, ev.metric, ev.at
              FROM m JOIN ev ON ev.message_id = m.message_id
            UNION ALL
            SELECT m.tenant_id, m.campaign_id, m.contact_id, m.channel, m.timezone, f.metric, f.at
              FROM m JOIN firsts AS f ON f.message_id = m.message_id
        )
    $q$;
    v_counts text := $q$
           pg_catalog.count(*) FILTER (WHERE p.metric = 'sends')         AS sends,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'delivered')     AS delivered,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'opens')         AS opens,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'clicks')        AS clicks,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'bounces')       AS bounces,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'unsubscribes')  AS unsubscribes,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'unique_opens')  AS unique_opens,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'unique_clicks') AS unique_clicks
    $q$;
BEGIN
    PERFORM pgrollup_internal.messaging_drop_mvs();

    EXECUTE $q$
    CREATE MATERIALIZED VIEW pgrollup_internal.msg_mv_transitions AS
    SELECT t.id::bigint AS id, t.tenant_id::bigint AS tenant_id, t.campaign_id::bigint AS campaign_id,
           pgrollup_internal.utc(t.transitioned_at) AS transitioned_at, t.to_status::text AS to_status
      FROM "public".campaign_transitions AS t
    $q$;
    CREATE UNIQUE INDEX msg_mv_transitions_id_idx ON pgrollup_internal.msg_mv_transitions (id);
    CREATE INDEX msg_mv_transitions_lookup_idx ON pgrollup_internal.msg_mv_transitions
        (tenant_id, campaign_id, transitioned_at DESC, id DESC) INCLUDE (to_status);
    ANALYZE pgrollup_internal.msg_mv_transitions;

    EXECUTE $q$
    CREATE MATERIALIZED VIEW pgrollup_internal.msg_mv_message AS
    SELECT o.id::bigint AS message_id, o.tenant_id::bigint AS tenant_id, o.campaign_id::bigint AS campaign_id,
           o.contact_id::bigint AS contact_id, o.channel::text AS channel,
           pgrollup_internal.utc(o.sent_at) AS sent_at,
           COALESCE(ev.delivered, 0)::bigint AS delivered, COALESCE(ev.opens, 0)::bigint AS opens,
           COALESCE(ev.clicks, 0)::bigint AS clicks, COALESCE(ev.bounces, 0)::bigint AS bounces,
           COALESCE(ev.unsubscribes, 0)::bigint AS unsubscribes,
           ev.first_opened_at, ev.first_clicked_at
      FROM "public".outbound_messages AS o
      LEFT JOIN (
            SELECT e.message_id::bigint AS message_id,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'delivered')    AS delivered,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'opens')        AS opens,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'clicks')       AS clicks,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'bounces')      AS bounces,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'unsubscribes') AS unsubscribes,
                   pg_catalog.min(pgrollup_internal.utc(e.occurred_at)) FILTER (WHERE r.metric = 'opens')  AS first_opened_at,
                   pg_catalog.min(pgrollup_internal.utc(e.occurred_at)) FILTER (WHERE r.metric = 'clicks') AS first_clicked_at
              FROM "public".message_events AS e
              JOIN pgrollup.message_event_metrics AS r ON r.event_type = e.event_type
             GROUP BY e.message_id
      ) AS ev ON ev.message_id = o.id
    $q$;
    CREATE UNIQUE INDEX msg_mv_message_id_idx ON pgrollup_internal.msg_mv_message (message_id);
    CREATE INDEX msg_mv_message_tenant_idx ON pgrollup_internal.msg_mv_message (tenant_id);

    EXECUTE 'CREATE MATERIALIZED VIEW pgrollup_internal.msg_mv_contact_hourly AS ' || v_points || $q$
    SELECT p.tenant_id, p.contact_id, p.channel, pg_catalog.date_trunc('hour', p.at, p.timezone) AS hour, $q$ || v_counts || $q$
      FROM p
     GROUP BY p.tenant_id, p.contact_id, p.channel, pg_catalog.date_trunc('hour', p.at, p.timezone)
    $q$;
    CREATE UNIQUE INDEX msg_mv_contact_hourly_key_idx ON pgrollup_internal.msg_mv_contact_hourly (tenant_id, contact_id, hour, channel);

    EXECUTE 'CREATE MATERIALIZED VIEW pgrollup_internal.msg_mv_campaign_daily AS ' || v_points || $q$
    , g AS (
        SELECT p.tenant_id, p.campaign_id, (p.at AT TIME ZONE p.timezone)::date AS date, p.timezone, $q$ || v_counts || $q$
          FROM p
         WHERE p.campaign_id IS NOT NULL
         GROUP BY p.tenant_id, p.campaign_id, (p.at AT TIME ZONE p.timezone)::date, p.timezone
    )
    SELECT g.tenant_id, g.campaign_id, g.date,
           g.sends, g.delivered, g.opens, g.clicks, g.bounces, g.unsubscribes, g.unique_opens, g.unique_clicks,
           (SELECT t.to_status FROM pgrollup_internal.msg_mv_transitions AS t
             WHERE t.tenant_id = g.tenant_id AND t.campaign_id = g.campaign_id
               AND t.transitioned_at < ((g.date + 1)::timestamp AT TIME ZONE g.timezone)
             ORDER BY t.transitioned_at DESC, t.id DESC LIMIT 1) AS status
      FROM g
    $q$;
    CREATE UNIQUE INDEX msg_mv_campaign_daily_key_idx ON pgrollup_internal.msg_mv_campaign_daily (tenant_id, campaign_id, date);
    CREATE INDEX msg_mv_campaign_daily_tenant_date_idx ON pgrollup_internal.msg_mv_campaign_daily (tenant_id, date);

    EXECUTE 'CREATE MATERIALIZED VIEW pgrollup_internal.msg_mv_tenant_daily AS ' || v_points || $q$
    SELECT p.tenant_id, (p.at AT TIME ZONE p.timezone)::date AS date, $q$ || v_counts || $q$
      FROM p
     GROUP BY p.tenant_id, (p.at AT TIME ZONE p.timezone)::date
    $q$;
    CREATE UNIQUE INDEX msg_mv_tenant_daily_key_idx ON pgrollup_internal.msg_mv_tenant_daily (tenant_id, date);

    COMMENT ON MATERIALIZED VIEW pgrollup_internal.msg_mv_transitions IS 'messaging materialized_view mode: copy of campaign_transitions (UTC instants) used for the campaign status.';
    COMMENT ON MATERIALIZED VIEW pgrollup_internal.msg_mv_message IS 'messaging materialized_view mode: the metrics_message reference query.';
    COMMENT ON MATERIALIZED VIEW pgrollup_internal.msg_mv_contact_hourly IS 'messaging materialized_view mode: the metrics_contact_hourly reference query.';
    COMMENT ON MATERIALIZED VIEW pgrollup_internal.msg_mv_campaign_daily IS 'messaging materialized_view mode: the metrics_campaign_daily reference query, status included.';
    COMMENT ON MATERIALIZED VIEW pgrollup_internal.msg_mv_tenant_daily IS 'messaging materialized_view mode: the metrics_tenant_daily reference query.';
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.messaging_create_mvs() IS '(Re)creates the materialized views of the messaging materialized_view mode from the reference queries, populated, with the unique indexes REFRESH ... CONCURRENTLY needs.';

CREATE FUNCTION pgrollup_internal.messaging_detach() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_fn regprocedure;
BEGIN
    FOR v_fn IN
        SELECT f FROM pg_catalog.unnest(ARRAY[pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_message()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_event()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_transition()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_truncate()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_shard()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_citus_truncate()')]) AS f
         WHERE f IS NOT NULL
    LOOP
        PERFORM pgrollup_internal.drop_triggers_of(v_fn);
    END LOOP;
    -- the core's partition TRUNCATE triggers and its record of covered partitions
    IF pg_catalog.to_regprocedure('pgrollup_internal.detach_capture(text)') IS NOT NULL THEN
        PERFORM pgrollup_internal.detach_capture('messaging');
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_detach() IS 'messaging detach hook: drops every capture trigger the module put on source tables and partitions (and the core''s partition TRUNCATE triggers for it).';

CREATE FUNCTION pgrollup_internal.messaging_drift() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- drift of the three source tables (not of their partitions: a partition always has its
    -- parent's columns); a dropped table is drift too
    SELECT pg_catalog.string_agg(COALESCE(pgrollup_internal.source_drift('messaging', t.tbl, r.relid),
                                          CASE WHEN r.relid IS NULL THEN pg_catalog.format('table %I.%I is missing', m.source_schema, t.tbl) END),
                                 '; ' ORDER BY t.tbl)
      FROM pgrollup_internal.modules AS m
     CROSS JOIN (VALUES ('campaign_transitions'), ('message_events'), ('outbound_messages')) AS t(tbl)
     CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', m.source_schema, t.tbl))::oid AS relid) AS r
     WHERE m.module = 'messaging';
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_drift() IS 'Column drift of the messaging source tables (pgrollup_internal.source_drift of each, or a missing table), NULL when none.';

CREATE FUNCTION pgrollup_internal.messaging_drop_mvs() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET client_min_messages TO 'warning'
    AS $$
BEGIN
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_contact_hourly;
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_campaign_daily;
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_tenant_daily;
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_message;
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_transitions;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_drop_mvs() IS 'Drops the materialized views of the messaging materialized_view mode (the public views must not point at them).';

CREATE FUNCTION pgrollup_internal.messaging_health() RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamp with time zone)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
#variable_conflict use_column
DECLARE
    v_mode  text := pgrollup_internal.messaging_mode();
    v_since timestamptz;
BEGIN
    IF v_mode = 'materialized_view' THEN
        SELECT s.value::timestamptz INTO v_since
          FROM pgrollup_internal.settings AS s WHERE s.name = 'messaging.mode_since';
        RETURN QUERY
        SELECT v_mode, NULL::bigint,
               COALESCE((SELECT pg_catalog.max(r.started_at) FROM pgrollup_internal.refresh_runs AS r
                          WHERE r.module = 'messaging' AND r.status = 'ok' AND r.started_at >= v_since), v_since);
    ELSIF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NULL THEN
        RETURN QUERY
        SELECT v_mode, COALESCE(pg_catalog.sum(COALESCE(pg_catalog.cardinality(c.message_ids), 1)), 0)::bigint, pg_catalog.min(c.captured_at)
          FROM pgrollup_internal.msg_changes AS c;
    ELSE
        -- Citus: every shard of the log counted where it is, without raising when a node does not
        -- answer (rollup_health names it); the count and the oldest change are then unknown (NULL)
        PERFORM pg_catalog.set_config('citus.node_connection_timeout', '5000', true);
        RETURN QUERY EXECUTE
            $q$SELECT $1, CASE WHEN pg_catalog.bool_and(r.success)
                               THEN COALESCE(pg_catalog.sum((r.result::jsonb ->> 0)::bigint) FILTER (WHERE r.success), 0)::bigint END,
                      CASE WHEN pg_catalog.bool_and(r.success)
                           THEN pg_catalog.min((r.result::jsonb ->> 1)::timestamptz) FILTER (WHERE r.success) END
                 FROM pg_catalog.run_command_on_shards(
                        'pgrollup_internal.msg_changes',
                        'SELECT pg_catalog.json_build_array(COALESCE(pg_catalog.sum(COALESCE(pg_catalog.cardinality(message_ids), 1)), 0), pg_catalog.min(captured_at)) FROM %s') AS r$q$
            USING v_mode;
    END IF;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.messaging_health() IS 'messaging health hook: mode; pending changes (change-log rows, each event of a big INSERT''s array rows counted) and the capture time of the oldest (incremental; on Citus over every shard, NULL when a node does not answer); NULL and the start of the last successful refresh since the mode switch, else the switch time (materialized_view).';

CREATE FUNCTION pgrollup_internal.messaging_keys_table() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET client_min_messages TO 'warning'
    AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.pgr_msg_keys;
    CREATE TEMP TABLE pgr_msg_keys (message_id bigint PRIMARY KEY) ON COMMIT DROP;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_keys_table() IS 'Creates (empty) the transaction-local work table pg_temp.pgr_msg_keys of messages to restate.';

CREATE FUNCTION pgrollup_internal.messaging_mode() RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE((SELECT s.value FROM pgrollup_internal.settings AS s WHERE s.name = 'messaging.mode'), 'incremental');
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_mode() IS 'Current messaging mode: incremental (capture triggers, change log) or materialized_view.';

CREATE FUNCTION pgrollup_internal.messaging_note_set_aside() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_total bigint;
BEGIN
    DROP TABLE IF EXISTS pg_temp.pgr_msg_set_aside;
    CREATE TEMP TABLE pgr_msg_set_aside ON COMMIT DROP AS
    SELECT a.reason, pg_catalog.count(*) AS rows, pg_catalog.min(a.seen_at) AS first_seen
      FROM pgrollup_internal.msg_set_aside AS a
     GROUP BY a.reason;
    DELETE FROM pgrollup_internal.rows_set_aside AS r
     WHERE r.module = 'messaging'
       AND NOT EXISTS (SELECT 1 FROM pg_temp.pgr_msg_set_aside AS a WHERE a.reason = r.reason);
    INSERT INTO pgrollup_internal.rows_set_aside AS r (module, reason, rows, first_seen, last_seen)
    SELECT 'messaging', a.reason, a.rows, a.first_seen, pg_catalog.now()
      FROM pg_temp.pgr_msg_set_aside AS a
    ON CONFLICT (module, reason) DO UPDATE
       SET rows = excluded.rows, first_seen = excluded.first_seen,
           last_seen = CASE WHEN r.rows = excluded.rows THEN r.last_seen ELSE excluded.last_seen END;
    SELECT COALESCE(pg_catalog.sum(r.rows), 0)::bigint INTO v_total
      FROM pgrollup_internal.rows_set_aside AS r WHERE r.module = 'messaging';
    RETURN v_total;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_note_set_aside() IS 'Writes the messaging rows currently set aside (msg_set_aside), counted per reason, to pgrollup_internal.rows_set_aside; returns their total. Called at the end of every refresh and backfill.';

CREATE FUNCTION pgrollup_internal.messaging_partition_slices(p_table text, p_relid oid) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_slices jsonb;
BEGIN
    IF p_table = 'message_events' THEN
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''key'', x.tenant_id) ORDER BY x.tenant_id)
               FROM (SELECT s.tenant_id FROM %1$s AS e JOIN pgrollup_internal.msg_state AS s ON s.message_id = e.message_id
                     UNION
                     SELECT o.tenant_id::bigint FROM %1$s AS e JOIN %2$I.outbound_messages AS o ON o.id = e.message_id
                      WHERE o.tenant_id IS NOT NULL) AS x',
            p_relid::regclass, (SELECT m.source_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging'))
           INTO v_slices;
    ELSIF p_table IN ('outbound_messages', 'campaign_transitions') THEN
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''key'', x.tenant_id) ORDER BY x.tenant_id)
               FROM (SELECT DISTINCT t.tenant_id::bigint AS tenant_id FROM %s AS t WHERE t.tenant_id IS NOT NULL) AS x',
            p_relid::regclass)
           INTO v_slices;
    ELSE
        RETURN NULL;
    END IF;
    RETURN COALESCE(v_slices, '[]'::jsonb);
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.messaging_partition_slices(p_table text, p_relid oid) IS 'messaging slices hook: the tenants the rows of one source table member (partition or detached table) count toward, as a jsonb array of {"key": tenant_id}.';

CREATE FUNCTION pgrollup_internal.messaging_rebuild() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_n bigint;
BEGIN
    DELETE FROM pgrollup_internal.msg_changes;
    PERFORM pgrollup_internal.messaging_sync_transitions(NULL, NULL, true);
    DELETE FROM pgrollup_internal.msg_contact_hourly;
    DELETE FROM pgrollup_internal.msg_campaign_daily;
    DELETE FROM pgrollup_internal.msg_tenant_daily;
    DELETE FROM pgrollup_internal.msg_contrib;
    DELETE FROM pgrollup_internal.msg_state;
    DELETE FROM pgrollup_internal.msg_set_aside AS a WHERE a.source_table <> 'campaign_transitions';
    PERFORM pgrollup_internal.messaging_check_orphans(NULL);
    PERFORM pgrollup_internal.messaging_keys_table();
    INSERT INTO pg_temp.pgr_msg_keys (message_id)
    SELECT o.id FROM "public".outbound_messages AS o;
    v_n := pgrollup_internal.messaging_restate();
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_rebuild() IS 'Rebuilds every messaging rollup, the per-message state and the transition copy from source (incremental mode); returns the number of messages. Callers hold the module lock.';

CREATE FUNCTION pgrollup_internal.messaging_refresh() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET client_min_messages TO 'warning'
    AS $$
DECLARE
    v_changes bigint;
    v_drift   text;
    v_switch  boolean;
BEGIN
    IF pgrollup_internal.messaging_mode() = 'materialized_view' THEN
        DELETE FROM pgrollup_internal.msg_changes;   -- nothing is tracked in this mode
        PERFORM pgrollup_internal.messaging_refresh_mvs();
        RETURN 0;
    END IF;

    -- a source column messaging reads was renamed, dropped or retyped: fail loudly (the change log
    -- stays; health names the column; the repair is to fix it, re-run install and backfill)
    v_drift := pgrollup_internal.messaging_drift();
    IF v_drift IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42703',
            MESSAGE = pg_catalog.format('messaging source drift: %s', v_drift),
            HINT = 'Fix the column (or re-run pgrollup install after the application migration), then run pgrollup.backfill_messaging().';
    END IF;

    -- the change log distributed by Citus: every node refreshes its own shards
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NOT NULL THEN
        RETURN pgrollup_internal.messaging_refresh_citus();
    END IF;

    -- a switch to incremental mode waiting for its build: the switch committed its request for a
    -- rebuild with the module lock, held here too, so the refresh below rebuilds everything
    v_switch := EXISTS (SELECT 1 FROM pgrollup_internal.settings AS s
                         WHERE s.name = 'messaging.build_pending' AND s.value = 'true');
    v_changes := pgrollup_internal.messaging_refresh_log();
    IF v_switch THEN
        -- the switch to incremental mode is complete: readers move to the incremental state
        DELETE FROM pgrollup_internal.settings AS s WHERE s.name = 'messaging.build_pending';
        PERFORM pgrollup_internal.messaging_route();
        PERFORM pgrollup_internal.messaging_drop_mvs();
    END IF;
    RETURN v_changes;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_refresh() IS 'messaging refresh hook: in incremental mode consumes the change log, adds the inserted events of messages that changed in no other way, and restates the other touched messages (cost follows the number of changes); in materialized_view mode refreshes the materialized views concurrently. Returns the change-log rows applied. Raises on error.';

CREATE FUNCTION pgrollup_internal.messaging_refresh_citus() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_res    record;
    v_total  bigint;
    v_failed text;
BEGIN
    -- Coordinator side of the Citus refresh: every node refreshes the shards it holds, in parallel,
    -- each in its own transaction (a node that fails or is down leaves its shards' log and rollups
    -- as they were, and the others still advance); the coordinator's own placements, if any, here.
    -- Then the rows set aside on every shard are summarized into rows_set_aside. A failure is
    -- raised after the others finished (the summary then stays as it was): the run is recorded as
    -- failed and retried by the next one.
    v_total := pgrollup_internal.messaging_refresh_node();
    FOR v_res IN EXECUTE
        'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers('
        '''SELECT pgrollup_internal.messaging_refresh_node()'', true)'
    LOOP
        IF NOT v_res.success THEN
            v_failed := pg_catalog.concat_ws('; ', v_failed,
                                             pg_catalog.format('%s:%s: %s', v_res.nodename, v_res.nodeport, v_res.result));
            CONTINUE;
        END IF;
        v_total := v_total + v_res.result::bigint;
    END LOOP;
    IF v_failed IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '58000',
            MESSAGE = 'messaging: refresh failed on ' || v_failed,
            HINT = 'The other nodes'' shards were refreshed; the failed ones keep their change log for the next refresh.';
    END IF;
    -- the set-aside summary (every node answered): grouped on the shards, kept on the coordinator
    PERFORM pgrollup_internal.messaging_note_set_aside();
    -- shards created since the last bind (a shard split) get their static capture branch
    PERFORM pgrollup_internal.citus_rebind_capture('messaging', 'pgrollup_internal.messaging_citus_bind_capture()');
    RETURN v_total;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_refresh_citus() IS 'Citus: refresh of the messaging module from the coordinator: pgrollup_internal.messaging_refresh_node() on every node in parallel (one transaction per node), then the set-aside summary; raises after the others finished when a node failed; then writes the capture branches of shards created since the last bind (citus_rebind_capture).';

CREATE FUNCTION pgrollup_internal.messaging_refresh_log() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET client_min_messages TO 'warning'
    AS $$
DECLARE
    v_changes bigint;
BEGIN
    -- consume the change log in one snapshot: rows committed after this statement stay for the next run
    DROP TABLE IF EXISTS pg_temp.pgr_msg_log;
    CREATE TEMP TABLE pgr_msg_log (message_id bigint, transition_id bigint, tenant_id bigint, event_ids bigint[]) ON COMMIT DROP;
    WITH consumed AS (
        DELETE FROM pgrollup_internal.msg_changes
        RETURNING message_id, transition_id, tenant_id, event_ids, event_id, message_ids
    )
    INSERT INTO pg_temp.pgr_msg_log (message_id, transition_id, tenant_id, event_ids)
    SELECT c.message_id, c.transition_id, c.tenant_id,
           CASE WHEN c.event_id IS NOT NULL THEN ARRAY[c.event_id] ELSE c.event_ids END   -- one inserted event
      FROM consumed AS c
     WHERE c.message_ids IS NULL
    UNION ALL
    -- the events of a big INSERT, as if each had its own row (restated when event_ids was cleared)
    SELECT u.message_id, NULL, c.tenant_id, CASE WHEN u.event_id IS NOT NULL THEN ARRAY[u.event_id] END
      FROM consumed AS c
     CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(c.message_ids), pg_catalog.unnest(c.event_ids)) AS u(message_id, event_id)
     WHERE c.message_ids IS NOT NULL AND u.message_id IS NOT NULL;
    GET DIAGNOSTICS v_changes = ROW_COUNT;
    IF v_changes = 0 THEN
        RETURN 0;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_temp.pgr_msg_log AS l
                WHERE l.message_id IS NULL AND l.transition_id IS NULL AND l.tenant_id IS NULL
                  AND l.event_ids IS NULL) THEN
        PERFORM pgrollup_internal.messaging_rebuild();   -- after install, TRUNCATE, mode switch
        PERFORM pgrollup_internal.messaging_note_set_aside();
        RETURN v_changes;
    END IF;

    -- events without a message_id (inserted, or updated / deleted from or to one): set aside or cleared
    IF EXISTS (SELECT 1 FROM pg_temp.pgr_msg_log AS l WHERE l.message_id IS NULL AND l.event_ids IS NOT NULL) THEN
        PERFORM pgrollup_internal.messaging_check_orphans(
            ARRAY(SELECT DISTINCT u.event_id
                    FROM pg_temp.pgr_msg_log AS l
                   CROSS JOIN LATERAL pg_catalog.unnest(l.event_ids) AS u(event_id)
                   WHERE l.message_id IS NULL AND l.event_ids IS NOT NULL));
    END IF;

    PERFORM pgrollup_internal.messaging_sync_transitions(
        ARRAY(SELECT DISTINCT l.transition_id FROM pg_temp.pgr_msg_log AS l WHERE l.transition_id IS NOT NULL));

    -- messages to restate from source: every change other than inserted events
    PERFORM pgrollup_internal.messaging_keys_table();
    INSERT INTO pg_temp.pgr_msg_keys (message_id)
    SELECT DISTINCT l.message_id FROM pg_temp.pgr_msg_log AS l WHERE l.message_id IS NOT NULL AND l.event_ids IS NULL;
    -- a tenant whose zone changed: a row naming the tenant and nothing else
    IF EXISTS (SELECT 1 FROM pg_temp.pgr_msg_log AS l
                WHERE l.tenant_id IS NOT NULL AND l.message_id IS NULL AND l.transition_id IS NULL AND l.event_ids IS NULL) THEN
        INSERT INTO pg_temp.pgr_msg_keys (message_id)   -- a tenant whose zone changed: its whole history
        SELECT s.message_id
          FROM (SELECT DISTINCT l.tenant_id FROM pg_temp.pgr_msg_log AS l
                 WHERE l.tenant_id IS NOT NULL AND l.message_id IS NULL AND l.transition_id IS NULL AND l.event_ids IS NULL) AS t
          JOIN pgrollup_internal.msg_state AS s ON s.tenant_id = t.tenant_id
        ON CONFLICT (message_id) DO NOTHING;
    END IF;
    -- messages whose only changes are inserted events: just those events are added (the messages
    -- without a per-message state to add them to are moved to pgr_msg_keys there)
    DROP TABLE IF EXISTS pg_temp.pgr_msg_fast;
    CREATE TEMP TABLE pgr_msg_fast (message_id bigint, event_id bigint) ON COMMIT DROP;
    INSERT INTO pg_temp.pgr_msg_fast (message_id, event_id)
    SELECT DISTINCT l.message_id, u.event_id
      FROM pg_temp.pgr_msg_log AS l
     CROSS JOIN LATERAL pg_catalog.unnest(l.event_ids) AS u(event_id)
     WHERE l.event_ids IS NOT NULL AND l.message_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_temp.pgr_msg_keys AS k WHERE k.message_id = l.message_id);
    PERFORM pgrollup_internal.messaging_add_events();
    PERFORM pgrollup_internal.messaging_restate();
    PERFORM pgrollup_internal.messaging_note_set_aside();
    RETURN v_changes;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_refresh_log() IS 'messaging incremental refresh proper: consumes the change log in one snapshot, rebuilds everything when asked (a row with every key NULL), adds the inserted events of messages that changed in no other way, restates the other touched messages and the tenants whose zone changed. Returns the change-log rows consumed. Callers hold the module lock.';

CREATE FUNCTION pgrollup_internal.messaging_refresh_mvs() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
BEGIN
    IF pg_catalog.to_regclass('pgrollup_internal.msg_mv_message') IS NULL THEN
        PERFORM pgrollup_internal.messaging_create_mvs();
        PERFORM pgrollup_internal.messaging_route();
    ELSE
        -- order matters: campaign_daily reads its status from msg_mv_transitions
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_transitions;
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_message;
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_contact_hourly;
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_campaign_daily;
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_tenant_daily;
    END IF;
    RETURN (SELECT pg_catalog.count(*) FROM pgrollup_internal.msg_mv_message);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_refresh_mvs() IS 'materialized_view mode: REFRESH MATERIALIZED VIEW CONCURRENTLY of every messaging materialized view (creates them when absent); returns the number of messages.';

CREATE FUNCTION pgrollup_internal.messaging_refresh_node() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_shard bigint;
    v_map   jsonb;
    v_fn    text;
    v_total bigint := 0;
    v_fns   constant text[] := ARRAY['messaging_refresh_log()', 'messaging_add_events()', 'messaging_restate()',
                                     'messaging_by_key(text)', 'messaging_apply_delta()',
                                     'messaging_sync_transitions(bigint[], bigint, boolean)',
                                     'messaging_check_orphans(bigint[])'];
BEGIN
    -- Run on every Citus node (by pgrollup_internal.messaging_refresh_citus, in one transaction
    -- per node): for each shard of the change log placed here, the single-node incremental refresh
    -- (messaging_refresh_log and what it calls) runs as it is on that shard group's local shards
    -- (pgrollup_internal.citus_bind): the sources' shards, the state and rollup shards, the local
    -- replicas of the registry and of the tenant zones. Nothing leaves the node. Each shard's log
    -- is locked against a second refresh (SHARE UPDATE EXCLUSIVE: writers are not blocked). The
    -- set-aside summary is made on the coordinator. Returns the changes consumed.
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
    CREATE OR REPLACE FUNCTION pg_temp.pgrollup_messaging_note_set_aside() RETURNS bigint
        LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT 0::bigint';
    FOR v_shard IN
        EXECUTE $q$SELECT s.shardid FROM pg_catalog.pg_dist_shard AS s
                     JOIN pg_catalog.pg_dist_placement AS p ON p.shardid = s.shardid
                    WHERE s.logicalrelid = 'pgrollup_internal.msg_changes'::pg_catalog.regclass
                      AND p.groupid = (SELECT g.groupid FROM pg_catalog.pg_dist_local_group AS g)
                    ORDER BY s.shardid$q$
    LOOP
        v_map := pgrollup_internal.citus_shard_map(v_shard)
                 || '{"pgrollup_internal.messaging_note_set_aside": "pg_temp.pgrollup_messaging_note_set_aside"}'::jsonb;
        FOREACH v_fn IN ARRAY v_fns LOOP
            v_map := v_map || pg_catalog.jsonb_build_object('pgrollup_internal.' || pg_catalog.split_part(v_fn, '(', 1),
                                                            'pg_temp.pgrollup_' || pg_catalog.split_part(v_fn, '(', 1));
        END LOOP;
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE',
                                  v_map ->> 'pgrollup_internal.msg_changes');
        FOREACH v_fn IN ARRAY v_fns LOOP
            PERFORM pgrollup_internal.citus_bind(('pgrollup_internal.' || v_fn)::regprocedure, v_map,
                                                 'pgrollup_' || pg_catalog.split_part(v_fn, '(', 1));
        END LOOP;
        v_total := v_total + pg_temp.pgrollup_messaging_refresh_log();
    END LOOP;
    RETURN v_total;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.messaging_refresh_node() IS 'Citus: refreshes the messaging shards placed on this node (the single-node incremental refresh bound to each shard group''s local shards, see pgrollup_internal.citus_bind); returns the changes consumed.';

CREATE FUNCTION pgrollup_internal.messaging_restate() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET client_min_messages TO 'warning'
    AS $$
DECLARE
    v_keys bigint;
BEGIN
    SELECT pg_catalog.count(*) INTO v_keys FROM pg_temp.pgr_msg_keys;
    IF v_keys = 0 THEN
        RETURN 0;
    END IF;
    -- Few keys (the usual refresh): every statement below must go by key through the primary keys
    -- and the message_events(message_id) index, never scan a whole table, so the cost follows the
    -- number of changes. The planner's cost model prefers hash joins over big tables from a few
    -- thousand keys on; pgrollup_internal.messaging_by_key('restate') runs this function again with
    -- hash and merge joins (and JIT) off. Many keys (rebuilds, big backfills): the planner decides.
    -- (Only when message_events has an index led by message_id, the one install recommends: without
    -- it, going by key would scan the events once per message.)
    IF pg_catalog.current_setting('enable_hashjoin') = 'on'
       AND v_keys <= GREATEST(5000::real, (SELECT c.reltuples FROM pg_catalog.pg_class AS c
                                            WHERE c.oid = 'pgrollup_internal.msg_state'::regclass) / 10)
       AND EXISTS (SELECT 1
                     FROM pg_catalog.pg_index AS i
                     JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = '"public".message_events'::regclass AND a.attname = 'message_id') THEN
        RETURN pgrollup_internal.messaging_by_key('restate');
    END IF;
    ANALYZE pg_temp.pgr_msg_keys;

    -- 1. the listed messages and their mapped events, as they are in source now
    DROP TABLE IF EXISTS pg_temp.pgr_msg_pts;
    CREATE TEMP TABLE pgr_msg_pts ON COMMIT DROP AS
    WITH m AS (
        SELECT o.id::bigint          AS message_id,
               o.tenant_id::bigint   AS tenant_id,
               o.campaign_id::bigint AS campaign_id,
               o.contact_id::bigint  AS contact_id,
               o.channel::text       AS channel,
               pgrollup_internal.utc(o.sent_at) AS sent_at,
               COALESCE(z.timezone, 'UTC') AS timezone
          FROM pg_temp.pgr_msg_keys AS k
          JOIN "public".outbound_messages AS o ON o.id = k.message_id
          LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = o.tenant_id
         -- do no harm: a message without tenant, contact or channel cannot be attributed; it is
         -- set aside (step 8) and counts toward nothing, its events neither, until it is fixed
         WHERE o.tenant_id IS NOT NULL AND o.contact_id IS NOT NULL AND o.channel IS NOT NULL
    )
    SELECT m.message_id, m.tenant_id, m.campaign_id, m.contact_id, m.channel, m.sent_at, m.timezone,
           NULL::text AS metric, NULL::timestamptz AS at, NULL::bigint AS event_id
      FROM m
    UNION ALL
    -- (a mapped event without occurred_at stays here with at NULL: it counts toward nothing and is
    -- set aside in step 8)
    SELECT m.message_id, m.tenant_id, m.campaign_id, m.contact_id, m.channel, m.sent_at, m.timezone,
           r.metric, pgrollup_internal.utc(e.occurred_at), e.id::bigint
      FROM m
      JOIN "public".message_events AS e ON e.message_id = m.message_id
      JOIN pgrollup.message_event_metrics AS r ON r.event_type = e.event_type;

    -- 2. new per-message state
    DROP TABLE IF EXISTS pg_temp.pgr_msg_new_state;
    CREATE TEMP TABLE pgr_msg_new_state ON COMMIT DROP AS
    SELECT p.message_id, p.tenant_id, p.campaign_id, p.contact_id, p.channel, p.sent_at, p.timezone,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'delivered' AND p.at IS NOT NULL)    AS delivered,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'opens' AND p.at IS NOT NULL)        AS opens,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'clicks' AND p.at IS NOT NULL)       AS clicks,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'bounces' AND p.at IS NOT NULL)      AS bounces,
           pg_catalog.count(*) FILTER (WHERE p.metric = 'unsubscribes' AND p.at IS NOT NULL) AS unsubscribes,
           pg_catalog.min(p.at) FILTER (WHERE p.metric = 'opens')       AS first_opened_at,
           pg_catalog.min(p.at) FILTER (WHERE p.metric = 'clicks')      AS first_clicked_at
      FROM pg_temp.pgr_msg_pts AS p
     GROUP BY p.message_id, p.tenant_id, p.campaign_id, p.contact_id, p.channel, p.sent_at, p.timezone;

    -- 3. new contribution per local hour (and local date), with the message's dimensions
    DROP TABLE IF EXISTS pg_temp.pgr_msg_new_contrib;
    CREATE TEMP TABLE pgr_msg_new_contrib ON COMMIT DROP AS
    WITH x AS (
        SELECT s.message_id, s.tenant_id, s.campaign_id, s.contact_id, s.channel, s.timezone,
               s.sent_at AS at, 'sends'::text AS metric
          FROM pg_temp.pgr_msg_new_state AS s WHERE s.sent_at IS NOT NULL
        UNION ALL
        SELECT p.message_id, p.tenant_id, p.campaign_id, p.contact_id, p.channel, p.timezone, p.at, p.metric
          FROM pg_temp.pgr_msg_pts AS p WHERE p.metric IS NOT NULL AND p.at IS NOT NULL
        UNION ALL
        SELECT s.message_id, s.tenant_id, s.campaign_id, s.contact_id, s.channel, s.timezone,
               s.first_opened_at, 'unique_opens'
          FROM pg_temp.pgr_msg_new_state AS s WHERE s.first_opened_at IS NOT NULL
        UNION ALL
        SELECT s.message_id, s.tenant_id, s.campaign_id, s.contact_id, s.channel, s.timezone,
               s.first_clicked_at, 'unique_clicks'
          FROM pg_temp.pgr_msg_new_state AS s WHERE s.first_clicked_at IS NOT NULL
    )
    SELECT x.message_id, x.tenant_id, x.campaign_id, x.contact_id, x.channel,
           pg_catalog.date_trunc('hour', x.at, x.timezone) AS hour,
           (x.at AT TIME ZONE x.timezone)::date AS local_date,
           pg_catalog.count(*) FILTER (WHERE x.metric = 'sends')         AS sends,
           pg_catalog.count(*) FILTER (WHERE x.metric = 'delivered')     AS delivered,
           pg_catalog.count(*) FILTER (WHERE x.metric = 'opens')         AS opens,
           pg_catalog.count(*) FILTER (WHERE x.metric = 'clicks')        AS clicks,
           pg_catalog.count(*) FILTER (WHERE x.metric = 'bounces')       AS bounces,
           pg_catalog.count(*) FILTER (WHERE x.metric = 'unsubscribes')  AS unsubscribes,
           pg_catalog.count(*) FILTER (WHERE x.metric = 'unique_opens')  AS unique_opens,
           pg_catalog.count(*) FILTER (WHERE x.metric = 'unique_clicks') AS unique_clicks
      FROM x
     GROUP BY x.message_id, x.tenant_id, x.campaign_id, x.contact_id, x.channel, 6, 7;

    -- 4. delta = new contribution - old contribution, with each side's dimensions
    DROP TABLE IF EXISTS pg_temp.pgr_msg_delta;
    CREATE TEMP TABLE pgr_msg_delta ON COMMIT DROP AS
    SELECT c.tenant_id, c.campaign_id, c.contact_id, c.channel, c.hour, c.local_date,
           c.sends, c.delivered, c.opens, c.clicks, c.bounces, c.unsubscribes, c.unique_opens, c.unique_clicks
      FROM pg_temp.pgr_msg_new_contrib AS c
    UNION ALL
    SELECT s.tenant_id, s.campaign_id, s.contact_id, s.channel, c.hour, c.local_date,
           -c.sends, -c.delivered, -c.opens, -c.clicks, -c.bounces, -c.unsubscribes, -c.unique_opens, -c.unique_clicks
      FROM pg_temp.pgr_msg_keys AS k
      JOIN pgrollup_internal.msg_state AS s ON s.message_id = k.message_id
      JOIN pgrollup_internal.msg_contrib AS c ON c.message_id = k.message_id;

    -- 5. apply to the bucket rollups, by key; drop buckets whose metrics all became zero
    PERFORM pgrollup_internal.messaging_apply_delta();

    -- 6. replace the per-message state
    DELETE FROM pgrollup_internal.msg_contrib AS c
     USING pg_temp.pgr_msg_keys AS k
     WHERE c.message_id = k.message_id;
    INSERT INTO pgrollup_internal.msg_contrib
           (tenant_id, message_id, hour, local_date, sends, delivered, opens, clicks, bounces, unsubscribes, unique_opens, unique_clicks)
    SELECT c.tenant_id, c.message_id, c.hour, c.local_date, c.sends, c.delivered, c.opens, c.clicks, c.bounces, c.unsubscribes,
           c.unique_opens, c.unique_clicks
      FROM pg_temp.pgr_msg_new_contrib AS c
     ORDER BY 2, 3, 4;
    DELETE FROM pgrollup_internal.msg_state AS s
     USING pg_temp.pgr_msg_keys AS k
     WHERE s.message_id = k.message_id;
    INSERT INTO pgrollup_internal.msg_state
           (message_id, tenant_id, campaign_id, contact_id, channel, sent_at, timezone,
            delivered, opens, clicks, bounces, unsubscribes, first_opened_at, first_clicked_at)
    SELECT s.message_id, s.tenant_id, s.campaign_id, s.contact_id, s.channel, s.sent_at, s.timezone,
           s.delivered, s.opens, s.clicks, s.bounces, s.unsubscribes, s.first_opened_at, s.first_clicked_at
      FROM pg_temp.pgr_msg_new_state AS s
     ORDER BY 1;

    -- 7. log rows still pending for these messages may list events that step 1 has just read: mark
    -- them for restatement, so that no refresh adds those events a second time. (This statement's
    -- snapshot is later than step 1's: a row it does not see belongs to a transaction that committed
    -- after step 1 read the events, so step 1 did not see that transaction's events either.)
    UPDATE pgrollup_internal.msg_changes AS c
       SET event_ids = NULL, event_id = NULL
      FROM pg_temp.pgr_msg_keys AS k
     WHERE c.message_id = k.message_id AND (c.event_ids IS NOT NULL OR c.event_id IS NOT NULL);
    -- (the rows of a big INSERT that name one of them: every message of such a row is restated)
    UPDATE pgrollup_internal.msg_changes AS c
       SET event_ids = NULL
     WHERE c.message_ids IS NOT NULL AND c.event_ids IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_catalog.unnest(c.message_ids) AS u(message_id)
                     JOIN pg_temp.pgr_msg_keys AS k ON k.message_id = u.message_id);

    -- 8. the rows of these messages that count toward nothing because a column is NULL: set aside
    -- (recorded per source row, summarized into pgrollup_internal.rows_set_aside by the caller)
    DELETE FROM pgrollup_internal.msg_set_aside AS a
     USING pg_temp.pgr_msg_keys AS k
     WHERE a.message_id = k.message_id;
    INSERT INTO pgrollup_internal.msg_set_aside (source_table, row_id, message_id, reason, tenant_id)
    SELECT 'outbound_messages', o.id, o.id, v.reason, o.tenant_id
      FROM pg_temp.pgr_msg_keys AS k
      JOIN "public".outbound_messages AS o ON o.id = k.message_id
     CROSS JOIN LATERAL (VALUES (o.tenant_id IS NULL, 'outbound_messages.tenant_id is NULL'),
                                (o.contact_id IS NULL, 'outbound_messages.contact_id is NULL'),
                                (o.channel IS NULL, 'outbound_messages.channel is NULL')) AS v(bad, reason)
     WHERE (o.tenant_id IS NULL OR o.contact_id IS NULL OR o.channel IS NULL) AND v.bad
    UNION ALL
    SELECT 'message_events', p.event_id, p.message_id, 'message_events.occurred_at is NULL', p.tenant_id
      FROM pg_temp.pgr_msg_pts AS p
     WHERE p.metric IS NOT NULL AND p.at IS NULL
    ON CONFLICT ON CONSTRAINT msg_set_aside_pkey DO UPDATE SET message_id = excluded.message_id, tenant_id = excluded.tenant_id;
    RETURN v_keys;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_restate() IS 'Restates the messages listed in pg_temp.pgr_msg_keys from source: applies new minus old contribution to the bucket rollups and replaces their per-message state; messages without tenant, contact or channel and mapped events without occurred_at count toward nothing and are recorded in msg_set_aside. Returns the number of messages restated. Idempotent; callers hold the module lock.';

CREATE FUNCTION pgrollup_internal.messaging_restate_slices(p_slices jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_tenant bigint;
    v_n bigint := 0;
BEGIN
    IF p_slices IS NULL THEN
        RETURN pgrollup.backfill_messaging(NULL, NULL, NULL);
    END IF;
    FOR v_tenant IN
        SELECT DISTINCT (s.value ->> 'key')::bigint FROM pg_catalog.jsonb_array_elements(p_slices) AS s(value)
         WHERE s.value ->> 'key' IS NOT NULL ORDER BY 1
    LOOP
        v_n := v_n + pgrollup.backfill_messaging(v_tenant, NULL, NULL);
    END LOOP;
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_restate_slices(p_slices jsonb) IS 'messaging restate hook: restates the whole history of each tenant listed as {"key": tenant_id} in p_slices (NULL: every tenant) with pgrollup.backfill_messaging; returns the messages restated.';

CREATE FUNCTION pgrollup_internal.messaging_route() RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_prefix text := 'msg_inc_';
    v_counts text := 'sends, delivered, opens, clicks, bounces, unsubscribes, unique_opens, unique_clicks';
BEGIN
    -- the materialized views also keep serving after a switch to incremental mode until the first
    -- refresh has built the incremental state (writers are never held for that build)
    IF (pgrollup_internal.messaging_mode() = 'materialized_view'
        OR EXISTS (SELECT 1 FROM pgrollup_internal.settings AS s
                    WHERE s.name = 'messaging.build_pending' AND s.value = 'true'))
       AND pg_catalog.to_regclass('pgrollup_internal.msg_mv_message') IS NOT NULL THEN
        v_prefix := 'msg_mv_';
    END IF;
    EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW pgrollup_internal.msg_route_contact_hourly AS SELECT tenant_id, contact_id, channel, hour, %s FROM pgrollup_internal.%I',
                              v_counts, v_prefix || 'contact_hourly');
    EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW pgrollup_internal.msg_route_campaign_daily AS SELECT tenant_id, campaign_id, date, %s, status FROM pgrollup_internal.%I',
                              v_counts, v_prefix || 'campaign_daily');
    EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW pgrollup_internal.msg_route_tenant_daily AS SELECT tenant_id, date, %s FROM pgrollup_internal.%I',
                              v_counts, v_prefix || 'tenant_daily');
    EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW pgrollup_internal.msg_route_message AS SELECT message_id, tenant_id, campaign_id, contact_id, channel, sent_at, delivered, opens, clicks, bounces, unsubscribes, first_opened_at, first_clicked_at FROM pgrollup_internal.%I',
                              v_prefix || 'message');
    COMMENT ON VIEW pgrollup_internal.msg_route_contact_hourly IS 'Router behind pgrollup.metrics_contact_hourly: the incremental rollup or the materialized view, per messaging mode.';
    COMMENT ON VIEW pgrollup_internal.msg_route_campaign_daily IS 'Router behind pgrollup.metrics_campaign_daily: the incremental rollup or the materialized view, per messaging mode.';
    COMMENT ON VIEW pgrollup_internal.msg_route_tenant_daily IS 'Router behind pgrollup.metrics_tenant_daily: the incremental rollup or the materialized view, per messaging mode.';
    COMMENT ON VIEW pgrollup_internal.msg_route_message IS 'Router behind pgrollup.metrics_message: the per-message state or the materialized view, per messaging mode.';
    RETURN v_prefix;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_route() IS 'Points the router views behind the public messaging views at the storage of the current mode (incremental rollups or materialized views).';

CREATE FUNCTION pgrollup_internal.messaging_sync_transitions(p_ids bigint[] DEFAULT NULL::bigint[], p_tenant_id bigint DEFAULT NULL::bigint, p_all boolean DEFAULT false) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_n bigint;
    v_ids bigint[];
BEGIN
    IF p_all THEN
        DELETE FROM pgrollup_internal.msg_transitions;
        INSERT INTO pgrollup_internal.msg_transitions (id, tenant_id, campaign_id, transitioned_at, to_status)
        SELECT t.id, t.tenant_id, t.campaign_id, pgrollup_internal.utc(t.transitioned_at), t.to_status
          FROM "public".campaign_transitions AS t
         WHERE t.tenant_id IS NOT NULL AND t.campaign_id IS NOT NULL AND t.transitioned_at IS NOT NULL AND t.to_status IS NOT NULL;
    ELSIF p_tenant_id IS NOT NULL THEN
        DELETE FROM pgrollup_internal.msg_transitions AS m WHERE m.tenant_id = p_tenant_id;
        INSERT INTO pgrollup_internal.msg_transitions (id, tenant_id, campaign_id, transitioned_at, to_status)
        SELECT t.id, t.tenant_id, t.campaign_id, pgrollup_internal.utc(t.transitioned_at), t.to_status
          FROM "public".campaign_transitions AS t
         WHERE t.tenant_id = p_tenant_id
           AND t.campaign_id IS NOT NULL AND t.transitioned_at IS NOT NULL AND t.to_status IS NOT NULL
        ON CONFLICT ON CONSTRAINT msg_transitions_pkey DO UPDATE
           SET tenant_id = excluded.tenant_id, campaign_id = excluded.campaign_id,
               transitioned_at = excluded.transitioned_at, to_status = excluded.to_status;
    ELSIF p_ids IS NOT NULL AND pg_catalog.cardinality(p_ids) > 0 THEN
        DELETE FROM pgrollup_internal.msg_transitions AS m WHERE m.id = ANY (p_ids);
        INSERT INTO pgrollup_internal.msg_transitions (id, tenant_id, campaign_id, transitioned_at, to_status)
        SELECT t.id, t.tenant_id, t.campaign_id, pgrollup_internal.utc(t.transitioned_at), t.to_status
          FROM "public".campaign_transitions AS t
         WHERE t.id = ANY (p_ids)
           AND t.tenant_id IS NOT NULL AND t.campaign_id IS NOT NULL AND t.transitioned_at IS NOT NULL AND t.to_status IS NOT NULL;
    ELSE
        RETURN 0;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    -- do no harm: transitions with a NULL in a column the status lookup needs count toward nothing
    -- and are set aside (kept in step with the rows synchronized here)
    IF p_all THEN
        DELETE FROM pgrollup_internal.msg_set_aside AS a WHERE a.source_table = 'campaign_transitions';
        INSERT INTO pgrollup_internal.msg_set_aside (source_table, row_id, message_id, reason, tenant_id)
        SELECT 'campaign_transitions', t.id, NULL, v.reason, t.tenant_id
          FROM "public".campaign_transitions AS t
         CROSS JOIN LATERAL (VALUES (t.tenant_id IS NULL, 'campaign_transitions.tenant_id is NULL'),
                                    (t.campaign_id IS NULL, 'campaign_transitions.campaign_id is NULL'),
                                    (t.to_status IS NULL, 'campaign_transitions.to_status is NULL'),
                                    (t.transitioned_at IS NULL, 'campaign_transitions.transitioned_at is NULL')) AS v(bad, reason)
         WHERE (t.tenant_id IS NULL OR t.campaign_id IS NULL OR t.to_status IS NULL OR t.transitioned_at IS NULL)
           AND v.bad;
    ELSE
        v_ids := CASE WHEN p_tenant_id IS NOT NULL
                      THEN ARRAY(SELECT t.id::bigint FROM "public".campaign_transitions AS t WHERE t.tenant_id = p_tenant_id)
                      ELSE p_ids END;
        DELETE FROM pgrollup_internal.msg_set_aside AS a
         WHERE a.source_table = 'campaign_transitions' AND a.row_id = ANY (v_ids);
        INSERT INTO pgrollup_internal.msg_set_aside (source_table, row_id, message_id, reason, tenant_id)
        SELECT 'campaign_transitions', t.id, NULL, v.reason, t.tenant_id
          FROM "public".campaign_transitions AS t
         CROSS JOIN LATERAL (VALUES (t.tenant_id IS NULL, 'campaign_transitions.tenant_id is NULL'),
                                    (t.campaign_id IS NULL, 'campaign_transitions.campaign_id is NULL'),
                                    (t.to_status IS NULL, 'campaign_transitions.to_status is NULL'),
                                    (t.transitioned_at IS NULL, 'campaign_transitions.transitioned_at is NULL')) AS v(bad, reason)
         WHERE t.id = ANY (v_ids)
           AND (t.tenant_id IS NULL OR t.campaign_id IS NULL OR t.to_status IS NULL OR t.transitioned_at IS NULL)
           AND v.bad;
    END IF;
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.messaging_sync_transitions(p_ids bigint[], p_tenant_id bigint, p_all boolean) IS 'Copies campaign_transitions rows (listed ids, one tenant, or all) from source into pgrollup_internal.msg_transitions, where the campaign status per local date is looked up.';

CREATE FUNCTION pgrollup_internal.module_call(p_module text, p_kind text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    EXECUTE pg_catalog.format('SELECT %s()', pgrollup_internal.module_function(p_module, p_kind)::oid::regproc);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.module_call(p_module text, p_kind text) IS 'Calls a module''s attach or detach hook (used by the installer, uninstall and mode switches).';

CREATE FUNCTION pgrollup_internal.module_function(p_module text, p_kind text) RETURNS regprocedure
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_name text;
    v_proc regprocedure;
BEGIN
    SELECT CASE p_kind
               WHEN 'refresh' THEN m.refresh_function
               WHEN 'health' THEN m.health_function
               WHEN 'attach' THEN m.attach_function
               WHEN 'detach' THEN m.detach_function
           END
      INTO v_name
      FROM pgrollup_internal.modules AS m
     WHERE m.module = p_module;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('unknown module %L: installed modules are %s', p_module,
                (SELECT COALESCE(pg_catalog.string_agg(m.module, ', ' ORDER BY m.module), 'none')
                   FROM pgrollup_internal.modules AS m));
    END IF;
    v_proc := pg_catalog.to_regprocedure(v_name || '()');
    IF v_proc IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42883',
            MESSAGE = pg_catalog.format('module %s: %s function %s() does not exist (reinstall with pgrollup install)', p_module, p_kind, v_name);
    END IF;
    RETURN v_proc;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.module_function(p_module text, p_kind text) IS 'Resolves one of a module''s registered hook functions (refresh, health, attach, detach) to its regprocedure; 22023 for an unknown module.';

CREATE FUNCTION pgrollup_internal.module_health(p_module text) RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamp with time zone)
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 1
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format('SELECT h.mode::text, h.pending_changes::bigint, h.stale_since::timestamptz FROM %s() AS h',
                                           pgrollup_internal.module_function(p_module, 'health')::oid::regproc);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.module_health(p_module text) IS 'Calls a module''s health hook: its mode, pending changes and the time since which committed source changes may be missing from its rollups.';

CREATE FUNCTION pgrollup_internal.modules_registered() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM pgrollup_internal.create_refresh_trace(NEW.module);
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.modules_registered() IS 'Trigger on pgrollup_internal.modules: creates the refresh trace sequence of a newly registered module.';

CREATE FUNCTION pgrollup_internal.prune_refresh_runs() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_keep interval;
    v_deleted bigint;
BEGIN
    SELECT s.value::interval INTO v_keep FROM pgrollup_internal.settings AS s
     WHERE s.name = 'refresh_runs_retention';
    DELETE FROM pgrollup_internal.refresh_runs AS r
     WHERE COALESCE(r.finished_at, r.started_at) < pg_catalog.now() - COALESCE(v_keep, interval '30 days');
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.prune_refresh_runs() IS 'Deletes refresh_runs rows older than the refresh_runs_retention setting (default 30 days); called by pgrollup.refresh.';

CREATE FUNCTION pgrollup_internal.range_buckets(p_since timestamp with time zone, p_until timestamp with time zone, p_unit text) RETURNS numeric
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- An upper bound of the local buckets of p_unit that [p_since, p_until) overlaps (whatever the
    -- zone: at most 2 more than the span divided by the shortest bucket); NULL when not computable.
    SELECT CASE WHEN p_since IS NULL OR p_until IS NULL OR p_since >= p_until THEN NULL
                WHEN NOT pg_catalog.isfinite(p_since) OR NOT pg_catalog.isfinite(p_until) THEN 'Infinity'::numeric
                ELSE (pg_catalog.date_part('epoch', p_until)::numeric - pg_catalog.date_part('epoch', p_since)::numeric)
                     / CASE p_unit WHEN 'hour' THEN 3600 WHEN 'day' THEN 82800 WHEN 'week' THEN 601200
                                   WHEN 'month' THEN 2415600 WHEN 'year' THEN 31532400 ELSE NULL END + 2 END;
$$;

COMMENT ON FUNCTION pgrollup_internal.range_buckets(p_since timestamp with time zone, p_until timestamp with time zone, p_unit text) IS 'Upper bound of the hour, day, week, month or year buckets a time range overlaps in any zone (shortest bucket: a 23-hour DST day); used to bound reads before they run.';

CREATE FUNCTION pgrollup_internal.read_limit() RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT COALESCE((SELECT s.value::bigint FROM pgrollup_internal.settings AS s WHERE s.name = 'max_read_buckets'), 100000);
$$;

COMMENT ON FUNCTION pgrollup_internal.read_limit() IS 'The most buckets or rows one read may return: the setting max_read_buckets of pgrollup_internal.settings, 100000 by default.';

CREATE FUNCTION pgrollup_internal.refresh_attempt_live(p_pid integer, p_started timestamp with time zone, p_grace interval DEFAULT NULL::interval) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    -- the backend still runs the statement that made the attempt; a backend whose state this role
    -- may not see counts as running (for p_grace after the start, when given). The calling backend
    -- is running this statement, not that attempt (query_start has only the trace's second to go by)
    SELECT p_pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid() AND EXISTS (
        SELECT 1 FROM pg_catalog.pg_stat_activity AS a
         WHERE a.pid OPERATOR(pg_catalog.=) p_pid
           AND CASE WHEN a.state IS NULL
                    THEN p_grace IS NULL OR p_started OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) p_grace)
                    ELSE (a.state OPERATOR(pg_catalog.=) 'active')
                         AND (pg_catalog.date_trunc('second', a.query_start) OPERATOR(pg_catalog.<=) p_started) END)
$$;

COMMENT ON FUNCTION pgrollup_internal.refresh_attempt_live(p_pid integer, p_started timestamp with time zone, p_grace interval) IS 'Whether the refresh attempt started at p_started by backend p_pid is still running (its statement is still active); a backend whose state is hidden from the owner counts as running, for p_grace when given.';

CREATE FUNCTION pgrollup_internal.refresh_module(p_module text, p_wait boolean, p_run_id bigint DEFAULT NULL::bigint) RETURNS TABLE(status text, changes_applied bigint, duration interval)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_proc     regprocedure;
    v_started  timestamptz;
    v_finished timestamptz;
    v_changes  bigint;
    v_status   text;
    v_error    text;
    v_state    text;
    v_trace    bigint;
BEGIN
    v_trace := pgrollup_internal.refresh_trace(p_module);   -- an earlier direct attempt's, maybe unfinished
    IF p_run_id IS NULL THEN
        -- a direct call cannot commit a record before the work: leave a trace a cancel cannot undo
        PERFORM pgrollup_internal.refresh_trace(p_module, false);
    END IF;
    IF NOT pgrollup_internal.lock_module(p_module, p_wait) THEN
        IF p_run_id IS NULL THEN
            PERFORM pgrollup_internal.refresh_trace(p_module, true);
        ELSE
            DELETE FROM pgrollup_internal.refresh_runs AS r WHERE r.run_id = p_run_id;   -- skipped: not an attempt
        END IF;
        status := 'skipped';
        changes_applied := 0;
        duration := interval '0';
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM pgrollup_internal.refresh_record_lost(p_module, v_trace, p_run_id);
    v_started := pg_catalog.clock_timestamp();
    BEGIN
        -- the exception block is a subtransaction: a failure undoes exactly the module's work
        v_proc := pgrollup_internal.module_function(p_module, 'refresh');
        -- partitions created, attached, detached, dropped or truncated since the last run:
        -- capture triggers on the new ones (busy ones are skipped), restatements
        PERFORM pgrollup_internal.cover_partitions(p_module, true);
        EXECUTE pg_catalog.format('SELECT %s()', v_proc::oid::regproc) INTO v_changes;
        v_status := 'ok';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_error = MESSAGE_TEXT;
        v_error := v_state || ': ' || v_error;
        v_status := 'failed';
        v_changes := 0;
    END;
    v_finished := pg_catalog.clock_timestamp();
    IF p_run_id IS NULL THEN
        INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status, changes_applied, error, pid)
        VALUES (p_module, v_started, v_finished, v_status, COALESCE(v_changes, 0), v_error, pg_catalog.pg_backend_pid());
        PERFORM pgrollup_internal.refresh_trace(p_module, true);
    ELSE
        UPDATE pgrollup_internal.refresh_runs AS r
           SET started_at = v_started, finished_at = v_finished, status = v_status,
               changes_applied = COALESCE(v_changes, 0), error = v_error
         WHERE r.run_id = p_run_id;
    END IF;
    IF v_status = 'failed' THEN
        RAISE WARNING 'pgrollup: refresh of module % failed: %', p_module, v_error;
    END IF;
    status := v_status;
    changes_applied := COALESCE(v_changes, 0);
    duration := v_finished - v_started;
    RETURN NEXT;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.refresh_module(p_module text, p_wait boolean, p_run_id bigint) IS 'One refresh attempt of one module under its lock: records earlier attempts that did not finish, runs the module''s refresh in a subtransaction and records the outcome (a new refresh_runs row, or the row p_run_id that run_refresh committed before the work). A direct attempt (p_run_id NULL) also leaves a non-transactional trace so a cancel is seen.';

CREATE FUNCTION pgrollup_internal.refresh_record_lost(p_module text, p_trace bigint, p_run_id bigint) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_error   constant text := 'did not finish: cancelled (statement_timeout, lock_timeout or a client cancel) or its session ended';
    v_started timestamptz;
    v_pid     integer;
    v_count   integer;
BEGIN
    -- called under the module lock: no other attempt of this module is doing work now
    UPDATE pgrollup_internal.refresh_runs AS r
       SET status = 'cancelled', error = v_error
     WHERE r.module = p_module AND r.status = 'running' AND r.run_id IS DISTINCT FROM p_run_id
       AND NOT pgrollup_internal.refresh_attempt_live(r.pid, r.started_at);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF p_trace > 0 THEN
        v_started := pg_catalog.to_timestamp((p_trace >> 22)::double precision);
        v_pid := (p_trace & 4194303)::integer;
        IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.refresh_runs AS r
                        WHERE r.module = p_module AND r.pid = v_pid AND r.started_at >= v_started)
           AND NOT pgrollup_internal.refresh_attempt_live(v_pid, v_started) THEN
            INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status, changes_applied, error, pid)
            VALUES (p_module, v_started, NULL, 'cancelled', 0, v_error, v_pid);
            v_count := v_count + 1;
        END IF;
    END IF;
    RETURN v_count;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.refresh_record_lost(p_module text, p_trace bigint, p_run_id bigint) IS 'Under the module lock, records the module''s earlier attempts that did not finish as cancelled: run_refresh rows left running and an unfinished trace of a direct refresh (p_trace, read before this attempt replaced it). Returns how many.';

CREATE FUNCTION pgrollup_internal.refresh_timezone_names() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_added bigint;
BEGIN
    INSERT INTO pgrollup_internal.timezone_names (name)
    SELECT z.name FROM pg_catalog.pg_timezone_names() AS z(name, abbrev, utc_offset, is_dst)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_added = ROW_COUNT;
    DELETE FROM pgrollup_internal.timezone_names AS t
     WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names() AS z(name, abbrev, utc_offset, is_dst)
                        WHERE z.name = t.name);
    RETURN v_added;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.refresh_timezone_names() IS 'Re-copies pg_timezone_names into pgrollup_internal.timezone_names (after a tzdata update); called by pgrollup install.';

CREATE FUNCTION pgrollup_internal.refresh_trace(p_module text, p_finished boolean DEFAULT NULL::boolean) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_seq   regclass := pg_catalog.to_regclass(pg_catalog.format('pgrollup_internal.%I', 'refresh_trace_' || p_module));
    v_value bigint;
BEGIN
    IF v_seq IS NULL THEN
        RETURN NULL;                       -- a module registered without its trace (never in an install)
    END IF;
    EXECUTE pg_catalog.format('SELECT CASE WHEN s.is_called THEN s.last_value END FROM %s AS s', v_seq) INTO v_value;
    IF p_finished IS NULL THEN
        RETURN v_value;                    -- read only
    END IF;
    IF p_finished THEN
        v_value := -pg_catalog.abs(COALESCE(v_value, 0));
    ELSE
        v_value := (pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))::bigint << 22)
                   | pg_catalog.pg_backend_pid();
    END IF;
    -- setval is never rolled back: the trace survives a cancel of the attempt's transaction
    PERFORM pg_catalog.setval(v_seq, v_value, true);
    RETURN v_value;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.refresh_trace(p_module text, p_finished boolean) IS 'Non-transactional trace of a module''s last direct refresh attempt (its sequence refresh_trace_<module>): p_finished false marks the start (epoch seconds << 22 | backend pid, positive), true marks the end (negative), NULL only reads. Returns the value.';

CREATE FUNCTION pgrollup_internal.refresh_unfinished(p_module text, p_grace interval DEFAULT NULL::interval) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_trace    bigint := pgrollup_internal.refresh_trace(p_module);
    v_started  timestamptz;
    v_pid      integer;
    v_lost     timestamptz;
    v_finished timestamptz;
BEGIN
    -- a direct SELECT pgrollup.refresh() that started and never reached its end
    IF v_trace > 0 THEN
        v_started := pg_catalog.to_timestamp((v_trace >> 22)::double precision);
        v_pid := (v_trace & 4194303)::integer;
        IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.refresh_runs AS r
                        WHERE r.module = p_module AND r.pid = v_pid AND r.started_at >= v_started)
           AND NOT pgrollup_internal.refresh_attempt_live(v_pid, v_started, p_grace) THEN
            v_lost := v_started;
        END IF;
    END IF;
    -- a run_refresh attempt recorded as running whose statement is gone
    SELECT pg_catalog.max(r.started_at) INTO v_started
      FROM pgrollup_internal.refresh_runs AS r
     WHERE r.module = p_module AND r.status = 'running'
       AND NOT pgrollup_internal.refresh_attempt_live(r.pid, r.started_at, p_grace);
    v_lost := GREATEST(v_lost, v_started);
    IF v_lost IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT pg_catalog.max(r.started_at) INTO v_finished
      FROM pgrollup_internal.refresh_runs AS r
     WHERE r.module = p_module AND r.status IN ('ok', 'failed');
    RETURN CASE WHEN v_finished IS NULL OR v_lost > v_finished THEN v_lost END;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.refresh_unfinished(p_module text, p_grace interval) IS 'Start of the module''s last refresh attempt when it did not finish (cancelled by statement_timeout, lock_timeout or a client, or its session ended) and no later attempt finished; NULL otherwise. Read by rollup_health.';

CREATE FUNCTION pgrollup_internal.relation_slices(p_module text, p_table text, p_relid oid) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_fn regprocedure;
    v_slices jsonb;
BEGIN
    SELECT pg_catalog.to_regprocedure(m.slices_function || '(text,oid)') INTO v_fn
      FROM pgrollup_internal.modules AS m WHERE m.module = p_module;
    IF v_fn IS NULL OR pgrollup_internal.source_drift(p_module, p_table, p_relid) IS NOT NULL THEN
        RETURN NULL;                           -- unknown: everything
    END IF;
    EXECUTE pg_catalog.format('SELECT %s($1, $2)', v_fn::oid::regproc) INTO v_slices USING p_table, p_relid;
    RETURN COALESCE(v_slices, '[]'::jsonb);
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.relation_slices(p_module text, p_table text, p_relid oid) IS 'The slices the rows of one source table member contribute to, from the module''s slices hook; NULL (everything) when unknown.';

CREATE FUNCTION pgrollup_internal.reporting_apply() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_handoffs   pgrollup_internal.reporting_daily_rollups[];
    v_gone       pgrollup_internal.reporting_handoffs[];
    v_turned     pgrollup_internal.reporting_handoffs[];
    v_zero       pgrollup_internal.reporting_daily_rollups[];
    v_zero_months pgrollup_internal.reporting_monthly_rollups[];
    v_zero_months_acct pgrollup_internal.reporting_monthly_rollups[];
    v_n_acct     bigint;
    v_n          bigint;
BEGIN
    -- Applies the signed event rows staged in pgrollup_internal.reporting_batch (one batch of
    -- the change log, or a backfill's raw events) to the rollups of accounts with a reporting
    -- timezone, set-based; rows without account_id or created_at count toward nothing (the
    -- refresh sets them aside). The caller holds the module lock, so no other apply, refresh or
    -- restatement runs meanwhile; the arrays below hold at most one batch's keys.

    -- 1. distinct handoffs: presence rows per (account, local date, dimension, conversation).
    --    Concurrent inserters of one key serialize on its unique index entry, so a key turns
    --    present exactly once; only the 0 <-> present transitions change the rollup count.
    WITH e AS (
        SELECT r.account_id,
               (r.created_at AT TIME ZONE a.timezone)::date AS date,
               d.t, d.id, r.conversation_id AS conv, r.sign
          FROM pgrollup_internal.reporting_batch AS r
          JOIN pgrollup_internal.reporting_accounts AS a
            ON a.account_id = r.account_id AND a.timezone IS NOT NULL AND r.created_at IS NOT NULL
         CROSS JOIN LATERAL (VALUES ('account'::text, r.account_id), ('agent'::text, r.user_id), ('inbox'::text, r.inbox_id)) AS d(t, id)
         WHERE d.id IS NOT NULL AND r.conversation_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM pgrollup.event_metrics AS m
                        WHERE m.event_name = r.name AND m.rollup_metric = 'bot_handoffs_count')
    ), h AS (
        SELECT e.account_id, e.date, e.t, e.id, e.conv, pg_catalog.sum(e.sign)::bigint AS dn
          FROM e GROUP BY e.account_id, e.date, e.t, e.id, e.conv
        HAVING pg_catalog.sum(e.sign) <> 0
    ), up AS (
        -- one sorted upsert for every key (also the negative ones, which always exist when the
        -- rollups are exact; a row reaching 0 is deleted below)
        INSERT INTO pgrollup_internal.reporting_handoffs AS p
               (account_id, date, dimension_type, dimension_id, conversation_id, events)
        SELECT h.account_id, h.date, h.t, h.id, h.conv, h.dn FROM h
         ORDER BY h.account_id, h.t, h.date, h.id, h.conv
        ON CONFLICT (account_id, date, dimension_type, dimension_id, conversation_id)
        DO UPDATE SET events = p.events + EXCLUDED.events
        RETURNING p.*, (p.xmax = 0) AS inserted
    ), k AS (
        SELECT up.account_id, up.date, up.dimension_type, up.dimension_id,
               pg_catalog.count(*) FILTER (WHERE up.inserted AND up.events > 0)
               - pg_catalog.count(*) FILTER (WHERE NOT up.inserted AND up.events <= 0) AS c
          FROM up GROUP BY 1, 2, 3, 4
    )
    SELECT (SELECT pg_catalog.array_agg(ROW(k.account_id, k.date, k.dimension_type, k.dimension_id,
                                            'bot_handoffs_count', k.c, 0, 0, NULL, NULL)::pgrollup_internal.reporting_daily_rollups)
              FROM k WHERE k.c <> 0),
           (SELECT pg_catalog.array_agg(ROW(up.account_id, up.date, up.dimension_type, up.dimension_id,
                                            up.conversation_id, up.events)::pgrollup_internal.reporting_handoffs)
              FROM up WHERE up.events <= 0),
           (SELECT pg_catalog.array_agg(ROW(up.account_id, up.date, up.dimension_type, up.dimension_id,
                                            up.conversation_id, up.events)::pgrollup_internal.reporting_handoffs)
              FROM up WHERE (up.inserted AND up.events > 0) OR (NOT up.inserted AND up.events <= 0))
      INTO v_handoffs, v_gone, v_turned;

    IF v_gone IS NOT NULL THEN
        DELETE FROM pgrollup_internal.reporting_handoffs AS p
         USING pg_catalog.unnest(v_gone) AS g
         WHERE p.account_id = g.account_id AND p.date = g.date AND p.dimension_type = g.dimension_type
           AND p.dimension_id = g.dimension_id AND p.conversation_id = g.conversation_id AND p.events <= 0;
    END IF;

    -- repeats of the conversations whose set of handoff days changed: recomputed from their
    -- presence rows (the module lock keeps every other apply and restatement out)
    IF v_turned IS NOT NULL THEN
        DELETE FROM pgrollup_internal.reporting_handoff_repeats AS r
         USING (SELECT DISTINCT t.account_id, t.dimension_type, t.dimension_id, t.conversation_id
                  FROM pg_catalog.unnest(v_turned) AS t) AS g
         WHERE r.account_id = g.account_id AND r.dimension_type = g.dimension_type
           AND r.dimension_id = g.dimension_id AND r.conversation_id = g.conversation_id;
        INSERT INTO pgrollup_internal.reporting_handoff_repeats
               (account_id, dimension_type, dimension_id, conversation_id, date, prev_date)
        SELECT x.account_id, x.dimension_type, x.dimension_id, x.conversation_id, x.date, x.prev_date
          FROM (SELECT h.account_id, h.dimension_type, h.dimension_id, h.conversation_id, h.date,
                       pg_catalog.lag(h.date) OVER (PARTITION BY h.account_id, h.dimension_type, h.dimension_id,
                                                                 h.conversation_id ORDER BY h.date) AS prev_date
                  FROM (SELECT DISTINCT t.account_id, t.dimension_type, t.dimension_id, t.conversation_id
                          FROM pg_catalog.unnest(v_turned) AS t) AS g
                  JOIN pgrollup_internal.reporting_handoffs AS h
                    ON h.account_id = g.account_id AND h.dimension_type = g.dimension_type
                   AND h.dimension_id = g.dimension_id AND h.conversation_id = g.conversation_id) AS x
         WHERE x.prev_date IS NOT NULL;
    END IF;

    -- 2. rollup rows and monthly totals: aggregated upserts in one statement per batch (a
    --    committing transaction, a refresh), rows locked in a fixed order
    WITH e AS (
        SELECT r.*, a.timezone
          FROM pgrollup_internal.reporting_batch AS r
          JOIN pgrollup_internal.reporting_accounts AS a
            ON a.account_id = r.account_id AND a.timezone IS NOT NULL AND r.created_at IS NOT NULL
    ), x AS (
        SELECT e.account_id, (e.created_at AT TIME ZONE e.timezone)::date AS date, d.t, d.id,
               m.rollup_metric AS metric, e.sign::bigint AS dc,
               CASE WHEN m.payload_kind = 'duration' THEN e.sign * COALESCE(e.value, 0) ELSE 0 END AS dv,
               CASE WHEN m.payload_kind = 'duration' THEN e.sign * COALESCE(e.value_bh, 0) ELSE 0 END AS db
          FROM e
          JOIN pgrollup.event_metrics AS m ON m.event_name = e.name AND m.rollup_metric <> 'bot_handoffs_count'
         CROSS JOIN LATERAL (VALUES ('account'::text, e.account_id), ('agent'::text, e.user_id), ('inbox'::text, e.inbox_id)) AS d(t, id)
         WHERE d.id IS NOT NULL
        UNION ALL
        SELECT h.account_id, h.date, h.dimension_type, h.dimension_id, h.metric, h.count, 0, 0
          FROM pg_catalog.unnest(v_handoffs) AS h
    ), g AS (
        SELECT x.account_id, x.date, x.t, x.id, x.metric,
               pg_catalog.sum(x.dc)::bigint AS dc, pg_catalog.sum(x.dv) AS dv, pg_catalog.sum(x.db) AS db
          FROM x GROUP BY x.account_id, x.date, x.t, x.id, x.metric
        HAVING pg_catalog.sum(x.dc) <> 0 OR pg_catalog.sum(x.dv) <> 0 OR pg_catalog.sum(x.db) <> 0
    ), gm AS (
        -- the same deltas summed per local month (for handoffs: the daily distinct counts)
        SELECT g.account_id, g.t, pg_catalog.date_trunc('month', g.date::timestamp)::date AS month, g.id, g.metric,
               pg_catalog.sum(g.dc)::bigint AS dc, pg_catalog.sum(g.dv) AS dv, pg_catalog.sum(g.db) AS db
          FROM g
         GROUP BY g.account_id, g.t, pg_catalog.date_trunc('month', g.date::timestamp)::date, g.id, g.metric
        HAVING pg_catalog.sum(g.dc) <> 0 OR pg_catalog.sum(g.dv) <> 0 OR pg_catalog.sum(g.db) <> 0
    ), up_dim AS (
        INSERT INTO pgrollup_internal.reporting_daily_rollups AS r
               (account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT g.account_id, g.date, g.t, g.id, g.metric, g.dc, g.dv, g.db
          FROM g
         WHERE (g.t = 'account') = false
         ORDER BY g.account_id, g.date, g.t, g.id, g.metric
        ON CONFLICT ON CONSTRAINT reporting_daily_rollups_key DO UPDATE
           SET count = r.count + EXCLUDED.count,
               sum_value = r.sum_value + EXCLUDED.sum_value,
               sum_value_business_hours = r.sum_value_business_hours + EXCLUDED.sum_value_business_hours,
               updated_at = pg_catalog.now()
        RETURNING r.*
    ), upm_dim AS (
        INSERT INTO pgrollup_internal.reporting_monthly_rollups AS r
               (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT gm.account_id, gm.t, gm.month, gm.id, gm.metric, gm.dc, gm.dv, gm.db
          FROM gm
         WHERE (gm.t = 'account') = false
         ORDER BY gm.account_id, gm.month, gm.t, gm.id, gm.metric
        ON CONFLICT (account_id, dimension_type, month, dimension_id, metric) DO UPDATE
           SET count = r.count + EXCLUDED.count,
               sum_value = r.sum_value + EXCLUDED.sum_value,
               sum_value_business_hours = r.sum_value_business_hours + EXCLUDED.sum_value_business_hours
        RETURNING r.*
    ), up_acct AS (
        INSERT INTO pgrollup_internal.reporting_daily_rollups AS r
               (account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT g.account_id, g.date, g.t, g.id, g.metric, g.dc, g.dv, g.db
          FROM g
         WHERE (g.t = 'account') = true
         ORDER BY g.account_id, g.date, g.t, g.id, g.metric
        ON CONFLICT ON CONSTRAINT reporting_daily_rollups_key DO UPDATE
           SET count = r.count + EXCLUDED.count,
               sum_value = r.sum_value + EXCLUDED.sum_value,
               sum_value_business_hours = r.sum_value_business_hours + EXCLUDED.sum_value_business_hours,
               updated_at = pg_catalog.now()
        RETURNING r.*
    ), upm_acct AS (
        INSERT INTO pgrollup_internal.reporting_monthly_rollups AS r
               (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT gm.account_id, gm.t, gm.month, gm.id, gm.metric, gm.dc, gm.dv, gm.db
          FROM gm
         WHERE (gm.t = 'account') = true
         ORDER BY gm.account_id, gm.month, gm.t, gm.id, gm.metric
        ON CONFLICT (account_id, dimension_type, month, dimension_id, metric) DO UPDATE
           SET count = r.count + EXCLUDED.count,
               sum_value = r.sum_value + EXCLUDED.sum_value,
               sum_value_business_hours = r.sum_value_business_hours + EXCLUDED.sum_value_business_hours
        RETURNING r.*
    )
    -- the upserts run in the order their results are read below: agent and inbox rows, daily
    -- then monthly, each in key order; the account rows, which every writer of the account
    -- updates, last, so they are held for the shortest time before COMMIT
    SELECT (SELECT pg_catalog.count(*) FROM up_dim),
           (SELECT pg_catalog.array_agg(u) FILTER (WHERE u.count <= 0) FROM upm_dim AS u),
           (SELECT pg_catalog.count(*) FROM up_acct),
           (SELECT pg_catalog.array_agg(u) FILTER (WHERE u.count <= 0) FROM upm_acct AS u),
           (SELECT pg_catalog.array_agg(u) FILTER (WHERE u.count <= 0)
              FROM (SELECT * FROM up_dim UNION ALL SELECT * FROM up_acct) AS u)
      INTO v_n, v_zero_months, v_n_acct, v_zero_months_acct, v_zero;
    v_n := v_n + v_n_acct;
    v_zero_months := v_zero_months || v_zero_months_acct;

    IF v_zero IS NOT NULL THEN
        DELETE FROM pgrollup_internal.reporting_daily_rollups AS r
         USING pg_catalog.unnest(v_zero) AS z
         WHERE r.account_id = z.account_id AND r.date = z.date AND r.dimension_type = z.dimension_type
           AND r.dimension_id = z.dimension_id AND r.metric = z.metric AND r.count <= 0;
    END IF;
    IF v_zero_months IS NOT NULL THEN
        DELETE FROM pgrollup_internal.reporting_monthly_rollups AS r
         USING pg_catalog.unnest(v_zero_months) AS z
         WHERE r.account_id = z.account_id AND r.dimension_type = z.dimension_type AND r.month = z.month
           AND r.dimension_id = z.dimension_id AND r.metric = z.metric AND r.count <= 0;
    END IF;
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_apply() IS 'Applies the signed reporting event rows staged in reporting_batch to the daily rollups, the monthly totals, the handoff presence table and its repeats (accounts with a timezone only); returns the number of rollup rows touched.';

CREATE FUNCTION pgrollup_internal.reporting_attach() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_schema text;
BEGIN
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting';
    IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, 'reporting_events')) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42P01',
            MESSAGE = pg_catalog.format('reporting: source table %I.reporting_events does not exist', v_schema);
    END IF;
    -- the capture function's column check is folded into its cached plans, which depend on the
    -- source table through its OID (see capture_columns_ok)
    PERFORM pgrollup_internal.bind_capture('pgrollup_internal.reporting_capture()'::regprocedure,
                                           pg_catalog.format('%I.%I', v_schema, 'reporting_events')::regclass);
    -- reporting_events distributed by Citus: its own layout and statement-level capture on the shards (docs/SCALE-OUT.md)
    IF pgrollup_internal.citus_placement(pg_catalog.format('%I.%I', v_schema, 'reporting_events')::regclass)
       = 'a Citus distributed table (by account_id)' THEN
        PERFORM pgrollup_internal.reporting_citus_layout();
        RETURN;
    END IF;
    -- what capture needs in every mode, declared for the core (which covers partitions created or
    -- attached later at every refresh and reports missing or disabled triggers in rollup_health):
    -- one trigger per event, as a trigger with transition tables can only fire on one event. The
    -- TRUNCATE trigger (every event gone) only on the table itself: a partition's TRUNCATE is
    -- handled by the core's pgrollup_partition_truncate trigger, which restates the partition's
    -- accounts and days
    DELETE FROM pgrollup_internal.capture_triggers AS c WHERE c.module = 'reporting';
    INSERT INTO pgrollup_internal.capture_triggers
           (module, table_name, trigger_name, event, function_name, old_table, new_table, modes, root_only)
    VALUES ('reporting', 'reporting_events', 'pgrollup_reporting_insert', 'INSERT', 'pgrollup_internal.reporting_capture', NULL, 'pgrollup_new', NULL, false),
           ('reporting', 'reporting_events', 'pgrollup_reporting_update', 'UPDATE', 'pgrollup_internal.reporting_capture', 'pgrollup_old', 'pgrollup_new', NULL, false),
           ('reporting', 'reporting_events', 'pgrollup_reporting_delete', 'DELETE', 'pgrollup_internal.reporting_capture', 'pgrollup_old', NULL, NULL, false),
           ('reporting', 'reporting_events', 'pgrollup_reporting_truncate', 'TRUNCATE', 'pgrollup_internal.reporting_capture', NULL, NULL, NULL, true);
    UPDATE pgrollup_internal.modules AS m
       SET slices_function = 'pgrollup_internal.reporting_partition_slices',
           restate_function = 'pgrollup_internal.reporting_restate_slices'
     WHERE m.module = 'reporting';
    -- a TRUNCATE trigger of reporting_capture on a partition would empty every rollup
    PERFORM pgrollup_internal.drop_triggers_of('pgrollup_internal.reporting_capture()'::regprocedure,
                                               'pgrollup_reporting_truncate', true);
    PERFORM pgrollup_internal.attach_capture('reporting');
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_attach() IS 'Attach hook of the reporting module (on a reporting_events distributed by Citus: pgrollup_internal.reporting_citus_layout()): declares its capture triggers and partition hooks to the core and creates the statement-level capture triggers (INSERT, UPDATE, DELETE with transition tables, and TRUNCATE) on reporting_events and, when it is partitioned, the INSERT, UPDATE and DELETE ones on every partition at any depth (a partition''s TRUNCATE is covered by the core''s pgrollup_partition_truncate trigger); idempotent.';

CREATE FUNCTION pgrollup_internal.reporting_bucket_date(p_date date, p_unit text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE p_unit WHEN 'day'::text THEN p_date WHEN 'week'::text THEN (p_date - (date_part('dow'::text, (p_date)::timestamp without time zone))::integer) WHEN 'month'::text THEN (date_trunc('month'::text, (p_date)::timestamp without time zone))::date WHEN 'year'::text THEN (date_trunc('year'::text, (p_date)::timestamp without time zone))::date ELSE NULL::date END;

COMMENT ON FUNCTION pgrollup_internal.reporting_bucket_date(p_date date, p_unit text) IS 'First local date of the day, week (weeks start on Sunday), month or year bucket that contains a local date; NULL for other units.';

CREATE FUNCTION pgrollup_internal.reporting_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- Statement-level AFTER trigger with transition tables: one append to the change log per
    -- statement, whatever the number of rows. No lock, no shared row, no account setting (apply
    -- discards the changes of accounts without a zone and sets aside what it cannot attribute),
    -- so the application's write never waits on pgrollup nor fails because of a value it holds.
    -- No exception block here: a subtransaction per statement would cost every writing
    -- transaction an XID per statement.
    --
    -- The columns it reads renamed, dropped or retyped by an application migration: the problem
    -- is recorded for health and the statement goes through without reading any column. The fast
    -- path costs no query: on reporting_events itself or one of its partitions, the check is
    -- capture_columns_ok() on the source table, folded into this expression's cached plan when it
    -- is planned, and planned again after any change of the table (the '0'::pg_catalog.regclass
    -- constants are the table's OID, written in by bind_capture at install).
    -- on a Citus worker, whose shards carry copies of this trigger when the application distributed
    -- the table after install (see capture_problems()), there are no pgrollup tables or functions:
    -- let the write through. (The OID bound below is this database's; there it may even name a
    -- shard.)
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- the source table, one of its partitions, or a child of it partitioned by inheritance (see
    -- source_inherits_from: its inherited columns are the table's, so the table's check holds)
    IF TG_OP <> 'TRUNCATE'
       AND (TG_RELID = '0'::pg_catalog.regclass::oid
            OR pg_catalog.pg_partition_root(TG_RELID::regclass)::oid = '0'::pg_catalog.regclass::oid
            OR pgrollup_internal.source_inherits_from(TG_RELID, '0'::pg_catalog.regclass::oid)) THEN
        IF NOT pgrollup_internal.capture_columns_ok('reporting', 'reporting_events', '0'::pg_catalog.regclass) THEN
            PERFORM pgrollup_internal.capture_note_drift('reporting', 'reporting_events', TG_RELID);
            RETURN NULL;
        END IF;
    ELSE
        IF TG_OP = 'TRUNCATE' THEN
            PERFORM pgrollup_internal.lock_module('reporting', true);
            -- on the source table itself only (a partition's TRUNCATE is queued by the core's
            -- partition trigger and restated by the next refresh). No transition table for TRUNCATE:
            -- every event is gone, so is every rollup (the source's ACCESS EXCLUSIVE lock means no
            -- writer of it is in progress)
            DELETE FROM pgrollup_internal.reporting_daily_rollups;
            DELETE FROM pgrollup_internal.reporting_handoffs;
            DELETE FROM pgrollup_internal.reporting_monthly_rollups;
            DELETE FROM pgrollup_internal.reporting_handoff_repeats;
            DELETE FROM pgrollup_internal.reporting_changes;
            -- a table partitioned by inheritance keeps its children's rows after TRUNCATE ONLY: the
            -- next refresh restates what each child holds (empty after a TRUNCATE that recursed)
            INSERT INTO pgrollup_internal.partition_restates (module, relation, slices)
            SELECT 'reporting', t.relid::text, s.slices
              FROM pgrollup_internal.source_tree(TG_RELID::regclass) AS t
             CROSS JOIN LATERAL (SELECT pgrollup_internal.relation_slices('reporting', 'reporting_events', t.relid::oid) AS slices) AS s
             WHERE t.level = 1
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k WHERE k.oid = TG_RELID AND k.relkind = 'r')
               AND s.slices IS DISTINCT FROM '[]'::jsonb;
            RETURN NULL;
        END IF;
        -- any other relation (a table detached from the source, before the next refresh takes its
        -- triggers away; an unbound function): the full check on every statement
        IF pgrollup_internal.capture_skipped('reporting', 'reporting_events', TG_RELID) THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        -- every name, registered or not: inserts are the hot path, and reading the registry here
        -- would cost a scan of it per statement. The refresh, the reads and restatements count
        -- registered names only (as on Citus, where the log holds every name too).
        SELECT n.account_id::bigint, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id::bigint,
               n.inbox_id::bigint, n.conversation_id::bigint, pgrollup_internal.to_value(n.value),
               pgrollup_internal.to_value(n.value_in_business_hours), 1
          FROM pgrollup_new AS n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT o.account_id::bigint, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id::bigint,
               o.inbox_id::bigint, o.conversation_id::bigint, pgrollup_internal.to_value(o.value),
               pgrollup_internal.to_value(o.value_in_business_hours), -1
          FROM pgrollup_old AS o
         WHERE o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m);
    ELSE
        -- rows whose relevant columns did not change (e.g. only updated_at) are skipped
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT o.account_id::bigint, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id::bigint,
               o.inbox_id::bigint, o.conversation_id::bigint, pgrollup_internal.to_value(o.value),
               pgrollup_internal.to_value(o.value_in_business_hours), -1
          FROM pgrollup_old AS o
         WHERE o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
           AND NOT EXISTS (
               SELECT 1 FROM pgrollup_new AS n
                WHERE n.id = o.id
                  AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                       n.value, n.value_in_business_hours)
                      IS NOT DISTINCT FROM
                      (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                       o.value, o.value_in_business_hours))
        UNION ALL
        SELECT n.account_id::bigint, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id::bigint,
               n.inbox_id::bigint, n.conversation_id::bigint, pgrollup_internal.to_value(n.value),
               pgrollup_internal.to_value(n.value_in_business_hours), 1
          FROM pgrollup_new AS n
         WHERE n.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
           AND NOT EXISTS (
               SELECT 1 FROM pgrollup_old AS o
                WHERE o.id = n.id
                  AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                       n.value, n.value_in_business_hours)
                      IS NOT DISTINCT FROM
                      (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                       o.value, o.value_in_business_hours));
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_capture() IS 'Capture trigger function on reporting_events (statement level, transition tables pgrollup_new / pgrollup_old): appends the changed events of any account to the change log (inserts of every name, updates and deletes of registered names); no lock, no shared row. Its column check is folded into its cached plans (bound to the source table by bind_capture); when a column it reads has drifted it records a capture failure and lets the statement through. TRUNCATE of the table clears every rollup (of a parent by inheritance, the next refresh then restates what its children still hold: TRUNCATE ONLY), TRUNCATE of one partition restates the zoned accounts.';

CREATE FUNCTION pgrollup_internal.reporting_capture_shard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_shard integer;
    v_key  text;
    v_log  text;
    v_read constant jsonb :=
        '{"id": "id", "account_id": "id", "user_id": "id", "inbox_id": "id", "conversation_id": "id", "value": "number", "value_in_business_hours": "number", "name": "text", "created_at": "timestamp"}';
    v_cols constant text := ' (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign) ';
    v_same constant text :=
        '(n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id, n.value, n.value_in_business_hours) '
        'IS NOT DISTINCT FROM '
        '(o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id, o.value, o.value_in_business_hours)';
BEGIN
    -- Statement-level AFTER trigger (transition tables pgrollup_new / pgrollup_old) of
    -- reporting_events when Citus distributes it. Citus copies it to every shard: it fires on the
    -- shard's node, once per statement that Citus runs on that shard (a COPY or an INSERT ...
    -- SELECT of many rows included), and appends the statement's changed events to the change
    -- log's colocated shard there, a plain table on that node. Same rules as the single-node
    -- pgrollup_internal.reporting_capture: unchanged rows skipped, no lock, no shared row, no
    -- account setting; a column it reads that drifted lets the statement through (rollup_health,
    -- on the coordinator, reports the drift). Every event name is logged: the registry is a
    -- reference table, which a worker reads through Citus, and the refresh and the reads count
    -- registered names only. It does nothing on the coordinator's table, which holds no rows (Citus
    -- runs the statements on the shards).
    -- INSERT on a shard known when reporting_citus_bind_capture last ran: a static branch, planned
    -- once per session and shard, with the shard's column check folded into its cached plan
    -- (written in between these markers by pgrollup_internal.citus_bind_capture)
    -- pgrollup:citus-shards-begin reporting_events
    -- pgrollup:citus-shards-end reporting_events
    v_key := 'pgrollup.capture_log_' || TG_RELID::text;
    v_log := pg_catalog.current_setting(v_key, true);
    -- the columns it reads: from the relation cache at REPEATABLE READ and SERIALIZABLE (the
    -- transaction's snapshot can predate a migration that committed before this statement locked
    -- the shard, and the INSERT below is parsed against the columns as they are now; see
    -- citus_shard_columns_ok), otherwise from pg_attribute (a snapshot taken after the lock)
    IF pg_catalog.current_setting('transaction_isolation') IN ('repeatable read', 'serializable') THEN
        IF NOT pgrollup_internal.citus_shard_columns_ok(TG_RELID, v_read) THEN
            RETURN NULL;
        END IF;
    -- (int2, int4, int8 / and numeric, float4, float8 / text, varchar, bpchar, name / timestamp,
    -- timestamptz; when they do not match, the relation cache's check decides, which counts a
    -- domain as its base type)
    ELSIF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute AS a
         WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
           AND CASE WHEN a.attname = ANY ('{id,account_id,user_id,inbox_id,conversation_id}'::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{21,23,20}'::pg_catalog.oid[])
                    WHEN a.attname = ANY ('{value,value_in_business_hours}'::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{21,23,20,1700,700,701}'::pg_catalog.oid[])
                    WHEN a.attname = 'name'
                    THEN a.atttypid = ANY ('{25,1043,1042,19}'::pg_catalog.oid[])
                    WHEN a.attname = 'created_at'
                    THEN a.atttypid = ANY ('{1114,1184}'::pg_catalog.oid[])
                    ELSE false END) <> 9 THEN
        IF NOT pgrollup_internal.citus_shard_columns_ok(TG_RELID, v_read) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- the log's shard colocated with this shard: looked up in Citus's metadata once per session
    -- and shard (a setting of the session), checked to exist at each use (a shard moved away or a
    -- re-install gives another name)
    IF v_log IS NULL OR v_log = '' OR pg_catalog.to_regclass(v_log) IS NULL THEN
        v_log := pgrollup_internal.citus_colocated_shard('pgrollup_internal.reporting_changes', TG_TABLE_NAME);
        IF v_log IS NULL THEN
            RETURN NULL;   -- the coordinator's table, or no colocated log here: rollup_health says so
        END IF;
        PERFORM pg_catalog.set_config(v_key, v_log, false);
    END IF;
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO ' || v_log || v_cols
             || 'SELECT n.account_id, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id, n.inbox_id, '
                'n.conversation_id, pgrollup_internal.to_value(n.value), pgrollup_internal.to_value(n.value_in_business_hours), 1 '
                'FROM pgrollup_new AS n';
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE 'INSERT INTO ' || v_log || v_cols
             || 'SELECT o.account_id, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id, o.inbox_id, '
                'o.conversation_id, pgrollup_internal.to_value(o.value), pgrollup_internal.to_value(o.value_in_business_hours), -1 '
                'FROM pgrollup_old AS o';
    ELSE
        EXECUTE 'INSERT INTO ' || v_log || v_cols
             || 'SELECT o.account_id, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id, o.inbox_id, '
                'o.conversation_id, pgrollup_internal.to_value(o.value), pgrollup_internal.to_value(o.value_in_business_hours), -1 '
                'FROM pgrollup_old AS o WHERE NOT EXISTS (SELECT 1 FROM pgrollup_new AS n WHERE n.id = o.id AND ' || v_same || ') '
                'UNION ALL '
                'SELECT n.account_id, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id, n.inbox_id, '
                'n.conversation_id, pgrollup_internal.to_value(n.value), pgrollup_internal.to_value(n.value_in_business_hours), 1 '
                'FROM pgrollup_new AS n WHERE NOT EXISTS (SELECT 1 FROM pgrollup_old AS o WHERE o.id = n.id AND ' || v_same || ')';
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_capture_shard() IS 'Capture trigger function on reporting_events distributed by Citus (statement level, transition tables pgrollup_new / pgrollup_old; Citus fires it on each shard a statement writes, on that shard''s node): appends the statement''s changed events to the colocated shard of the change log on that node (every name; refresh and reads count registered ones); unchanged rows skipped; a drifted column lets the statement through.';

CREATE FUNCTION pgrollup_internal.reporting_citus_bind_capture() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_source regclass := (SELECT pg_catalog.to_regclass(pg_catalog.format('%I.reporting_events', m.source_schema))
                            FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting');
BEGIN
    IF v_source IS NULL OR pgrollup_internal.citus_placement(v_source) IS DISTINCT FROM 'a Citus distributed table (by account_id)' THEN
        RETURN false;
    END IF;
    -- The static INSERT branch of each shard of reporting_events in reporting_capture_shard (see
    -- pgrollup_internal.citus_bind_capture): the same statement as its general path, into the
    -- change log's colocated shard. Returns whether the function changed.
    RETURN pgrollup_internal.citus_bind_capture(
        'pgrollup_internal.reporting_capture_shard()'::pg_catalog.regprocedure, 'reporting', v_source,
        'pgrollup_internal.reporting_changes'::pg_catalog.regclass,
        'INSERT INTO %1$s (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign) '
        'SELECT n.account_id, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id, n.inbox_id, '
        'n.conversation_id, pgrollup_internal.to_value(n.value), pgrollup_internal.to_value(n.value_in_business_hours), 1 '
        'FROM pgrollup_new AS n; RETURN NULL;');
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.reporting_citus_bind_capture() IS 'Citus: writes the static INSERT branch of every shard of reporting_events into pgrollup_internal.reporting_capture_shard (pgrollup_internal.citus_bind_capture); called by the Citus layout at install and by each refresh (a no-op unless shards changed). Returns whether the function changed.';

CREATE FUNCTION pgrollup_internal.reporting_citus_layout() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_schema text;
    v_source regclass;
    v_type   text;
    v_table  text;
    v_view   constant regclass := 'pgrollup.reporting_events_rollups'::regclass;
    v_def    text;
    v_notes  jsonb;
    v_grants text[];
BEGIN
    -- Follows reporting_events onto Citus once it is distributed by account_id: the per-account
    -- tables (change log, daily and monthly rollups, handoff presence and repeats, the staging
    -- table of restatements, which then run as single-shard statements) take the
    -- source's account_id type and become distributed tables colocated with it, the settings
    -- (event_metrics, reporting_accounts) reference tables; capture becomes statement-level
    -- triggers that Citus fires on each shard, next to the log's shard. The public view reading
    -- these tables is re-created as it was (definition, column types, comments, grants) around the
    -- change of type. Idempotent.
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting';
    v_source := pg_catalog.to_regclass(pg_catalog.format('%I.reporting_events', v_schema));
    IF pgrollup_internal.citus_placement(v_source) IS DISTINCT FROM 'a Citus distributed table (by account_id)' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('reporting: %s is not a Citus table distributed by account_id', v_source);
    END IF;
    SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO v_type
      FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = v_source AND a.attname = 'account_id';
    -- Citus refuses any trigger DDL on a distributed table without this (transaction-local)
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    -- one connection per node for the DDL below, whatever ran before in the transaction
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM pgrollup_internal.reporting_detach();
    DELETE FROM pgrollup_internal.capture_triggers AS c WHERE c.module = 'reporting';
    -- declared for the core, which creates them on reporting_events (attach_capture, below) and
    -- reports them missing or disabled in rollup_health. INSERT, UPDATE and DELETE fire on each
    -- shard; TRUNCATE fires on the coordinator (Citus copies it to the workers, where it does
    -- nothing) and empties the rollups and the change log of every shard in the TRUNCATE's
    -- transaction, as on one node.
    INSERT INTO pgrollup_internal.capture_triggers
           (module, table_name, trigger_name, event, function_name, old_table, new_table, modes, root_only)
    VALUES ('reporting', 'reporting_events', 'pgrollup_reporting_insert', 'INSERT', 'pgrollup_internal.reporting_capture_shard',
            NULL, 'pgrollup_new', NULL, true),
           ('reporting', 'reporting_events', 'pgrollup_reporting_update', 'UPDATE', 'pgrollup_internal.reporting_capture_shard',
            'pgrollup_old', 'pgrollup_new', NULL, true),
           ('reporting', 'reporting_events', 'pgrollup_reporting_delete', 'DELETE', 'pgrollup_internal.reporting_capture_shard',
            'pgrollup_old', NULL, NULL, true),
           ('reporting', 'reporting_events', 'pgrollup_reporting_truncate', 'TRUNCATE', 'pgrollup_internal.reporting_capture',
            NULL, NULL, NULL, true);
    -- re-created over its old definition with every column cast to its old type: account_id
    -- stays the contract's bigint when the tables take the source's integer
    SELECT pg_catalog.format('SELECT %s FROM (%s) AS x',
                             pg_catalog.string_agg(pg_catalog.format('x.%I::%s AS %I', a.attname,
                                                                     pg_catalog.format_type(a.atttypid, a.atttypmod), a.attname),
                                                   ', ' ORDER BY a.attnum),
                             pg_catalog.rtrim(pg_catalog.pg_get_viewdef(v_view), ';'))
      INTO v_def
      FROM pg_catalog.pg_attribute AS a
     WHERE a.attrelid = v_view AND a.attnum > 0 AND NOT a.attisdropped;
    SELECT pg_catalog.jsonb_object_agg(COALESCE(a.attname, ''), d.description) INTO v_notes
      FROM pg_catalog.pg_description AS d
      LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.objoid AND a.attnum = d.objsubid AND d.objsubid > 0
     WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = v_view;
    SELECT pg_catalog.array_agg(pg_catalog.format('GRANT %s ON %s TO %s', x.privilege_type, v_view,
                                CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END))
      INTO v_grants
      FROM pg_catalog.pg_class AS c
     CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS x
      LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = x.grantee
     WHERE c.oid = v_view AND x.grantee <> c.relowner;
    EXECUTE pg_catalog.format('DROP VIEW %s', v_view);
    FOREACH v_table IN ARRAY '{reporting_accounts,reporting_changes,reporting_daily_rollups,reporting_monthly_rollups,reporting_handoffs,reporting_handoff_repeats,reporting_batch}'::text[] LOOP
        IF pgrollup_internal.citus_placement(pg_catalog.format('pgrollup_internal.%I', v_table)::regclass) IS NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE pgrollup_internal.%I ALTER COLUMN account_id TYPE %s', v_table, v_type);
        END IF;
    END LOOP;
    -- logical replication (Citus shard moves that do not block writes) refuses unlogged tables
    IF pgrollup_internal.citus_placement('pgrollup_internal.reporting_batch'::regclass) IS NULL THEN
        ALTER TABLE pgrollup_internal.reporting_batch SET LOGGED;
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup.event_metrics'::regclass) IS NULL THEN
        PERFORM pg_catalog.create_reference_table('pgrollup.event_metrics');
        PERFORM pg_catalog.truncate_local_data_after_distributing_table('pgrollup.event_metrics');
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup_internal.reporting_accounts'::regclass) IS NULL THEN
        PERFORM pg_catalog.create_reference_table('pgrollup_internal.reporting_accounts');
        PERFORM pg_catalog.truncate_local_data_after_distributing_table('pgrollup_internal.reporting_accounts');
    END IF;
    FOREACH v_table IN ARRAY '{reporting_changes,reporting_daily_rollups,reporting_monthly_rollups,reporting_handoffs,reporting_handoff_repeats,reporting_batch}'::text[] LOOP
        IF pgrollup_internal.citus_placement(pg_catalog.format('pgrollup_internal.%I', v_table)::regclass) IS NULL THEN
            PERFORM pg_catalog.create_distributed_table(pg_catalog.format('pgrollup_internal.%I', v_table),
                                                        'account_id', colocate_with => v_source::text);
            PERFORM pg_catalog.truncate_local_data_after_distributing_table(pg_catalog.format('pgrollup_internal.%I', v_table));
        END IF;
    END LOOP;
    EXECUTE pg_catalog.format('CREATE VIEW pgrollup.reporting_events_rollups AS %s', v_def);
    FOR v_table IN SELECT k FROM pg_catalog.jsonb_object_keys(v_notes) AS k LOOP
        EXECUTE pg_catalog.format(CASE WHEN v_table = '' THEN 'COMMENT ON VIEW pgrollup.reporting_events_rollups IS %2$L'
                                       ELSE 'COMMENT ON COLUMN pgrollup.reporting_events_rollups.%1$I IS %2$L' END,
                                  v_table, v_notes ->> v_table);
    END LOOP;
    FOR v_table IN SELECT g FROM pg_catalog.unnest(v_grants) AS g LOOP
        EXECUTE v_table;
    END LOOP;
    -- the code each node runs (the capture trigger's function follows its trigger)
    PERFORM pg_catalog.create_distributed_function(f::pg_catalog.regprocedure)
       FROM pg_catalog.unnest(ARRAY['pgrollup_internal.utc(timestamp without time zone)', 'pgrollup_internal.utc(timestamp with time zone)',
                               'pgrollup_internal.to_value(double precision)', 'pgrollup_internal.to_value(numeric)',
                               'pgrollup_internal.citus_shard_map(bigint)', 'pgrollup_internal.citus_bind(regprocedure, jsonb, text)',
                               'pgrollup_internal.citus_colocated_shard(regclass, name)',
                               'pgrollup_internal.base_type(oid)', 'pgrollup_internal.kind_accepts(text, oid)',
                               'pgrollup_internal.citus_shard_columns_ok(regclass, jsonb)',
                               'pgrollup_internal.citus_shard_columns_folded(regclass, jsonb)',
                               'pgrollup_internal.reporting_apply()', 'pgrollup_internal.reporting_refresh_log()',
                               'pgrollup_internal.reporting_refresh_node()']) AS f
      WHERE pg_catalog.to_regprocedure(f) IS NOT NULL;
    -- capture: the triggers declared above, statement-level with transition tables, which Citus
    -- copies to every shard and fires there (reporting_detach dropped the row-level trigger of
    -- earlier versions, as it was declared then)
    DROP FUNCTION IF EXISTS pgrollup_internal.reporting_capture_row();
    PERFORM pgrollup_internal.attach_capture('reporting');
    PERFORM pgrollup_internal.reporting_citus_bind_capture();
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.reporting_citus_layout() IS 'Citus: makes the reporting module''s per-account tables distributed tables colocated with reporting_events (distributed by account_id, whose type they take), its settings reference tables, its node code distributed functions, and capture the statement-level triggers pgrollup_reporting_insert / _update / _delete of pgrollup_internal.reporting_capture_shard, which fire on each shard (and the TRUNCATE trigger pgrollup_reporting_truncate, which fires on the coordinator); the caller drops the views on those tables first. Idempotent.';

CREATE FUNCTION pgrollup_internal.reporting_day_start(p_date date, p_timezone text) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (SELECT COALESCE(min(c.c), timezone(reporting_day_start.p_timezone, (reporting_day_start.p_date)::timestamp without time zone)) AS "coalesce" FROM ((VALUES ('00:00:00'::interval), ('00:30:00'::interval), ('01:00:00'::interval), ('02:00:00'::interval)) v(x) CROSS JOIN LATERAL (SELECT (timezone(reporting_day_start.p_timezone, (reporting_day_start.p_date)::timestamp without time zone) - v.x) AS "?column?") c(c)) WHERE (timezone(reporting_day_start.p_timezone, c.c) = (reporting_day_start.p_date)::timestamp without time zone));

COMMENT ON FUNCTION pgrollup_internal.reporting_day_start(p_date date, p_timezone text) IS 'First instant of a local date in a time zone (correct also when local midnight is ambiguous or nonexistent).';

CREATE FUNCTION pgrollup_internal.reporting_detach() RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- the capture triggers on reporting_events, its partitions and former partitions
    PERFORM pgrollup_internal.drop_triggers_of('pgrollup_internal.reporting_capture()'::regprocedure);
    -- the core's partition TRUNCATE triggers and its record of covered partitions
    IF pg_catalog.to_regprocedure('pgrollup_internal.detach_capture(text)') IS NOT NULL THEN
        PERFORM pgrollup_internal.detach_capture('reporting');
    END IF;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_detach() IS 'Detach hook of the reporting module: drops its capture triggers from reporting_events, its partitions and former partitions (and the core''s partition TRUNCATE triggers for it).';

CREATE FUNCTION pgrollup_internal.reporting_facts(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_day_from date, p_day_to date, p_rollup_from timestamp with time zone, p_rollup_to timestamp with time zone, p_timezone text, p_unit text, p_dimension_type text, p_dimension_id bigint, p_metrics text[], p_business_hours boolean) RETURNS TABLE(dimension_id bigint, bucket_date date, bucket_hour timestamp with time zone, metric text, count bigint, total double precision)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
#variable_conflict use_column
DECLARE
    v_names text[];
    v_handoff_names text[];
    v_daily boolean;
    v_sum_handoffs boolean;
    v_month_from date;
    v_month_to date;
    v_plus1_to date;
    v_plus2_from date;
    v_minus1_from date;
    v_minus2_to date;
    v_whole_from date;
    v_whole_to date;
    v_edge_month date;
    v_tail_handoffs boolean;
BEGIN
    -- Counts and value sums per dimension id, bucket and metric for events with
    -- p_since <= created_at < p_until: local days [p_day_from, p_day_to) from the rollups (and the
    -- handoff presence table), the rest, [p_since, p_rollup_from) and [p_rollup_to, p_until), from
    -- raw events with plain range predicates on created_at (index-usable). bot_handoffs_count is
    -- the number of distinct conversations per dimension id and bucket over both parts.
    -- event names feeding the requested sum/count metrics and the distinct handoff metric; the
    -- two raw scans below read disjoint name sets, so together they read each event once
    v_names := ARRAY(SELECT DISTINCT m.event_name FROM pgrollup.event_metrics AS m
                      WHERE m.rollup_metric = ANY (p_metrics) AND m.rollup_metric <> 'bot_handoffs_count');
    v_handoff_names := ARRAY(SELECT DISTINCT m.event_name FROM pgrollup.event_metrics AS m
                              WHERE m.rollup_metric = ANY (p_metrics) AND m.rollup_metric = 'bot_handoffs_count');
    -- daily buckets of one dimension id: a whole day's distinct handoffs is its rollup count (a
    -- bucket is then either a whole rollup day or a partial raw day), no presence scan needed
    v_daily := COALESCE(p_unit = 'day', false) AND (p_dimension_type = 'account' OR p_dimension_id IS NOT NULL);
    -- one bucket (a summary) over whole days: distinct handoffs = the days' summed daily counts
    -- (monthly totals included) minus the repeats of a conversation within those days, plus the
    -- raw-edge conversations absent from them; no presence scan
    v_sum_handoffs := COALESCE(p_unit IS NULL AND p_day_from < p_day_to AND 'bot_handoffs_count' = ANY (p_metrics), false);
    -- Reads are current at commit: the change log not applied yet (its rows of this account in
    -- the rollup days) is folded in like raw events weighted by their sign. A handoff change in
    -- it makes the daily distinct counts, monthly totals and repeats inexact for its days, so
    -- distinct handoffs are then counted from the presence rows plus the log's signed handoffs
    -- per conversation (exact for inserts, updates and deletes alike).
    v_tail_handoffs := COALESCE(p_day_from < p_day_to AND pg_catalog.cardinality(v_handoff_names) > 0, false)
                       AND EXISTS (SELECT 1 FROM pgrollup_internal.reporting_changes AS c
                                    WHERE c.account_id = p_account_id AND c.name = ANY (v_handoff_names)
                                      AND c.conversation_id IS NOT NULL
                                      AND c.created_at >= p_rollup_from AND c.created_at < p_rollup_to);
    IF v_tail_handoffs THEN
        v_daily := false;
        v_sum_handoffs := false;
    END IF;
    -- Rollup days [p_day_from, p_day_to) when buckets are months, years or the whole range: whole
    -- local months from the monthly totals; a partial month at either end either from its daily
    -- rows or, when fewer days lie outside the range than inside, as its monthly total minus the
    -- daily rows of the days outside the range. Daily rows read with sign +1:
    -- [p_day_from, v_plus1_to) and [v_plus2_from, p_day_to); monthly rows of
    -- [v_month_from, v_month_to); daily rows with sign -1: [v_minus1_from, p_day_from) and
    -- [p_day_to, v_minus2_to). Other units (and ranges inside one month): daily rows only.
    v_plus1_to := p_day_to;
    v_plus2_from := p_day_to;
    v_month_from := p_day_to;
    v_month_to := p_day_to;
    v_minus1_from := p_day_from;
    v_minus2_to := p_day_to;
    IF (p_unit IS NULL OR p_unit IN ('month', 'year')) AND p_day_from < p_day_to THEN
        v_whole_from := pg_catalog.date_trunc('month', (p_day_from - 1)::timestamp + interval '1 month')::date;
        v_whole_to := pg_catalog.date_trunc('month', p_day_to::timestamp)::date;
        IF v_whole_from <= v_whole_to THEN
            v_month_from := v_whole_from;
            v_month_to := v_whole_to;
            v_plus1_to := v_whole_from;
            v_plus2_from := v_whole_to;
            v_edge_month := (v_whole_from::timestamp - interval '1 month')::date;
            IF p_day_from > v_edge_month AND p_day_from - v_edge_month < v_whole_from - p_day_from THEN
                v_month_from := v_edge_month;          -- the first month's total minus its days before the range
                v_plus1_to := p_day_from;
                v_minus1_from := v_edge_month;
            END IF;
            v_edge_month := (v_whole_to::timestamp + interval '1 month')::date;
            IF p_day_to > v_whole_to AND v_edge_month - p_day_to < p_day_to - v_whole_to THEN
                v_month_to := v_edge_month;            -- the last month's total minus its days after the range
                v_plus2_from := p_day_to;
                v_minus2_to := v_edge_month;
            END IF;
        END IF;
    END IF;
    RETURN QUERY
    WITH raw_sums AS (
        SELECT x.dimension_id,
               CASE WHEN p_unit IS NOT NULL AND p_unit <> 'hour'
                    THEN pgrollup_internal.reporting_bucket_date((x.ts AT TIME ZONE p_timezone)::date, p_unit) END AS bucket_date,
               CASE WHEN p_unit = 'hour' THEN pg_catalog.date_trunc('hour', x.ts, p_timezone) END AS bucket_hour,
               m.rollup_metric AS metric, pg_catalog.sum(x.w)::bigint AS c,
               pg_catalog.sum(x.w * CASE WHEN m.payload_kind = 'duration'
                                   THEN COALESCE(CASE WHEN p_business_hours THEN x.value_bh ELSE x.value END, 0)
                                   ELSE 0 END) AS v
          FROM (SELECT CASE p_dimension_type WHEN 'account' THEN e.account_id::bigint
                                             WHEN 'agent' THEN e.user_id::bigint
                                             ELSE e.inbox_id::bigint END AS dimension_id,
                       e.name::text AS name, pgrollup_internal.to_value(e.value) AS value,
                       pgrollup_internal.to_value(e.value_in_business_hours) AS value_bh,
                       pgrollup_internal.utc(e.created_at) AS ts, 1 AS w
                  FROM "public".reporting_events AS e
                 WHERE e.account_id = p_account_id AND e.name = ANY (v_names)
                   AND e.created_at >= p_since AND e.created_at < p_rollup_from
                UNION ALL
                SELECT CASE p_dimension_type WHEN 'account' THEN e.account_id::bigint
                                             WHEN 'agent' THEN e.user_id::bigint
                                             ELSE e.inbox_id::bigint END,
                       e.name::text, pgrollup_internal.to_value(e.value), pgrollup_internal.to_value(e.value_in_business_hours),
                       pgrollup_internal.utc(e.created_at), 1
                  FROM "public".reporting_events AS e
                 WHERE e.account_id = p_account_id AND e.name = ANY (v_names)
                   AND e.created_at >= p_rollup_to AND e.created_at < p_until
                UNION ALL
                -- the change log not applied yet, within the rollup days: signed raw events
                SELECT CASE p_dimension_type WHEN 'account' THEN c.account_id
                                             WHEN 'agent' THEN c.user_id
                                             ELSE c.inbox_id END,
                       c.name, c.value, c.value_bh, c.created_at, c.sign
                  FROM pgrollup_internal.reporting_changes AS c
                 WHERE p_day_from < p_day_to AND c.account_id = p_account_id AND c.name = ANY (v_names)
                   AND c.created_at >= p_rollup_from AND c.created_at < p_rollup_to) AS x
          JOIN pgrollup.event_metrics AS m
            ON m.event_name = x.name AND m.rollup_metric = ANY (p_metrics) AND m.rollup_metric <> 'bot_handoffs_count'
         WHERE x.dimension_id IS NOT NULL AND (p_dimension_id IS NULL OR x.dimension_id = p_dimension_id)
         GROUP BY 1, 2, 3, 4
    ), rollup_sums AS (
        SELECT r.dimension_id,
               CASE WHEN p_unit IS NOT NULL THEN pgrollup_internal.reporting_bucket_date(r.date, p_unit) END AS bucket_date,
               NULL::timestamptz AS bucket_hour, r.metric, pg_catalog.sum(r.count)::bigint AS c,
               pg_catalog.sum(CASE WHEN p_business_hours THEN r.sum_value_business_hours ELSE r.sum_value END) AS v
          FROM (SELECT d.dimension_id, d.date, d.metric, d.count, d.sum_value, d.sum_value_business_hours
                  FROM pgrollup_internal.reporting_daily_rollups AS d
                 WHERE d.account_id = p_account_id AND d.dimension_type = p_dimension_type
                   AND d.date >= p_day_from AND d.date < v_plus1_to
                   AND d.metric = ANY (p_metrics) AND (d.metric <> 'bot_handoffs_count' OR v_daily OR v_sum_handoffs)
                   AND (p_dimension_id IS NULL OR d.dimension_id = p_dimension_id)
                UNION ALL
                SELECT d.dimension_id, d.date, d.metric, d.count, d.sum_value, d.sum_value_business_hours
                  FROM pgrollup_internal.reporting_daily_rollups AS d
                 WHERE d.account_id = p_account_id AND d.dimension_type = p_dimension_type
                   AND d.date >= v_plus2_from AND d.date < p_day_to
                   AND d.metric = ANY (p_metrics) AND (d.metric <> 'bot_handoffs_count' OR v_daily OR v_sum_handoffs)
                   AND (p_dimension_id IS NULL OR d.dimension_id = p_dimension_id)
                UNION ALL
                SELECT m.dimension_id, m.month, m.metric, m.count, m.sum_value, m.sum_value_business_hours
                  FROM pgrollup_internal.reporting_monthly_rollups AS m
                 WHERE m.account_id = p_account_id AND m.dimension_type = p_dimension_type
                   AND m.month >= v_month_from AND m.month < v_month_to
                   AND m.metric = ANY (p_metrics) AND (m.metric <> 'bot_handoffs_count' OR v_sum_handoffs)
                   AND (p_dimension_id IS NULL OR m.dimension_id = p_dimension_id)
                UNION ALL
                SELECT d.dimension_id, d.date, d.metric, -d.count, -d.sum_value, -d.sum_value_business_hours
                  FROM pgrollup_internal.reporting_daily_rollups AS d
                 WHERE d.account_id = p_account_id AND d.dimension_type = p_dimension_type
                   AND ((d.date >= v_minus1_from AND d.date < p_day_from) OR (d.date >= p_day_to AND d.date < v_minus2_to))
                   AND d.metric = ANY (p_metrics) AND (d.metric <> 'bot_handoffs_count' OR v_sum_handoffs)
                   AND (p_dimension_id IS NULL OR d.dimension_id = p_dimension_id)) AS r
         GROUP BY 1, 2, 3, 4
        HAVING pg_catalog.sum(r.count) <> 0     -- a dimension whose only events lie outside the range
    ), handoffs AS (
        SELECT y.dimension_id, y.bucket_date, y.bucket_hour, 'bot_handoffs_count'::text AS metric,
               pg_catalog.count(DISTINCT y.conv) AS c, 0::double precision AS v
          FROM (SELECT x.dimension_id,
                       CASE WHEN p_unit IS NOT NULL AND p_unit <> 'hour'
                            THEN pgrollup_internal.reporting_bucket_date((x.ts AT TIME ZONE p_timezone)::date, p_unit) END AS bucket_date,
                       CASE WHEN p_unit = 'hour' THEN pg_catalog.date_trunc('hour', x.ts, p_timezone) END AS bucket_hour,
                       x.conv
                  FROM (SELECT CASE p_dimension_type WHEN 'account' THEN e.account_id::bigint
                                                     WHEN 'agent' THEN e.user_id::bigint
                                                     ELSE e.inbox_id::bigint END AS dimension_id,
                               e.conversation_id::bigint AS conv, pgrollup_internal.utc(e.created_at) AS ts
                          FROM "public".reporting_events AS e
                         WHERE e.account_id = p_account_id AND e.name = ANY (v_handoff_names)
                           AND e.created_at >= p_since AND e.created_at < p_rollup_from
                        UNION ALL
                        SELECT CASE p_dimension_type WHEN 'account' THEN e.account_id::bigint
                                                     WHEN 'agent' THEN e.user_id::bigint
                                                     ELSE e.inbox_id::bigint END,
                               e.conversation_id::bigint, pgrollup_internal.utc(e.created_at)
                          FROM "public".reporting_events AS e
                         WHERE e.account_id = p_account_id AND e.name = ANY (v_handoff_names)
                           AND e.created_at >= p_rollup_to AND e.created_at < p_until) AS x
                 WHERE x.dimension_id IS NOT NULL AND x.conv IS NOT NULL
                   AND (p_dimension_id IS NULL OR x.dimension_id = p_dimension_id)
                   -- summed daily counts: an edge conversation adds one only when absent from the whole days
                   AND NOT (v_sum_handoffs AND EXISTS (
                       SELECT 1 FROM pgrollup_internal.reporting_handoffs AS h2
                        WHERE h2.account_id = p_account_id AND h2.dimension_type = p_dimension_type
                          AND h2.dimension_id = x.dimension_id AND h2.conversation_id = x.conv
                          AND h2.date >= p_day_from AND h2.date < p_day_to))
                UNION ALL
                SELECT h.dimension_id,
                       CASE WHEN p_unit IS NOT NULL THEN pgrollup_internal.reporting_bucket_date(h.date, p_unit) END,
                       NULL::timestamptz, h.conversation_id
                  FROM pgrollup_internal.reporting_handoffs AS h
                 WHERE NOT v_daily AND NOT v_sum_handoffs AND NOT v_tail_handoffs
                   AND h.account_id = p_account_id AND h.dimension_type = p_dimension_type
                   AND h.date >= p_day_from AND h.date < p_day_to
                   AND (p_dimension_id IS NULL OR h.dimension_id = p_dimension_id)
                UNION ALL
                -- whole days with handoff changes not applied yet: presence after the log
                SELECT z.dimension_id,
                       CASE WHEN p_unit IS NOT NULL THEN pgrollup_internal.reporting_bucket_date(z.date, p_unit) END,
                       NULL::timestamptz, z.conv
                  FROM (SELECT u.dimension_id, u.date, u.conv
                          FROM (SELECT h.dimension_id, h.date, h.conversation_id AS conv, h.events AS ev
                                  FROM pgrollup_internal.reporting_handoffs AS h
                                 WHERE v_tail_handoffs AND h.account_id = p_account_id AND h.dimension_type = p_dimension_type
                                   AND h.date >= p_day_from AND h.date < p_day_to
                                   AND (p_dimension_id IS NULL OR h.dimension_id = p_dimension_id)
                                UNION ALL
                                SELECT CASE p_dimension_type WHEN 'account' THEN c.account_id
                                                             WHEN 'agent' THEN c.user_id
                                                             ELSE c.inbox_id END,
                                       (c.created_at AT TIME ZONE p_timezone)::date, c.conversation_id, c.sign::bigint
                                  FROM pgrollup_internal.reporting_changes AS c
                                 WHERE v_tail_handoffs AND c.account_id = p_account_id AND c.name = ANY (v_handoff_names)
                                   AND c.conversation_id IS NOT NULL
                                   AND c.created_at >= p_rollup_from AND c.created_at < p_rollup_to) AS u
                         WHERE u.dimension_id IS NOT NULL AND (p_dimension_id IS NULL OR u.dimension_id = p_dimension_id)
                         GROUP BY 1, 2, 3
                        HAVING pg_catalog.sum(u.ev) > 0) AS z) AS y
         WHERE pg_catalog.cardinality(v_handoff_names) > 0
         GROUP BY 1, 2, 3
    ), repeats AS (
        -- summed daily counts over the whole days count a conversation once per day: minus its
        -- days after the first one within the range
        SELECT r.dimension_id, NULL::date AS bucket_date, NULL::timestamptz AS bucket_hour,
               'bot_handoffs_count'::text AS metric, -pg_catalog.count(*) AS c, 0::double precision AS v
          FROM pgrollup_internal.reporting_handoff_repeats AS r
         WHERE v_sum_handoffs AND r.account_id = p_account_id AND r.dimension_type = p_dimension_type
           AND r.date >= p_day_from AND r.date < p_day_to AND r.prev_date >= p_day_from
           AND (p_dimension_id IS NULL OR r.dimension_id = p_dimension_id)
         GROUP BY 1
    )
    SELECT p.dimension_id, p.bucket_date, p.bucket_hour, p.metric, pg_catalog.sum(p.c)::bigint, pg_catalog.sum(p.v)
      FROM (SELECT * FROM raw_sums UNION ALL SELECT * FROM rollup_sums UNION ALL SELECT * FROM handoffs
            UNION ALL SELECT * FROM repeats) AS p
     GROUP BY 1, 2, 3, 4
    HAVING pg_catalog.sum(p.c) <> 0;     -- an event of the rollups deleted in the log
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_facts(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_day_from date, p_day_to date, p_rollup_from timestamp with time zone, p_rollup_to timestamp with time zone, p_timezone text, p_unit text, p_dimension_type text, p_dimension_id bigint, p_metrics text[], p_business_hours boolean) IS 'Read engine of report_summary and report_timeseries: event counts, value sums and distinct handoff conversations per dimension id, bucket and metric, whole local days from rollups (whole months from the monthly totals) plus the change log not applied yet, the rest from raw events.';

CREATE FUNCTION pgrollup_internal.reporting_facts_serial(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_day_from date, p_day_to date, p_rollup_from timestamp with time zone, p_rollup_to timestamp with time zone, p_timezone text, p_unit text, p_dimension_type text, p_dimension_id bigint, p_metrics text[], p_business_hours boolean) RETURNS TABLE(dimension_id bigint, bucket_date date, bucket_hour timestamp with time zone, metric text, count bigint, total double precision)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET max_parallel_workers_per_gather TO '0'
    AS $$
    SELECT * FROM pgrollup_internal.reporting_facts(p_account_id, p_since, p_until, p_day_from, p_day_to,
                                                    p_rollup_from, p_rollup_to, p_timezone, p_unit,
                                                    p_dimension_type, p_dimension_id, p_metrics, p_business_hours)
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_facts_serial(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_day_from date, p_day_to date, p_rollup_from timestamp with time zone, p_rollup_to timestamp with time zone, p_timezone text, p_unit text, p_dimension_type text, p_dimension_id bigint, p_metrics text[], p_business_hours boolean) IS 'pgrollup_internal.reporting_facts without parallel workers: used when whole days come from rollups (sources rollup and hybrid), whose few thousand rows are read faster by one process; raw reads keep the server''s parallel settings.';

CREATE FUNCTION pgrollup_internal.reporting_health() RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamp with time zone)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_mode    text := COALESCE((SELECT s.value FROM pgrollup_internal.settings AS s WHERE s.name = 'reporting_mode'), 'realtime');
    v_pending bigint;
    v_missing bigint;
BEGIN
    -- reads fold the log in, so they are never stale: stale_since stays NULL. pending_changes is
    -- what the next refresh applies and what every read of rollups folds in; it grows without
    -- bound when refresh does not run (no pg_cron job), which the operator must see.
    IF pgrollup_internal.citus_placement('pgrollup_internal.reporting_changes'::regclass) IS NULL THEN
        RETURN QUERY SELECT v_mode, (SELECT pg_catalog.count(*) FROM pgrollup_internal.reporting_changes), NULL::timestamptz;
        RETURN;
    END IF;
    -- Citus: every shard of the log counted where it is, without raising when a node does not
    -- answer (rollup_health names it); the sum is then unknown (NULL)
    PERFORM pg_catalog.set_config('citus.node_connection_timeout', '5000', true);
    EXECUTE $q$SELECT pg_catalog.sum(r.result::bigint) FILTER (WHERE r.success), pg_catalog.count(*) FILTER (WHERE NOT r.success)
                 FROM pg_catalog.run_command_on_shards('pgrollup_internal.reporting_changes', 'SELECT pg_catalog.count(*) FROM %s') AS r$q$
       INTO v_pending, v_missing;
    RETURN QUERY SELECT v_mode, CASE WHEN v_missing = 0 THEN COALESCE(v_pending, 0) END, NULL::timestamptz;
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.reporting_health() IS 'Health hook of the reporting module: mode (realtime), change-log rows not applied yet over every shard on Citus (NULL when a node does not answer; every read folds them in; refresh applies them), and NULL staleness (reads are current at commit).';

CREATE FUNCTION pgrollup_internal.reporting_partition_slices(p_table text, p_relid oid) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_slices jsonb;
BEGIN
    IF p_table IS DISTINCT FROM 'reporting_events' THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''key'', x.account_id,
                    ''from'', (x.lo AT TIME ZONE x.timezone)::date, ''to'', (x.hi AT TIME ZONE x.timezone)::date)
                ORDER BY x.account_id)
           FROM (SELECT a.account_id, a.timezone,
                        pg_catalog.min(pgrollup_internal.utc(e.created_at)) AS lo,
                        pg_catalog.max(pgrollup_internal.utc(e.created_at)) AS hi
                   FROM %s AS e
                   JOIN pgrollup_internal.reporting_accounts AS a ON a.account_id = e.account_id
                  WHERE a.timezone IS NOT NULL
                    AND e.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
                  GROUP BY a.account_id, a.timezone) AS x',
        p_relid::regclass)
       INTO v_slices;
    RETURN COALESCE(v_slices, '[]'::jsonb);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_partition_slices(p_table text, p_relid oid) IS 'reporting slices hook: the accounts with a zone whose registered events are in one member of reporting_events (partition or detached table), with their first and last local day, as a jsonb array of {"key", "from", "to"}.';

CREATE FUNCTION pgrollup_internal.reporting_plan(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_timezone text, p_unit text, OUT timezone text, OUT day_from date, OUT day_to date, OUT rollup_from timestamp with time zone, OUT rollup_to timestamp with time zone, OUT source text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_account_tz text;
    v_reads      boolean;
BEGIN
    -- Decides which path answers a read: whole local days [day_from, day_to) from rollups, the
    -- instants outside [rollup_from, rollup_to) from raw events. No rollup days: rollup_from =
    -- rollup_to = p_until (the raw part is then the whole range).
    SELECT a.timezone, a.rollup_reads INTO v_account_tz, v_reads
      FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    IF p_timezone IS NULL THEN
        timezone := COALESCE(v_account_tz, 'UTC');
    ELSIF p_timezone = v_account_tz THEN
        timezone := v_account_tz;            -- stored canonical name: no need to validate again
    ELSIF p_timezone = 'UTC' OR EXISTS (SELECT 1 FROM pgrollup_internal.reporting_accounts AS a
                                         WHERE a.timezone = p_timezone) THEN
        timezone := p_timezone;              -- known canonical: check_timezone scans the zone files (~100 ms)
    ELSE
        timezone := pgrollup_internal.check_timezone(p_timezone, 'p_timezone');
    END IF;
    rollup_from := p_until;
    rollup_to := p_until;
    source := 'raw';
    IF v_account_tz IS NOT NULL AND v_reads AND timezone = v_account_tz AND p_unit IS DISTINCT FROM 'hour' THEN
        day_from := (p_since AT TIME ZONE v_account_tz)::date;
        IF pgrollup_internal.reporting_day_start(day_from, v_account_tz) < p_since THEN
            day_from := day_from + 1;
        END IF;
        day_to := (p_until AT TIME ZONE v_account_tz)::date;
        IF day_from < day_to THEN
            rollup_from := pgrollup_internal.reporting_day_start(day_from, v_account_tz);
            rollup_to := pgrollup_internal.reporting_day_start(day_to, v_account_tz);
            source := CASE WHEN rollup_from = p_since AND rollup_to = p_until THEN 'rollup' ELSE 'hybrid' END;
            RETURN;
        END IF;
    END IF;
    day_from := NULL;
    day_to := NULL;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_plan(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_timezone text, p_unit text, OUT timezone text, OUT day_from date, OUT day_to date, OUT rollup_from timestamp with time zone, OUT rollup_to timestamp with time zone, OUT source text) IS 'Read-path planner: bucket time zone, the whole local days a read can take from rollups (account has a zone, reads enabled, same zone, not hourly) and which path answers (rollup, hybrid or raw).';

CREATE FUNCTION pgrollup_internal.reporting_record_set_aside(p_counts jsonb) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    INSERT INTO pgrollup_internal.rows_set_aside AS s (module, reason, rows, first_seen, last_seen)
    SELECT 'reporting', x.key, x.value::bigint, pg_catalog.now(), pg_catalog.now()
      FROM pg_catalog.jsonb_each_text(COALESCE(p_counts, '{}'::jsonb)) AS x
    ON CONFLICT (module, reason) DO UPDATE SET rows = s.rows + EXCLUDED.rows, last_seen = EXCLUDED.last_seen;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_record_set_aside(p_counts jsonb) IS 'Adds {reason: rows} of the reporting module to pgrollup_internal.rows_set_aside.';

CREATE FUNCTION pgrollup_internal.reporting_refresh() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- the change log distributed by Citus: every node refreshes its own shards
    IF pgrollup_internal.citus_placement('pgrollup_internal.reporting_changes'::regclass) IS NOT NULL THEN
        RETURN pgrollup_internal.reporting_refresh_citus();
    END IF;
    RETURN pgrollup_internal.reporting_refresh_log();
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_refresh() IS 'Refresh hook of the reporting module: pgrollup_internal.reporting_refresh_log(), or on Citus (change log distributed) pgrollup_internal.reporting_refresh_citus(); returns the number of changes consumed.';

CREATE FUNCTION pgrollup_internal.reporting_refresh_citus() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_res    record;
    v_out    jsonb;
    v_total  bigint := 0;
    v_failed text;
BEGIN
    -- Coordinator side of the Citus refresh: every node refreshes the shards it holds, in parallel,
    -- each in its own transaction (so a node that fails or is down leaves its shards' log and
    -- rollups as they were, and the others still advance); the coordinator's own placements, if
    -- any, here. A failure is raised after the others finished: the run is recorded as failed
    -- and retried by the next one.
    v_out := pgrollup_internal.reporting_refresh_node();
    v_total := v_total + (v_out ->> 'consumed')::bigint;
    PERFORM pgrollup_internal.reporting_record_set_aside(v_out -> 'set_aside');
    FOR v_res IN EXECUTE
        'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers('
        '''SELECT pgrollup_internal.reporting_refresh_node()'', true)'
    LOOP
        IF NOT v_res.success THEN
            v_failed := pg_catalog.concat_ws('; ', v_failed,
                                             pg_catalog.format('%s:%s: %s', v_res.nodename, v_res.nodeport, v_res.result));
            CONTINUE;
        END IF;
        v_out := v_res.result::jsonb;
        v_total := v_total + (v_out ->> 'consumed')::bigint;
        PERFORM pgrollup_internal.reporting_record_set_aside(v_out -> 'set_aside');
    END LOOP;
    IF v_failed IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '58000',
            MESSAGE = 'reporting: refresh failed on ' || v_failed,
            HINT = 'The other nodes'' shards were refreshed; the failed ones keep their change log for the next refresh.';
    END IF;
    -- shards created since the last bind (a shard split) get their static capture branch
    PERFORM pgrollup_internal.citus_rebind_capture('reporting', 'pgrollup_internal.reporting_citus_bind_capture()');
    RETURN v_total;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_refresh_citus() IS 'Citus: refresh of the reporting module from the coordinator: pgrollup_internal.reporting_refresh_node() on every node in parallel (one transaction per node), set-aside rows recorded here; raises after the others finished when a node failed; then writes the capture branches of shards created since the last bind (citus_rebind_capture).';

CREATE FUNCTION pgrollup_internal.reporting_refresh_log() RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_blocks bigint;
    v_block  bigint := 0;
    v_step   constant bigint := 1024;   -- blocks per batch: 8 MB of log, some 60k changes
    v_n      bigint;
    v_total  bigint := 0;
BEGIN
    -- Runs under the module lock (pgrollup.refresh), in the caller's transaction: a failure
    -- rolls every batch back and leaves the log intact. The log is consumed in ranges of heap
    -- blocks (TID range scans, each block read once): each DELETE ... RETURNING moves the rows of
    -- its blocks committed before its snapshot into the staging table, which is applied
    -- set-based; later rows stay for the next run. Memory stays bounded by one batch whatever
    -- the size of the log. Idle: one look at an empty log.
    IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.reporting_changes) THEN
        RETURN 0;
    END IF;
    v_blocks := pg_catalog.pg_relation_size('pgrollup_internal.reporting_changes'::regclass)
                / pg_catalog.current_setting('block_size')::bigint;
    WHILE v_block < v_blocks LOOP
        TRUNCATE pgrollup_internal.reporting_batch;
        WITH d AS (
            DELETE FROM pgrollup_internal.reporting_changes AS c
             WHERE c.ctid >= pg_catalog.format('(%s,0)', v_block)::tid
               AND c.ctid < pg_catalog.format('(%s,0)', v_block + v_step)::tid
            RETURNING c.account_id, c.created_at, c.name, c.user_id, c.inbox_id, c.conversation_id,
                      c.value, c.value_bh, c.sign
        )
        INSERT INTO pgrollup_internal.reporting_batch
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT * FROM d;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_block := v_block + v_step;
        CONTINUE WHEN v_n = 0;
        -- changes that cannot be attributed to a rollup key are counted, not applied
        INSERT INTO pgrollup_internal.rows_set_aside AS s (module, reason, rows, first_seen, last_seen)
        SELECT 'reporting', x.reason, pg_catalog.count(*), pg_catalog.now(), pg_catalog.now()
          FROM (SELECT CASE WHEN b.account_id IS NULL THEN 'reporting_events.account_id is NULL'
                            ELSE 'reporting_events.created_at is NULL' END AS reason
                  FROM pgrollup_internal.reporting_batch AS b
                 WHERE (b.account_id IS NULL OR b.created_at IS NULL)
                   -- registered names only (on Citus the log holds every name)
                   AND b.name IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)) AS x
         GROUP BY x.reason
        ON CONFLICT (module, reason) DO UPDATE SET rows = s.rows + EXCLUDED.rows, last_seen = EXCLUDED.last_seen;
        PERFORM pgrollup_internal.reporting_apply();
        v_total := v_total + v_n;
    END LOOP;
    TRUNCATE pgrollup_internal.reporting_batch;
    RETURN v_total;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_refresh_log() IS 'Applies the change log to the rollups in batches of heap blocks (bounded memory, one transaction), sets aside changes without account_id or created_at (pgrollup_internal.rows_set_aside); returns the number of changes consumed (0 at once when the log is empty).';

CREATE FUNCTION pgrollup_internal.reporting_refresh_node() RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_shard  bigint;
    v_map    jsonb;
    v_total  bigint := 0;
BEGIN
    -- Run on every Citus node (by pgrollup_internal.reporting_refresh_citus, in one transaction
    -- per node): for each shard of the change log placed here, the single-node refresh and apply
    -- run as they are on that shard group's local shards (pgrollup_internal.citus_bind): a batch
    -- of the log's shard moves to a staging table, is applied to the colocated rollup shards and
    -- is gone; nothing leaves the node. Each shard's log is locked against a second refresh (SHARE
    -- UPDATE EXCLUSIVE: writers are not blocked), its staging shard against a restatement of one
    -- of its accounts (SHARE), even when the coordinator that started this refresh was cancelled
    -- and released the module lock. Returns the changes consumed and the rows set
    -- aside per reason, which the coordinator records.
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
    CREATE TEMP TABLE IF NOT EXISTS pgrollup_reporting_batch (
        account_id bigint, created_at timestamptz, name text, user_id bigint, inbox_id bigint,
        conversation_id bigint, value double precision, value_bh double precision, sign integer NOT NULL);
    CREATE TEMP TABLE IF NOT EXISTS pgrollup_rows_set_aside (
        module text, reason text, rows bigint, first_seen timestamptz, last_seen timestamptz,
        PRIMARY KEY (module, reason));
    TRUNCATE pg_temp.pgrollup_rows_set_aside;
    FOR v_shard IN
        EXECUTE $q$SELECT s.shardid FROM pg_catalog.pg_dist_shard AS s
                     JOIN pg_catalog.pg_dist_placement AS p ON p.shardid = s.shardid
                    WHERE s.logicalrelid = 'pgrollup_internal.reporting_changes'::pg_catalog.regclass
                      AND p.groupid = (SELECT g.groupid FROM pg_catalog.pg_dist_local_group AS g)
                    ORDER BY s.shardid$q$
    LOOP
        v_map := pgrollup_internal.citus_shard_map(v_shard);
        -- a restatement (backfill, zone change) of an account of this shard group deletes from its
        -- staging shard first: it waits for this transaction, and this one for it
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE MODE', v_map ->> 'pgrollup_internal.reporting_batch');
        v_map := v_map
                 || '{"pgrollup_internal.reporting_batch": "pg_temp.pgrollup_reporting_batch",
                      "pgrollup_internal.rows_set_aside": "pg_temp.pgrollup_rows_set_aside",
                      "pgrollup_internal.reporting_apply": "pg_temp.pgrollup_reporting_apply"}'::jsonb;
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE',
                                  v_map ->> 'pgrollup_internal.reporting_changes');
        PERFORM pgrollup_internal.citus_bind('pgrollup_internal.reporting_apply()'::regprocedure, v_map,
                                             'pgrollup_reporting_apply');
        PERFORM pgrollup_internal.citus_bind('pgrollup_internal.reporting_refresh_log()'::regprocedure, v_map,
                                             'pgrollup_reporting_refresh_log');
        v_total := v_total + pg_temp.pgrollup_reporting_refresh_log();
    END LOOP;
    RETURN pg_catalog.jsonb_build_object(
        'consumed', v_total,
        'set_aside', (SELECT COALESCE(pg_catalog.jsonb_object_agg(s.reason, s.rows), '{}'::jsonb)
                      FROM pg_temp.pgrollup_rows_set_aside AS s));
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.reporting_refresh_node() IS 'Citus: refreshes the reporting shards placed on this node (the single-node refresh bound to each shard group''s local shards, see pgrollup_internal.citus_bind); returns {"consumed": n, "set_aside": {reason: rows}}.';

CREATE FUNCTION pgrollup_internal.reporting_restate(p_account_id bigint, p_from date DEFAULT NULL::date, p_to date DEFAULT NULL::date) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET plan_cache_mode TO 'force_custom_plan'
    AS $$
DECLARE
    v_tz   text;
    v_lo   timestamptz;
    v_hi   timestamptz;
    v_from date := COALESCE(p_from, '-infinity'::date);
    v_to   date := COALESCE(p_to, 'infinity'::date);
    v_n    bigint;
    v_mfrom date;
    v_mto  date;
    v_citus boolean;
BEGIN
    -- Rebuilds the account's local days p_from..p_to (NULL = unbounded) from raw events with
    -- set-based statements. The caller holds the module lock (no refresh or other restatement
    -- runs) and runs in READ COMMITTED; writers are never waited for nor blocked. One statement
    -- reads the slice's raw events into the staging table and deletes the slice's change-log
    -- rows, with one snapshot: every change committed before it is counted from raw and its log
    -- row consumed, every later change (or one in progress) stays in the log for reads and the
    -- next refresh. The rest is rebuilt from the staged events, never from the source again.
    SELECT a.timezone INTO v_tz FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    -- On Citus the staging table is distributed: this account's rows only, as a single-shard
    -- statement, first of all. Its row lock on the account's staging shard waits for a node
    -- refresh still applying that shard group (pgrollup_internal.reporting_refresh_node holds a
    -- SHARE lock on it), for instance one whose coordinator was cancelled and released the module
    -- lock; a TRUNCATE would lock every shard and could deadlock with such a refresh.
    v_citus := pgrollup_internal.citus_placement('pgrollup_internal.reporting_batch'::regclass) IS NOT NULL;
    IF v_citus THEN
        DELETE FROM pgrollup_internal.reporting_batch AS b WHERE b.account_id = p_account_id;
    END IF;

    DELETE FROM pgrollup_internal.reporting_daily_rollups AS r
     WHERE r.account_id = p_account_id AND r.date >= v_from AND r.date <= v_to;
    DELETE FROM pgrollup_internal.reporting_handoffs AS h
     WHERE h.account_id = p_account_id AND h.date >= v_from AND h.date <= v_to;
    -- monthly totals of every month the range touches; rebuilt below from the new daily rows and
    -- the daily rows of those months outside the range
    v_mfrom := CASE WHEN p_from IS NULL THEN '-infinity'::date ELSE pg_catalog.date_trunc('month', p_from::timestamp)::date END;
    v_mto := CASE WHEN p_to IS NULL THEN 'infinity'::date
                  ELSE (pg_catalog.date_trunc('month', p_to::timestamp) + interval '1 month')::date END;
    DELETE FROM pgrollup_internal.reporting_monthly_rollups AS m
     WHERE m.account_id = p_account_id AND m.month >= v_mfrom AND m.month < v_mto;

    IF v_tz IS NULL THEN
        DELETE FROM pgrollup_internal.reporting_handoff_repeats AS r WHERE r.account_id = p_account_id;
        INSERT INTO pgrollup_internal.reporting_handoff_repeats
               (account_id, dimension_type, dimension_id, conversation_id, date, prev_date)
        SELECT x.account_id, x.dimension_type, x.dimension_id, x.conversation_id, x.date, x.prev_date
          FROM (SELECT h.account_id, h.dimension_type, h.dimension_id, h.conversation_id, h.date,
                       pg_catalog.lag(h.date) OVER (PARTITION BY h.dimension_type, h.dimension_id, h.conversation_id
                                                    ORDER BY h.date) AS prev_date
                  FROM pgrollup_internal.reporting_handoffs AS h
                 WHERE h.account_id = p_account_id) AS x
         WHERE x.prev_date IS NOT NULL;
        INSERT INTO pgrollup_internal.reporting_monthly_rollups
               (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT p_account_id, r.dimension_type, pg_catalog.date_trunc('month', r.date::timestamp)::date, r.dimension_id, r.metric,
               pg_catalog.sum(r.count)::bigint, pg_catalog.sum(r.sum_value), pg_catalog.sum(r.sum_value_business_hours)
          FROM pgrollup_internal.reporting_daily_rollups AS r
         WHERE r.account_id = p_account_id AND r.date >= v_mfrom AND r.date < v_mto
         GROUP BY 2, 3, 4, 5;
        -- without a zone the account's changes count toward nothing (rows without created_at
        -- stay for the refresh to set aside)
        DELETE FROM pgrollup_internal.reporting_changes AS c
         WHERE c.account_id = p_account_id AND c.created_at IS NOT NULL;
        RETURN 0;
    END IF;

    v_lo := CASE WHEN p_from IS NULL THEN '-infinity'::timestamptz ELSE pgrollup_internal.reporting_day_start(p_from, v_tz) END;
    v_hi := CASE WHEN p_to IS NULL THEN 'infinity'::timestamptz ELSE pgrollup_internal.reporting_day_start(p_to + 1, v_tz) END;

    IF NOT v_citus THEN   -- (on Citus, this account's rows were deleted above)
        TRUNCATE pgrollup_internal.reporting_batch;
    END IF;
    WITH consumed AS (
        DELETE FROM pgrollup_internal.reporting_changes AS c
         WHERE c.account_id = p_account_id AND c.created_at >= v_lo AND c.created_at < v_hi
           AND (c.created_at AT TIME ZONE v_tz)::date >= v_from AND (c.created_at AT TIME ZONE v_tz)::date <= v_to
    )
    INSERT INTO pgrollup_internal.reporting_batch
           (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
    SELECT p_account_id, x.ts, x.name, x.user_id, x.inbox_id, x.conversation_id, x.value, x.value_bh, 1
      FROM (SELECT pgrollup_internal.utc(e.created_at) AS ts, e.name::text AS name,
                   e.user_id::bigint AS user_id, e.inbox_id::bigint AS inbox_id,
                   e.conversation_id::bigint AS conversation_id, pgrollup_internal.to_value(e.value) AS value,
                   pgrollup_internal.to_value(e.value_in_business_hours) AS value_bh
              FROM "public".reporting_events AS e
             WHERE e.account_id = p_account_id
               AND e.name = ANY (ARRAY(SELECT m.event_name FROM pgrollup.event_metrics AS m))
               AND e.created_at >= v_lo AND e.created_at < v_hi) AS x
     WHERE (x.ts AT TIME ZONE v_tz)::date >= v_from AND (x.ts AT TIME ZONE v_tz)::date <= v_to;

    INSERT INTO pgrollup_internal.reporting_handoffs (account_id, date, dimension_type, dimension_id, conversation_id, events)
    SELECT p_account_id, x.date, d.t, d.id, x.conversation_id, pg_catalog.count(*)
      FROM (SELECT (b.created_at AT TIME ZONE v_tz)::date AS date, b.user_id, b.inbox_id, b.conversation_id
              FROM pgrollup_internal.reporting_batch AS b
             WHERE b.account_id = p_account_id   -- the batch holds this account only (the filter routes it on Citus)
               AND b.name = ANY (ARRAY(SELECT m.event_name FROM pgrollup.event_metrics AS m
                                        WHERE m.rollup_metric = 'bot_handoffs_count'))
               AND b.conversation_id IS NOT NULL) AS x
     CROSS JOIN LATERAL (VALUES ('account'::text, p_account_id), ('agent'::text, x.user_id), ('inbox'::text, x.inbox_id)) AS d(t, id)
     WHERE d.id IS NOT NULL
     GROUP BY x.date, d.t, d.id, x.conversation_id;

    -- the account's handoff repeats, from its rebuilt presence rows
    DELETE FROM pgrollup_internal.reporting_handoff_repeats AS r WHERE r.account_id = p_account_id;
    INSERT INTO pgrollup_internal.reporting_handoff_repeats
           (account_id, dimension_type, dimension_id, conversation_id, date, prev_date)
    SELECT x.account_id, x.dimension_type, x.dimension_id, x.conversation_id, x.date, x.prev_date
      FROM (SELECT h.account_id, h.dimension_type, h.dimension_id, h.conversation_id, h.date,
                   pg_catalog.lag(h.date) OVER (PARTITION BY h.dimension_type, h.dimension_id, h.conversation_id
                                                ORDER BY h.date) AS prev_date
              FROM pgrollup_internal.reporting_handoffs AS h
             WHERE h.account_id = p_account_id) AS x
     WHERE x.prev_date IS NOT NULL;

    WITH ins AS (
    INSERT INTO pgrollup_internal.reporting_daily_rollups
           (account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours)
    SELECT p_account_id, y.date, y.t, y.id, y.metric, pg_catalog.sum(y.c)::bigint, pg_catalog.sum(y.v), pg_catalog.sum(y.b)
      FROM (SELECT x.date, d.t, d.id, m.rollup_metric AS metric, 1 AS c,
                   CASE WHEN m.payload_kind = 'duration' THEN COALESCE(x.value, 0) ELSE 0 END AS v,
                   CASE WHEN m.payload_kind = 'duration' THEN COALESCE(x.value_bh, 0) ELSE 0 END AS b
              FROM (SELECT (b.created_at AT TIME ZONE v_tz)::date AS date, b.name, b.user_id, b.inbox_id,
                           b.value, b.value_bh
                      FROM pgrollup_internal.reporting_batch AS b
                     WHERE b.account_id = p_account_id) AS x
              JOIN pgrollup.event_metrics AS m ON m.event_name = x.name AND m.rollup_metric <> 'bot_handoffs_count'
             CROSS JOIN LATERAL (VALUES ('account'::text, p_account_id), ('agent'::text, x.user_id), ('inbox'::text, x.inbox_id)) AS d(t, id)
             WHERE d.id IS NOT NULL
            UNION ALL
            SELECT h.date, h.dimension_type, h.dimension_id, 'bot_handoffs_count', 1, 0, 0
              FROM pgrollup_internal.reporting_handoffs AS h
             WHERE h.account_id = p_account_id AND h.date >= v_from AND h.date <= v_to) AS y
     GROUP BY y.date, y.t, y.id, y.metric
    RETURNING date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours
    ), mon AS (
        -- the statement's snapshot does not see ins's rows: the rest of the touched months is read
        -- from the daily rows outside the range, which the DELETE above left in place
        INSERT INTO pgrollup_internal.reporting_monthly_rollups
               (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT p_account_id, z.dimension_type, pg_catalog.date_trunc('month', z.date::timestamp)::date, z.dimension_id, z.metric,
               pg_catalog.sum(z.count)::bigint, pg_catalog.sum(z.sum_value), pg_catalog.sum(z.sum_value_business_hours)
          FROM (SELECT ins.date, ins.dimension_type, ins.dimension_id, ins.metric, ins.count, ins.sum_value,
                       ins.sum_value_business_hours
                  FROM ins
                UNION ALL
                SELECT r.date, r.dimension_type, r.dimension_id, r.metric, r.count, r.sum_value, r.sum_value_business_hours
                  FROM pgrollup_internal.reporting_daily_rollups AS r
                 WHERE r.account_id = p_account_id
                   AND ((r.date >= v_mfrom AND r.date < v_from) OR (r.date > v_to AND r.date < v_mto))) AS z
         GROUP BY 2, 3, 4, 5
    )
    SELECT pg_catalog.count(*) INTO v_n FROM ins;
    IF v_citus THEN
        DELETE FROM pgrollup_internal.reporting_batch AS b WHERE b.account_id = p_account_id;
    ELSE
        TRUNCATE pgrollup_internal.reporting_batch;
    END IF;
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_restate(p_account_id bigint, p_from date, p_to date) IS 'Rebuilds an account''s rollup rows, monthly totals, handoff presence and repeats for local days p_from..p_to (NULL = unbounded) from raw events read in one snapshot with the consumption of the slice''s change-log rows (writers never wait); callers hold the module lock. Returns the rollup rows written.';

CREATE FUNCTION pgrollup_internal.reporting_restate_slices(p_slices jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_slice record;
    v_n bigint := 0;
BEGIN
    FOR v_slice IN
        SELECT a.account_id, NULL::date AS d_from, NULL::date AS d_to
          FROM pgrollup_internal.reporting_accounts AS a
         WHERE p_slices IS NULL AND a.timezone IS NOT NULL
        UNION ALL
        SELECT (s.value ->> 'key')::bigint, (s.value ->> 'from')::date, (s.value ->> 'to')::date
          FROM pg_catalog.jsonb_array_elements(COALESCE(p_slices, '[]'::jsonb)) AS s(value)
         WHERE EXISTS (SELECT 1 FROM pgrollup_internal.reporting_accounts AS a
                        WHERE a.account_id = (s.value ->> 'key')::bigint AND a.timezone IS NOT NULL)
        ORDER BY 1, 2
    LOOP
        v_n := v_n + pgrollup.backfill_reporting(v_slice.account_id, v_slice.d_from, v_slice.d_to);
    END LOOP;
    RETURN v_n;
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.reporting_restate_slices(p_slices jsonb) IS 'reporting restate hook: rebuilds the listed accounts'' local days ({"key": account_id, "from", "to"}; NULL: every account with a zone, all days) with pgrollup.backfill_reporting; returns the rollup rows written.';

CREATE FUNCTION pgrollup_internal.restate_slices(p_module text, p_slices jsonb) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_fn regprocedure;
    v_n  bigint;
BEGIN
    SELECT pg_catalog.to_regprocedure(m.restate_function || '(jsonb)') INTO v_fn
      FROM pgrollup_internal.modules AS m WHERE m.module = p_module;
    IF v_fn IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE pg_catalog.format('SELECT %s($1)', v_fn::oid::regproc) INTO v_n USING p_slices;
    -- everything restated from source with no column drift left: statements whose capture was
    -- skipped are accounted for, so their record goes
    IF p_slices IS NULL AND NOT EXISTS (
           SELECT 1
             FROM pgrollup_internal.modules AS m
             JOIN pgrollup_internal.source_columns AS c ON c.module = m.module
            WHERE m.module = p_module
              AND pgrollup_internal.source_drift(p_module, c.table_name,
                      pg_catalog.to_regclass(pg_catalog.format('%I.%I', m.source_schema, c.table_name))::oid) IS NOT NULL) THEN
        DELETE FROM pgrollup_internal.capture_failures AS f WHERE f.module = p_module;
    END IF;
    RETURN COALESCE(v_n, 0);
END;
$_$;

COMMENT ON FUNCTION pgrollup_internal.restate_slices(p_module text, p_slices jsonb) IS 'Calls a module''s restate hook for some slices (NULL: everything, after which the module''s capture failures are cleared when no column drift is left); 0 when the module has none.';

CREATE FUNCTION pgrollup_internal.source_drift(p_module text, p_table text, p_relid oid) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_rel   text;
    v_cols  jsonb := '{}'::jsonb;
    v_names text[];
    v_types oid[];
BEGIN
    -- (has_table_privilege is NULL for a relation that does not exist, without an error)
    IF p_relid IS NOT NULL AND pg_catalog.has_table_privilege(p_relid, 'SELECT') IS NOT NULL THEN
        v_rel := p_relid::regclass::text;
        EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(r) FROM (SELECT (NULL::%s).*) AS r', v_rel)
           INTO v_cols;
    END IF;
    v_names := ARRAY(SELECT c.column_name FROM pgrollup_internal.source_columns AS c
                      WHERE c.module = p_module AND c.table_name = p_table AND v_cols ? c.column_name
                      ORDER BY c.column_name);
    IF pg_catalog.cardinality(v_names) > 0 THEN
        EXECUTE pg_catalog.format('SELECT ARRAY[%s]::pg_catalog.oid[] FROM (SELECT (NULL::%s).*) AS r',
                                  (SELECT pg_catalog.string_agg(pg_catalog.format('pg_catalog.pg_typeof(r.%I)::pg_catalog.oid', u.n), ', ' ORDER BY u.i)
                                     FROM pg_catalog.unnest(v_names) WITH ORDINALITY AS u(n, i)),
                                  v_rel)
           INTO v_types;
    END IF;
    RETURN (
        SELECT pg_catalog.string_agg(x.problem, '; ' ORDER BY x.column_name)
          FROM (SELECT c.column_name,
                       CASE WHEN t.typ IS NULL
                            THEN pg_catalog.format('column %s.%s is missing (renamed or dropped)',
                                                   COALESCE(v_rel, p_relid::regclass::text), c.column_name)
                            WHEN NOT pgrollup_internal.kind_accepts(c.kind, t.typ)
                            THEN pg_catalog.format('column %s.%s has type %s, expected %s', v_rel, c.column_name,
                                                   pg_catalog.format_type(t.typ, NULL), c.kind) END AS problem
                  FROM pgrollup_internal.source_columns AS c
                  LEFT JOIN ROWS FROM (pg_catalog.unnest(v_names), pg_catalog.unnest(v_types)) AS t(name, typ) ON t.name = c.column_name
                 WHERE c.module = p_module AND c.table_name = p_table) AS x
         WHERE x.problem IS NOT NULL);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.source_drift(p_module text, p_table text, p_relid oid) IS 'Column drift of one source table or partition, from its row type as the server knows it now (not through the query''s snapshot): NULL when every column a module reads (pgrollup_internal.source_columns) exists with an accepted type, else the problems in one line.';

CREATE FUNCTION pgrollup_internal.source_inherits_from(p_rel oid, p_root oid) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- Whether relation p_rel is below p_root in an inheritance tree (an inheritance child at any
    -- depth, or a partition), walking up pg_inherits from p_rel. The capture triggers' way to take
    -- their fast path on the children of a source table partitioned by inheritance, whose
    -- inherited columns are the table's, which no ALTER TABLE of the child alone can rename, drop or
    -- retype. PL/pgSQL so the query is planned once per session (a SQL function was planned at
    -- every statement). pg_inherits is read through the query's snapshot, which at READ COMMITTED
    -- follows the statement's lock; at REPEATABLE READ and SERIALIZABLE it may predate a NO
    -- INHERIT, so there the answer is false and the trigger takes the full check.
    IF pg_catalog.current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
        RETURN false;
    END IF;
    RETURN EXISTS (
        WITH RECURSIVE up (relid, depth) AS (
            SELECT p_rel, 0
            UNION ALL
            SELECT i.inhparent, u.depth + 1
              FROM up AS u
              JOIN pg_catalog.pg_inherits AS i ON i.inhrelid = u.relid
             WHERE u.depth < 64 AND u.relid <> p_root
        )
        SELECT 1 FROM up WHERE up.relid = p_root AND up.depth > 0);
END;
$$;

COMMENT ON FUNCTION pgrollup_internal.source_inherits_from(p_rel oid, p_root oid) IS 'Whether a relation is below a source table in its inheritance tree (child at any depth, or partition), at READ COMMITTED only (false otherwise: pg_inherits is read through the query''s snapshot); lets the capture triggers take their fast path on inheritance children.';

CREATE FUNCTION pgrollup_internal.source_tree(p_root regclass) RETURNS TABLE(relid regclass, level integer, isleaf boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
WITH RECURSIVE tree (relid, level) AS (
    SELECT p_root::oid, 0
    UNION
    SELECT i.inhrelid, t.level + 1
      FROM tree AS t
      JOIN pg_catalog.pg_inherits AS i ON i.inhparent = t.relid
     WHERE t.level < 64
)
SELECT m.relid::regclass, m.level,
       NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits AS i WHERE i.inhparent = m.relid)
  FROM (SELECT t.relid, pg_catalog.min(t.level) AS level FROM tree AS t GROUP BY t.relid) AS m
 WHERE p_root IS NOT NULL
 ORDER BY m.level, m.relid;
$$;

COMMENT ON FUNCTION pgrollup_internal.source_tree(p_root regclass) IS 'A source table (level 0) and every table below it at any depth, partitions and inheritance children alike (pg_inherits), each once at its shallowest level, with whether it has none below it; what capture covers.';

CREATE FUNCTION pgrollup_internal.to_value(p_value double precision) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN p_value;

COMMENT ON FUNCTION pgrollup_internal.to_value(p_value double precision) IS 'A source value as double precision: the identity (integer and real columns resolve to this overload).';

CREATE FUNCTION pgrollup_internal.to_value(p_value numeric) RETURNS double precision
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN (p_value = 'NaN'::numeric) THEN 'NaN'::double precision WHEN (abs(p_value) >= '179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'::numeric) THEN CASE WHEN (p_value > (0)::numeric) THEN 'Infinity'::double precision ELSE '-Infinity'::double precision END WHEN (abs(p_value) < 0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001) THEN (0)::double precision ELSE (p_value)::double precision END;

COMMENT ON FUNCTION pgrollup_internal.to_value(p_value numeric) IS 'A numeric source value as double precision without an error: beyond double precision''s range +/-Infinity, too close to zero 0.';

CREATE FUNCTION pgrollup_internal.utc(p_ts timestamp without time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN timezone('UTC'::text, p_ts);

COMMENT ON FUNCTION pgrollup_internal.utc(p_ts timestamp without time zone) IS 'Reads a timestamp without time zone as UTC and returns it as timestamptz.';

CREATE FUNCTION pgrollup_internal.utc(p_ts timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN p_ts;

COMMENT ON FUNCTION pgrollup_internal.utc(p_ts timestamp with time zone) IS 'Identity for timestamptz source columns (overload of utc(timestamp)).';

CREATE TABLE pgrollup_internal.access_roles (
    role_kind text NOT NULL,
    role_name name NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT access_roles_role_kind_check CHECK ((role_kind = ANY (ARRAY['reader'::text, 'admin'::text])))
);

COMMENT ON TABLE pgrollup_internal.access_roles IS 'The reader and admin roles of this database, written by pgrollup install once each role exists and carries pgrollup''s marker for this database (COMMENT ON ROLE); read through pgrollup.access_roles.';

COMMENT ON COLUMN pgrollup_internal.access_roles.role_kind IS 'reader (views and read functions) or admin (refresh, backfill, settings; also a reader).';

COMMENT ON COLUMN pgrollup_internal.access_roles.role_name IS 'Name of the role.';

COMMENT ON COLUMN pgrollup_internal.access_roles.recorded_at IS 'When install recorded the role.';

CREATE VIEW pgrollup.access_roles AS
 SELECT a.role_kind,
    a.role_name
   FROM pgrollup_internal.access_roles a
  WHERE (EXISTS ( SELECT 1
           FROM pg_roles r
          WHERE (r.rolname = a.role_name)));

COMMENT ON VIEW pgrollup.access_roles IS 'The roles that give access to pgrollup in THIS database: GRANT the reader role to BI users, the admin role to operators. Membership gives nothing in any other database of the cluster (each database has its own pair).';

COMMENT ON COLUMN pgrollup.access_roles.role_kind IS 'reader: views and read functions; admin: refresh, backfill and settings (and everything the reader may).';

COMMENT ON COLUMN pgrollup.access_roles.role_name IS 'Name of the role (GRANT it to a login role).';

CREATE TABLE pgrollup.alert_thresholds (
    module text NOT NULL,
    staleness_warning interval NOT NULL,
    staleness_critical interval NOT NULL,
    duration_warning interval NOT NULL,
    duration_critical interval NOT NULL,
    failures_warning integer NOT NULL,
    failures_critical integer NOT NULL,
    CONSTRAINT alert_thresholds_check CHECK ((staleness_warning <= staleness_critical)),
    CONSTRAINT alert_thresholds_check1 CHECK ((duration_warning <= duration_critical)),
    CONSTRAINT alert_thresholds_check2 CHECK ((failures_warning <= failures_critical))
);

COMMENT ON TABLE pgrollup.alert_thresholds IS 'Alert thresholds used by pgrollup.rollup_health; the row for module ''*'' is the default for modules without a row of their own. Edit with UPDATE/INSERT.';

COMMENT ON COLUMN pgrollup.alert_thresholds.module IS 'Module name, or * for the default.';

COMMENT ON COLUMN pgrollup.alert_thresholds.staleness_warning IS 'Staleness at or above which the module is in warning.';

COMMENT ON COLUMN pgrollup.alert_thresholds.staleness_critical IS 'Staleness at or above which the module is critical.';

COMMENT ON COLUMN pgrollup.alert_thresholds.duration_warning IS 'Last successful refresh duration at or above which the module is in warning.';

COMMENT ON COLUMN pgrollup.alert_thresholds.duration_critical IS 'Last successful refresh duration at or above which the module is critical.';

COMMENT ON COLUMN pgrollup.alert_thresholds.failures_warning IS 'Failed refreshes in the last 24 hours at or above which the module is in warning.';

COMMENT ON COLUMN pgrollup.alert_thresholds.failures_critical IS 'Failed refreshes in the last 24 hours at or above which the module is critical.';

CREATE TABLE pgrollup.event_metrics (
    event_name text NOT NULL,
    rollup_metric text NOT NULL,
    payload_kind text NOT NULL,
    CONSTRAINT event_metrics_payload_kind_check CHECK ((payload_kind = ANY (ARRAY['count'::text, 'duration'::text])))
);

COMMENT ON TABLE pgrollup.event_metrics IS 'Registry mapping reporting_events.name to rollup metrics: the single source of truth of the write path, the backfill and both read paths. After editing it, run pgrollup.backfill_reporting() for each account to restate history.';

COMMENT ON COLUMN pgrollup.event_metrics.event_name IS 'Value of reporting_events.name; events whose name is not listed count toward nothing.';

COMMENT ON COLUMN pgrollup.event_metrics.rollup_metric IS 'Rollup metric the event feeds (reporting_events_rollups.metric). bot_handoffs_count counts distinct conversations.';

COMMENT ON COLUMN pgrollup.event_metrics.payload_kind IS 'count (sum_value stays 0) or duration (sum_value adds coalesce(value, 0), sum_value_business_hours adds coalesce(value_in_business_hours, 0)).';

CREATE TABLE pgrollup.message_event_metrics (
    event_type text NOT NULL,
    metric text NOT NULL,
    CONSTRAINT message_event_metrics_metric_check CHECK ((metric = ANY (ARRAY['delivered'::text, 'opens'::text, 'clicks'::text, 'bounces'::text, 'unsubscribes'::text])))
);

COMMENT ON TABLE pgrollup.message_event_metrics IS 'Maps raw message_events.event_type values to the metrics delivered, opens, clicks, bounces and unsubscribes; unmapped types count toward nothing. After editing it, run pgrollup.backfill_messaging() to restate history.';

COMMENT ON COLUMN pgrollup.message_event_metrics.event_type IS 'Raw event_type value as written by the application (exact, case-sensitive match).';

COMMENT ON COLUMN pgrollup.message_event_metrics.metric IS 'Metric the event counts toward: delivered, opens, clicks, bounces or unsubscribes.';

CREATE TABLE pgrollup_internal.msg_state (
    message_id bigint NOT NULL,
    tenant_id bigint NOT NULL,
    campaign_id bigint,
    contact_id bigint NOT NULL,
    channel text NOT NULL,
    sent_at timestamp with time zone,
    timezone text NOT NULL,
    delivered bigint NOT NULL,
    opens bigint NOT NULL,
    clicks bigint NOT NULL,
    bounces bigint NOT NULL,
    unsubscribes bigint NOT NULL,
    first_opened_at timestamp with time zone,
    first_clicked_at timestamp with time zone
);

COMMENT ON TABLE pgrollup_internal.msg_state IS 'messaging: one row per existing message as of the last refresh: its dimensions, the zone its buckets were computed in, and its event counts.';

COMMENT ON COLUMN pgrollup_internal.msg_state.message_id IS 'outbound_messages.id.';

COMMENT ON COLUMN pgrollup_internal.msg_state.tenant_id IS 'Tenant of the message.';

COMMENT ON COLUMN pgrollup_internal.msg_state.campaign_id IS 'Campaign of the message (NULL: none).';

COMMENT ON COLUMN pgrollup_internal.msg_state.contact_id IS 'Contact of the message.';

COMMENT ON COLUMN pgrollup_internal.msg_state.channel IS 'Channel of the message.';

COMMENT ON COLUMN pgrollup_internal.msg_state.sent_at IS 'When the message was sent (NULL: not yet).';

COMMENT ON COLUMN pgrollup_internal.msg_state.timezone IS 'Tenant zone the message''s buckets (msg_contrib) were computed in.';

COMMENT ON COLUMN pgrollup_internal.msg_state.delivered IS 'Mapped delivered events.';

COMMENT ON COLUMN pgrollup_internal.msg_state.opens IS 'Mapped open events.';

COMMENT ON COLUMN pgrollup_internal.msg_state.clicks IS 'Mapped click events.';

COMMENT ON COLUMN pgrollup_internal.msg_state.bounces IS 'Mapped bounce events.';

COMMENT ON COLUMN pgrollup_internal.msg_state.unsubscribes IS 'Mapped unsubscribe events.';

COMMENT ON COLUMN pgrollup_internal.msg_state.first_opened_at IS 'Earliest open (where unique_opens counts).';

COMMENT ON COLUMN pgrollup_internal.msg_state.first_clicked_at IS 'Earliest click (where unique_clicks counts).';

CREATE VIEW pgrollup_internal.msg_inc_message AS
 SELECT s.message_id,
    s.tenant_id,
    s.campaign_id,
    s.contact_id,
    s.channel,
    s.sent_at,
    s.delivered,
    s.opens,
    s.clicks,
    s.bounces,
    s.unsubscribes,
    s.first_opened_at,
    s.first_clicked_at
   FROM pgrollup_internal.msg_state s;

COMMENT ON VIEW pgrollup_internal.msg_inc_message IS 'messaging incremental mode: per-message state in the public column order.';

CREATE VIEW pgrollup_internal.msg_route_message AS
 SELECT msg_inc_message.message_id,
    msg_inc_message.tenant_id,
    msg_inc_message.campaign_id,
    msg_inc_message.contact_id,
    msg_inc_message.channel,
    msg_inc_message.sent_at,
    msg_inc_message.delivered,
    msg_inc_message.opens,
    msg_inc_message.clicks,
    msg_inc_message.bounces,
    msg_inc_message.unsubscribes,
    msg_inc_message.first_opened_at,
    msg_inc_message.first_clicked_at
   FROM pgrollup_internal.msg_inc_message;

COMMENT ON VIEW pgrollup_internal.msg_route_message IS 'Router behind pgrollup.metrics_message: the per-message state or the materialized view, per messaging mode.';

CREATE VIEW pgrollup.metrics_message AS
 SELECT r.message_id,
    r.tenant_id,
    r.campaign_id,
    r.contact_id,
    r.channel,
    r.sent_at,
    r.delivered,
    r.opens,
    r.clicks,
    r.bounces,
    r.unsubscribes,
    r.first_opened_at,
    r.first_clicked_at
   FROM pgrollup_internal.msg_route_message r;

COMMENT ON VIEW pgrollup.metrics_message IS 'One row per existing outbound message with its counts over all its mapped events and its first open and click. Current as of the last pgrollup.refresh(''messaging'').';

COMMENT ON COLUMN pgrollup.metrics_message.message_id IS 'outbound_messages.id.';

COMMENT ON COLUMN pgrollup.metrics_message.tenant_id IS 'Tenant of the message.';

COMMENT ON COLUMN pgrollup.metrics_message.campaign_id IS 'Campaign of the message, NULL when none.';

COMMENT ON COLUMN pgrollup.metrics_message.contact_id IS 'Contact the message was sent to.';

COMMENT ON COLUMN pgrollup.metrics_message.channel IS 'Channel of the message.';

COMMENT ON COLUMN pgrollup.metrics_message.sent_at IS 'When the message was sent (UTC instant), NULL while unsent.';

COMMENT ON COLUMN pgrollup.metrics_message.delivered IS 'Delivered events of the message.';

COMMENT ON COLUMN pgrollup.metrics_message.opens IS 'Open events of the message (all of them).';

COMMENT ON COLUMN pgrollup.metrics_message.clicks IS 'Click events of the message (all of them).';

COMMENT ON COLUMN pgrollup.metrics_message.bounces IS 'Bounce events of the message.';

COMMENT ON COLUMN pgrollup.metrics_message.unsubscribes IS 'Unsubscribe events of the message.';

COMMENT ON COLUMN pgrollup.metrics_message.first_opened_at IS 'Earliest occurred_at among the message''s open events, NULL when never opened.';

COMMENT ON COLUMN pgrollup.metrics_message.first_clicked_at IS 'Earliest occurred_at among the message''s click events, NULL when never clicked.';

CREATE TABLE pgrollup_internal.refresh_runs (
    run_id bigint NOT NULL,
    module text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    status text NOT NULL,
    changes_applied bigint DEFAULT 0 NOT NULL,
    error text,
    pid integer,
    CONSTRAINT refresh_runs_status_check CHECK ((status = ANY (ARRAY['ok'::text, 'failed'::text, 'running'::text, 'cancelled'::text])))
);

COMMENT ON TABLE pgrollup_internal.refresh_runs IS 'One row per refresh attempt of a module (ok, failed, running or cancelled); read it through pgrollup.refresh_runs.';

COMMENT ON COLUMN pgrollup_internal.refresh_runs.run_id IS 'Run number, increasing.';

COMMENT ON COLUMN pgrollup_internal.refresh_runs.module IS 'Module refreshed.';

COMMENT ON COLUMN pgrollup_internal.refresh_runs.started_at IS 'Wall-clock start: when the attempt was recorded (run_refresh) or when the module lock was taken (refresh).';

COMMENT ON COLUMN pgrollup_internal.refresh_runs.finished_at IS 'Wall-clock end; NULL while running and for an attempt that did not finish.';

COMMENT ON COLUMN pgrollup_internal.refresh_runs.status IS 'ok, failed, running (recorded before the work; in progress, or cancelled and not yet seen by a later refresh) or cancelled (did not finish: statement_timeout, lock_timeout, a client cancel or the end of its session).';

COMMENT ON COLUMN pgrollup_internal.refresh_runs.changes_applied IS 'Changes the run applied (0 for a failed run: its work was rolled back).';

COMMENT ON COLUMN pgrollup_internal.refresh_runs.error IS 'SQLSTATE and message of a failed run; why a cancelled attempt did not finish.';

COMMENT ON COLUMN pgrollup_internal.refresh_runs.pid IS 'Backend that made the attempt (tells a running attempt from a cancelled one).';

CREATE VIEW pgrollup.refresh_runs AS
 SELECT r.run_id,
    r.module,
    r.started_at,
    r.finished_at,
    (r.finished_at - r.started_at) AS duration,
    r.status,
    r.changes_applied,
    r.error
   FROM pgrollup_internal.refresh_runs r;

COMMENT ON VIEW pgrollup.refresh_runs IS 'Every refresh attempt per module (ok, failed, running or cancelled), newest last (pruned after the refresh_runs_retention setting, default 30 days). An attempt cancelled by statement_timeout, lock_timeout or a client is recorded: by pgrollup.run_refresh (pg_cron, pgrollup refresh) before its work, and for a direct pgrollup.refresh() by the next refresh.';

COMMENT ON COLUMN pgrollup.refresh_runs.run_id IS 'Run number, increasing.';

COMMENT ON COLUMN pgrollup.refresh_runs.module IS 'Module refreshed.';

COMMENT ON COLUMN pgrollup.refresh_runs.started_at IS 'Start (after the module lock was taken; for an attempt that did not finish, when it was recorded or traced).';

COMMENT ON COLUMN pgrollup.refresh_runs.finished_at IS 'End; NULL while running and for an attempt that did not finish.';

COMMENT ON COLUMN pgrollup.refresh_runs.duration IS 'finished_at - started_at (NULL when unfinished).';

COMMENT ON COLUMN pgrollup.refresh_runs.status IS 'ok; failed (its work rolled back); running (on record before its work: in progress, or cancelled and not yet seen by a later refresh); cancelled (did not finish: statement_timeout, lock_timeout, a client cancel or the end of its session).';

COMMENT ON COLUMN pgrollup.refresh_runs.changes_applied IS 'Changes applied by the run (0 when it failed: its work was rolled back).';

COMMENT ON COLUMN pgrollup.refresh_runs.error IS 'SQLSTATE and message of a failed run, why a cancelled attempt did not finish, else NULL.';

CREATE TABLE pgrollup_internal.reporting_accounts (
    account_id bigint NOT NULL,
    timezone text,
    rollup_reads boolean DEFAULT false NOT NULL,
    restated_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE pgrollup_internal.reporting_accounts IS 'Reporting settings per account (set with pgrollup.set_reporting_timezone and pgrollup.set_rollup_reads); accounts without a row have no timezone and reads off.';

COMMENT ON COLUMN pgrollup_internal.reporting_accounts.account_id IS 'reporting_events.account_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_accounts.timezone IS 'Canonical IANA reporting timezone; NULL = no rollups for the account.';

COMMENT ON COLUMN pgrollup_internal.reporting_accounts.rollup_reads IS 'Read-path flag: report functions may use rollups (default off). Writes do not depend on it.';

COMMENT ON COLUMN pgrollup_internal.reporting_accounts.restated_at IS 'When the account''s rollups were last rebuilt in full (timezone set or changed).';

COMMENT ON COLUMN pgrollup_internal.reporting_accounts.updated_at IS 'When the settings last changed.';

CREATE TABLE pgrollup_internal.reporting_changes (
    captured_at timestamp with time zone DEFAULT now() NOT NULL,
    account_id bigint,
    created_at timestamp with time zone,
    name text,
    user_id bigint,
    inbox_id bigint,
    conversation_id bigint,
    value double precision,
    value_bh double precision,
    sign integer NOT NULL
)
WITH (autovacuum_vacuum_threshold='10000', autovacuum_vacuum_scale_factor='0', autovacuum_vacuum_insert_threshold='100000', autovacuum_vacuum_insert_scale_factor='0');

COMMENT ON TABLE pgrollup_internal.reporting_changes IS 'Change log of reporting_events: append-only signed rows written by the capture trigger, +1 for every inserted event whatever its name, -1/+1 for updated and deleted events of registered names (no index, no sequence: a writer pays one heap row per event). The refresh, the reads and restatements count registered names only. Reads fold the rows not applied yet into the applied rollups; pgrollup.refresh(''reporting'') applies them in batches and removes them; backfills consume the rows of the slice they rebuild.';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.captured_at IS 'Start of the writing transaction.';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.account_id IS 'reporting_events.account_id (NULL: set aside by the refresh).';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.created_at IS 'reporting_events.created_at as timestamptz (NULL: set aside by the refresh).';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.name IS 'reporting_events.name (inserts: any name; updates and deletes: a registered name).';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.user_id IS 'reporting_events.user_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.inbox_id IS 'reporting_events.inbox_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.conversation_id IS 'reporting_events.conversation_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.value IS 'reporting_events.value.';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.value_bh IS 'reporting_events.value_in_business_hours.';

COMMENT ON COLUMN pgrollup_internal.reporting_changes.sign IS '+1 the event row now exists in this form, -1 it no longer does.';

CREATE TABLE pgrollup_internal.reporting_daily_rollups (
    account_id bigint NOT NULL,
    date date NOT NULL,
    dimension_type text NOT NULL,
    dimension_id bigint NOT NULL,
    metric text NOT NULL,
    count bigint NOT NULL,
    sum_value double precision DEFAULT 0 NOT NULL,
    sum_value_business_hours double precision DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT reporting_events_rollups_dimension_type_check CHECK ((dimension_type = ANY (ARRAY['account'::text, 'agent'::text, 'inbox'::text])))
);

COMMENT ON TABLE pgrollup_internal.reporting_daily_rollups IS 'Applied daily totals of reporting_events per account, local date, dimension and metric, as of the last refresh or backfill; pgrollup.reporting_events_rollups adds the change log not applied yet. Rows with count 0 do not exist.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.account_id IS 'reporting_events.account_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.date IS 'Local date of created_at (UTC) in the account''s reporting timezone.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.dimension_type IS 'account, agent (reporting_events.user_id) or inbox (reporting_events.inbox_id).';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.dimension_id IS 'The account id, user id or inbox id.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.metric IS 'Rollup metric from pgrollup.event_metrics.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.count IS 'Number of events; for bot_handoffs_count the number of distinct non-NULL conversation_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.sum_value IS 'Sum of coalesce(value, 0) for duration metrics, 0 for count metrics.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.sum_value_business_hours IS 'Sum of coalesce(value_in_business_hours, 0) for duration metrics, 0 for count metrics.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.created_at IS 'When the row was first written.';

COMMENT ON COLUMN pgrollup_internal.reporting_daily_rollups.updated_at IS 'When the row was last changed.';

CREATE TABLE pgrollup_internal.reporting_handoffs (
    account_id bigint NOT NULL,
    date date NOT NULL,
    dimension_type text NOT NULL,
    dimension_id bigint NOT NULL,
    conversation_id bigint NOT NULL,
    events bigint NOT NULL
);

COMMENT ON TABLE pgrollup_internal.reporting_handoffs IS 'Presence of bot handoffs per account, local date, dimension and conversation: the rollup''s bot_handoffs_count is the number of rows per key, and reads over several days count distinct conversations here.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.account_id IS 'reporting_events.account_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.date IS 'Local date in the account''s reporting timezone.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.dimension_type IS 'account, agent or inbox.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.dimension_id IS 'The account id, user id or inbox id.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.conversation_id IS 'reporting_events.conversation_id (handoffs without a conversation count toward nothing).';

COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.events IS 'Number of handoff events behind the row (the row is removed when it reaches 0).';

CREATE VIEW pgrollup.reporting_events_rollups AS
 WITH tail AS NOT MATERIALIZED (
         SELECT c.account_id,
            ((c.created_at AT TIME ZONE a.timezone))::date AS date,
            d.t AS dimension_type,
            d.id AS dimension_id,
            m.rollup_metric AS metric,
            c.conversation_id,
            (c.sign)::bigint AS sign,
                CASE
                    WHEN (m.payload_kind = 'duration'::text) THEN ((c.sign)::double precision * COALESCE(c.value, (0)::double precision))
                    ELSE (0)::double precision
                END AS dv,
                CASE
                    WHEN (m.payload_kind = 'duration'::text) THEN ((c.sign)::double precision * COALESCE(c.value_bh, (0)::double precision))
                    ELSE (0)::double precision
                END AS db,
            c.captured_at
           FROM (((pgrollup_internal.reporting_changes c
             JOIN pgrollup_internal.reporting_accounts a ON (((a.account_id = c.account_id) AND (a.timezone IS NOT NULL))))
             JOIN pgrollup.event_metrics m ON ((m.event_name = c.name)))
             CROSS JOIN LATERAL ( VALUES ('account'::text,c.account_id), ('agent'::text,c.user_id), ('inbox'::text,c.inbox_id)) d(t, id))
          WHERE ((c.created_at IS NOT NULL) AND (d.id IS NOT NULL) AND ((m.rollup_metric <> 'bot_handoffs_count'::text) OR (c.conversation_id IS NOT NULL)))
        )
 SELECT s.account_id,
    s.date,
    s.dimension_type,
    s.dimension_id,
    s.metric,
    s.count,
    s.sum_value,
    s.sum_value_business_hours,
    s.created_at,
    s.updated_at
   FROM ( SELECT u.account_id,
            u.date,
            u.dimension_type,
            u.dimension_id,
            u.metric,
            (sum(u.count))::bigint AS count,
            sum(u.sum_value) AS sum_value,
            sum(u.sum_value_business_hours) AS sum_value_business_hours,
            min(u.created_at) AS created_at,
            max(u.updated_at) AS updated_at
           FROM ( SELECT r.account_id,
                    r.date,
                    r.dimension_type,
                    r.dimension_id,
                    r.metric,
                    r.count,
                    r.sum_value,
                    r.sum_value_business_hours,
                    r.created_at,
                    r.updated_at
                   FROM pgrollup_internal.reporting_daily_rollups r
                  WHERE (r.metric <> 'bot_handoffs_count'::text)
                UNION ALL
                 SELECT t.account_id,
                    t.date,
                    t.dimension_type,
                    t.dimension_id,
                    t.metric,
                    t.sign,
                    t.dv,
                    t.db,
                    t.captured_at,
                    t.captured_at
                   FROM tail t
                  WHERE (t.metric <> 'bot_handoffs_count'::text)) u
          GROUP BY u.account_id, u.date, u.dimension_type, u.dimension_id, u.metric
         HAVING (sum(u.count) <> (0)::numeric)
        UNION ALL
         SELECT r.account_id,
            r.date,
            r.dimension_type,
            r.dimension_id,
            r.metric,
            r.count,
            r.sum_value,
            r.sum_value_business_hours,
            r.created_at,
            r.updated_at
           FROM pgrollup_internal.reporting_daily_rollups r
          WHERE ((r.metric = 'bot_handoffs_count'::text) AND (NOT (EXISTS ( SELECT 1
                   FROM tail t
                  WHERE ((t.metric = 'bot_handoffs_count'::text) AND (t.account_id = r.account_id) AND (t.date = r.date) AND (t.dimension_type = r.dimension_type) AND (t.dimension_id = r.dimension_id))))))
        UNION ALL
         SELECT p.account_id,
            p.date,
            p.dimension_type,
            p.dimension_id,
            'bot_handoffs_count'::text AS text,
            count(*) AS count,
            (0)::double precision AS float8,
            (0)::double precision AS float8,
            min(p.created_at) AS min,
            max(p.updated_at) AS max
           FROM ( SELECT v.account_id,
                    v.date,
                    v.dimension_type,
                    v.dimension_id,
                    min(v.created_at) AS created_at,
                    max(v.updated_at) AS updated_at
                   FROM ( SELECT h.account_id,
                            h.date,
                            h.dimension_type,
                            h.dimension_id,
                            h.conversation_id,
                            h.events,
                            r.created_at,
                            r.updated_at
                           FROM (pgrollup_internal.reporting_handoffs h
                             LEFT JOIN pgrollup_internal.reporting_daily_rollups r ON (((r.account_id = h.account_id) AND (r.date = h.date) AND (r.dimension_type = h.dimension_type) AND (r.dimension_id = h.dimension_id) AND (r.metric = 'bot_handoffs_count'::text))))
                          WHERE ((h.account_id, h.date, h.dimension_type, h.dimension_id) IN ( SELECT t.account_id,
                                    t.date,
                                    t.dimension_type,
                                    t.dimension_id
                                   FROM tail t
                                  WHERE (t.metric = 'bot_handoffs_count'::text)))
                        UNION ALL
                         SELECT t.account_id,
                            t.date,
                            t.dimension_type,
                            t.dimension_id,
                            t.conversation_id,
                            t.sign,
                            t.captured_at,
                            t.captured_at
                           FROM tail t
                          WHERE (t.metric = 'bot_handoffs_count'::text)) v
                  GROUP BY v.account_id, v.date, v.dimension_type, v.dimension_id, v.conversation_id
                 HAVING (sum(v.events) > (0)::numeric)) p
          GROUP BY p.account_id, p.date, p.dimension_type, p.dimension_id) s;

COMMENT ON VIEW pgrollup.reporting_events_rollups IS 'Daily totals of reporting_events per account, local date (in the account''s reporting timezone), dimension and metric; rows unique on (account_id, date, dimension_type, dimension_id, metric). Only accounts with a reporting timezone have rows; rows with count 0 do not exist. Current when the event''s transaction commits: the applied rows plus the change log not applied yet, folded in at read time.';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.account_id IS 'reporting_events.account_id.';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.date IS 'Local date of created_at (UTC) in the account''s reporting timezone.';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.dimension_type IS 'account, agent (reporting_events.user_id) or inbox (reporting_events.inbox_id).';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.dimension_id IS 'The account id, user id or inbox id.';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.metric IS 'Rollup metric from pgrollup.event_metrics.';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.count IS 'Number of events; for bot_handoffs_count the number of distinct non-NULL conversation_id.';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.sum_value IS 'Sum of coalesce(value, 0) for duration metrics, 0 for count metrics.';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.sum_value_business_hours IS 'Sum of coalesce(value_in_business_hours, 0) for duration metrics, 0 for count metrics.';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.created_at IS 'When the row was first written (for a change not applied yet: when it was captured).';

COMMENT ON COLUMN pgrollup.reporting_events_rollups.updated_at IS 'When the row was last changed (applied, or captured in the change log).';

CREATE TABLE pgrollup_internal.modules (
    module text NOT NULL,
    source_schema text DEFAULT 'public'::text NOT NULL,
    refresh_function text NOT NULL,
    health_function text NOT NULL,
    attach_function text NOT NULL,
    detach_function text NOT NULL,
    installed_at timestamp with time zone DEFAULT now() NOT NULL,
    slices_function text,
    restate_function text
);

COMMENT ON TABLE pgrollup_internal.modules IS 'Installed pgrollup modules and the functions the core calls for each (refresh, health, attach and detach of capture triggers).';

COMMENT ON COLUMN pgrollup_internal.modules.module IS 'Module name (messaging, reporting).';

COMMENT ON COLUMN pgrollup_internal.modules.source_schema IS 'Schema that holds the module''s source tables.';

COMMENT ON COLUMN pgrollup_internal.modules.refresh_function IS 'Qualified name of a function () RETURNS bigint that applies pending work.';

COMMENT ON COLUMN pgrollup_internal.modules.health_function IS 'Qualified name of a function () RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamptz).';

COMMENT ON COLUMN pgrollup_internal.modules.attach_function IS 'Qualified name of a function () RETURNS void that creates the capture triggers the module''s mode needs.';

COMMENT ON COLUMN pgrollup_internal.modules.detach_function IS 'Qualified name of a function () RETURNS void that drops every trigger the module created on source tables.';

COMMENT ON COLUMN pgrollup_internal.modules.installed_at IS 'When the module was first installed.';

COMMENT ON COLUMN pgrollup_internal.modules.slices_function IS 'Qualified name of a function (p_table text, p_relid oid) RETURNS jsonb describing the rollup slices the rows of one source table or partition contribute to (NULL: the module has no partition support).';

COMMENT ON COLUMN pgrollup_internal.modules.restate_function IS 'Qualified name of a function (p_slices jsonb) RETURNS bigint that restates those slices from source (NULL slices: everything).';

CREATE TABLE pgrollup_internal.settings (
    name text NOT NULL,
    value text NOT NULL
);

COMMENT ON TABLE pgrollup_internal.settings IS 'Installation-wide settings (key/value).';

COMMENT ON COLUMN pgrollup_internal.settings.name IS 'Setting name.';

COMMENT ON COLUMN pgrollup_internal.settings.value IS 'Setting value as text.';

CREATE VIEW pgrollup.rollup_health AS
 WITH base AS (
         SELECT m.module,
            h.mode,
            h.pending_changes,
            h.stale_since,
            ( SELECT r.finished_at
                   FROM pgrollup_internal.refresh_runs r
                  WHERE ((r.module = m.module) AND (r.status = 'ok'::text))
                  ORDER BY r.started_at DESC, r.run_id DESC
                 LIMIT 1) AS last_success_at,
            l.status AS last_status,
            (l.finished_at - l.started_at) AS last_duration,
            ( SELECT (count(*))::integer AS count
                   FROM pgrollup_internal.refresh_runs r
                  WHERE ((r.module = m.module) AND (r.status = 'failed'::text) AND (r.started_at >= (now() - '24:00:00'::interval)))) AS failures_24h,
            COALESCE(t.*, d.*) AS th,
            l.started_at AS last_run_at,
            m.installed_at,
            ( SELECT (s.value)::interval AS value
                   FROM pgrollup_internal.settings s
                  WHERE (s.name = 'cron_interval'::text)) AS cron_interval,
            ( SELECT (s.value)::timestamp with time zone AS value
                   FROM pgrollup_internal.settings s
                  WHERE (s.name = 'cron_scheduled_at'::text)) AS cron_scheduled_at,
            pgrollup_internal.cron_job_state() AS cron_state,
            pgrollup_internal.refresh_unfinished(m.module, COALESCE(t.duration_warning, d.duration_warning)) AS unfinished_since
           FROM ((((pgrollup_internal.modules m
             CROSS JOIN LATERAL pgrollup_internal.module_health(m.module) h(mode, pending_changes, stale_since))
             LEFT JOIN LATERAL ( SELECT r.status,
                    r.started_at,
                    r.finished_at
                   FROM pgrollup_internal.refresh_runs r
                  WHERE (r.module = m.module)
                  ORDER BY r.started_at DESC, r.run_id DESC
                 LIMIT 1) l ON (true))
             LEFT JOIN pgrollup.alert_thresholds t ON ((t.module = m.module)))
             LEFT JOIN pgrollup.alert_thresholds d ON ((d.module = '*'::text)))
        ), measured AS (
         SELECT b.module,
            b.mode,
            b.pending_changes,
            b.stale_since,
            b.last_success_at,
            b.last_status,
            b.last_duration,
            b.failures_24h,
            b.th,
            b.last_run_at,
            b.installed_at,
            b.cron_interval,
            b.cron_scheduled_at,
            b.cron_state,
            b.unfinished_since,
                CASE
                    WHEN (b.stale_since IS NULL) THEN '00:00:00'::interval
                    ELSE GREATEST((now() - b.stale_since), '00:00:00'::interval)
                END AS staleness
           FROM base b
        ), checks AS (
         SELECT x.module,
            x.mode,
            x.pending_changes,
            x.stale_since,
            x.last_success_at,
            x.last_status,
            x.last_duration,
            x.failures_24h,
            x.th,
            x.last_run_at,
            x.installed_at,
            x.cron_interval,
            x.cron_scheduled_at,
            x.cron_state,
            x.unfinished_since,
            x.staleness,
            (ARRAY[
                CASE
                    WHEN (((x.th).staleness_critical IS NOT NULL) AND (x.staleness >= (x.th).staleness_critical)) THEN ('critical:stale for '::text || (date_trunc('second'::text, x.staleness))::text)
                    WHEN (((x.th).staleness_warning IS NOT NULL) AND (x.staleness >= (x.th).staleness_warning)) THEN ('warning:stale for '::text || (date_trunc('second'::text, x.staleness))::text)
                    ELSE NULL::text
                END,
                CASE
                    WHEN (x.failures_24h >= (x.th).failures_critical) THEN (('critical:'::text || (x.failures_24h)::text) || ' failed refreshes in 24h'::text)
                    WHEN (x.failures_24h >= (x.th).failures_warning) THEN (('warning:'::text || (x.failures_24h)::text) || ' failed refreshes in 24h'::text)
                    ELSE NULL::text
                END,
                CASE
                    WHEN (x.last_status = 'failed'::text) THEN 'warning:last refresh failed'::text
                    ELSE NULL::text
                END,
                CASE
                    WHEN (x.unfinished_since IS NOT NULL) THEN ((('warning:last refresh attempt (started '::text || (date_trunc('second'::text, x.unfinished_since))::text) || ') did not finish: cancelled by statement_timeout, lock_timeout or a client, or its session ended; '::text) || 'raise statement_timeout for the role that runs the refresh, or find the lock it waited for (pg_locks), then run pgrollup refresh'::text)
                    ELSE NULL::text
                END,
                CASE
                    WHEN (x.cron_state = 'missing'::text) THEN 'critical:pg_cron job is missing (run pgrollup schedule)'::text
                    WHEN (x.cron_state = 'inactive'::text) THEN 'critical:pg_cron job is inactive'::text
                    WHEN ((x.cron_interval IS NOT NULL) AND (GREATEST(x.last_run_at, x.cron_scheduled_at, x.installed_at) < (now() - ((2)::double precision * x.cron_interval)))) THEN (('warning:no refresh for two schedule intervals ('::text || (((2)::double precision * x.cron_interval))::text) || '): is the pg_cron job running?'::text)
                    ELSE NULL::text
                END,
                CASE
                    WHEN ((x.last_status = 'ok'::text) AND (x.last_duration >= (x.th).duration_critical)) THEN ('critical:last refresh took '::text || (date_trunc('second'::text, x.last_duration))::text)
                    WHEN ((x.last_status = 'ok'::text) AND (x.last_duration >= (x.th).duration_warning)) THEN ('warning:last refresh took '::text || (date_trunc('second'::text, x.last_duration))::text)
                    ELSE NULL::text
                END] || pgrollup_internal.capture_problems(x.module, x.mode)) AS findings
           FROM measured x
        )
 SELECT c.module,
    c.mode,
    c.last_success_at,
    c.last_status,
    c.last_duration,
    c.pending_changes,
    c.staleness,
    c.failures_24h,
        CASE
            WHEN (EXISTS ( SELECT 1
               FROM unnest(c.findings) f(v)
              WHERE (f.v ~~ 'critical:%'::text))) THEN 'critical'::text
            WHEN (EXISTS ( SELECT 1
               FROM unnest(c.findings) f(v)
              WHERE (f.v ~~ 'warning:%'::text))) THEN 'warning'::text
            ELSE 'ok'::text
        END AS alert_level,
    ( SELECT string_agg(((split_part(f.v, ':'::text, 1) || ': '::text) || substr(f.v, (strpos(f.v, ':'::text) + 1))), '; '::text ORDER BY f.v) AS string_agg
           FROM unnest(c.findings) f(v)
          WHERE (f.v IS NOT NULL)) AS alert
   FROM checks c;

COMMENT ON VIEW pgrollup.rollup_health IS 'Freshness and alert state of every installed module: pending changes, staleness, last refresh, failures in 24 hours, alert level from pgrollup.alert_thresholds; capture problems (missing or disabled capture triggers, uncovered partitions, column drift, skipped capture: critical; source rows set aside: warning) with their repair.';

COMMENT ON COLUMN pgrollup.rollup_health.module IS 'Module name.';

COMMENT ON COLUMN pgrollup.rollup_health.mode IS 'Maintenance mode of the module (for example incremental, materialized_view, immediate, deferred).';

COMMENT ON COLUMN pgrollup.rollup_health.last_success_at IS 'End of the last successful refresh, NULL when none.';

COMMENT ON COLUMN pgrollup.rollup_health.last_status IS 'Status of the last refresh attempt (ok, failed, running or cancelled: see pgrollup.refresh_runs), NULL when never refreshed.';

COMMENT ON COLUMN pgrollup.rollup_health.last_duration IS 'Duration of the last refresh attempt.';

COMMENT ON COLUMN pgrollup.rollup_health.pending_changes IS 'Captured source changes not yet applied to the rollups (NULL when the mode does not track changes).';

COMMENT ON COLUMN pgrollup.rollup_health.staleness IS 'How long committed source changes may have been missing from the rollups (0 when current).';

COMMENT ON COLUMN pgrollup.rollup_health.failures_24h IS 'Failed refreshes in the last 24 hours.';

COMMENT ON COLUMN pgrollup.rollup_health.alert_level IS 'ok, warning or critical, from pgrollup.alert_thresholds and the capture checks (lost capture is critical, rows set aside a warning).';

COMMENT ON COLUMN pgrollup.rollup_health.alert IS 'Why the level is not ok (semicolon-separated findings), NULL when ok.';

CREATE TABLE pgrollup_internal._yoyo_log (
    id character varying(36) NOT NULL,
    migration_hash character varying(64),
    migration_id character varying(255),
    operation character varying(10),
    username character varying(255),
    hostname character varying(255),
    comment character varying(255),
    created_at_utc timestamp without time zone
);

CREATE TABLE pgrollup_internal._yoyo_migration (
    migration_hash character varying(64) NOT NULL,
    migration_id character varying(255),
    applied_at_utc timestamp without time zone
);

CREATE TABLE pgrollup_internal._yoyo_version (
    version integer NOT NULL,
    installed_at_utc timestamp without time zone
);

CREATE TABLE pgrollup_internal.capture_failures (
    module text NOT NULL,
    relation text NOT NULL,
    problem text NOT NULL,
    seen_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE pgrollup_internal.capture_failures IS 'Append-only record of source statements whose changes a capture trigger could not capture (for example a column it reads was renamed); the application''s statement went through. Health reports them as critical until the repair (fix the column or re-run pgrollup install, then backfill) clears them.';

COMMENT ON COLUMN pgrollup_internal.capture_failures.module IS 'Module whose capture was skipped.';

COMMENT ON COLUMN pgrollup_internal.capture_failures.relation IS 'Source table or partition written to.';

COMMENT ON COLUMN pgrollup_internal.capture_failures.problem IS 'Why capture could not run.';

COMMENT ON COLUMN pgrollup_internal.capture_failures.seen_at IS 'Start of the writing transaction.';

CREATE TABLE pgrollup_internal.capture_triggers (
    module text NOT NULL,
    table_name text NOT NULL,
    trigger_name text NOT NULL,
    event text NOT NULL,
    function_name text NOT NULL,
    old_table text,
    new_table text,
    modes text[],
    root_only boolean DEFAULT false NOT NULL,
    CONSTRAINT capture_triggers_event_check CHECK ((event = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text, 'TRUNCATE'::text])))
);

COMMENT ON TABLE pgrollup_internal.capture_triggers IS 'The statement-level AFTER capture triggers each module needs on a source table and on every member of its partition tree; written by the module''s attach hook, used to cover new partitions and by rollup_health (missing or disabled triggers).';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.module IS 'Module that needs the trigger.';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.table_name IS 'Source table (in the module''s source schema).';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.trigger_name IS 'Trigger name.';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.event IS 'INSERT, UPDATE, DELETE or TRUNCATE.';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.function_name IS 'Qualified name of the trigger function (no arguments).';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.old_table IS 'Name of the OLD transition table, NULL for none.';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.new_table IS 'Name of the NEW transition table, NULL for none.';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.modes IS 'Modes of the module (as its health hook reports them) that need the trigger; NULL: every mode.';

COMMENT ON COLUMN pgrollup_internal.capture_triggers.root_only IS 'Only on the source table itself, not on its partitions (a partition''s TRUNCATE is handled by the core''s pgrollup_partition_truncate trigger).';

CREATE TABLE pgrollup_internal.msg_changes (
    captured_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    message_id bigint,
    transition_id bigint,
    tenant_id bigint,
    event_ids bigint[],
    event_id bigint,
    message_ids bigint[]
);
ALTER TABLE ONLY pgrollup_internal.msg_changes ALTER COLUMN event_ids SET STORAGE EXTERNAL;
ALTER TABLE ONLY pgrollup_internal.msg_changes ALTER COLUMN message_ids SET STORAGE EXTERNAL;

COMMENT ON TABLE pgrollup_internal.msg_changes IS 'messaging change log (append-only for writers, no index): keys touched since the last refresh, consumed whole by each refresh. A row with every key NULL asks for a full rebuild.';

COMMENT ON COLUMN pgrollup_internal.msg_changes.captured_at IS 'When the change was captured (clock time in the writing transaction).';

COMMENT ON COLUMN pgrollup_internal.msg_changes.message_id IS 'A message whose row or events changed: its contribution is recomputed from source, unless every pending row of the message has event_id or event_ids.';

COMMENT ON COLUMN pgrollup_internal.msg_changes.transition_id IS 'A campaign_transitions row that was inserted, updated or deleted.';

COMMENT ON COLUMN pgrollup_internal.msg_changes.tenant_id IS 'On one node: a tenant whose time zone changed, on a row with no other key (its whole history is restated). On Citus, where the log is distributed by tenant_id: the tenant of the row''s key on every row, and a zone change is a row with no other key.';

COMMENT ON COLUMN pgrollup_internal.msg_changes.event_ids IS 'Ids of inserted events: of events without a message_id (message_id NULL and message_ids NULL; also from updates and deletes), of the events of message_ids (same positions), and of events inserted for message_id by earlier versions. NULL means restate. A restatement that has read a message''s events sets event_ids and event_id to NULL on the rows still pending that name it.';

COMMENT ON COLUMN pgrollup_internal.msg_changes.event_id IS 'An event inserted into message message_id: the refresh adds just this event (as if listed in event_ids). NULL on every other row.';

COMMENT ON COLUMN pgrollup_internal.msg_changes.message_ids IS 'Set only by an INSERT into message_events of more than 16 rows: the messages of the events listed at the same positions in event_ids (message_id is NULL on such a row; at most 65,536 events per row). The refresh adds each event to its message as if it had its own row. When event_ids is NULL on such a row (a restatement that read some of these messages set it so), every message listed is restated.';

CREATE TABLE pgrollup_internal.msg_contrib (
    message_id bigint NOT NULL,
    hour timestamp with time zone NOT NULL,
    local_date date NOT NULL,
    sends bigint NOT NULL,
    delivered bigint NOT NULL,
    opens bigint NOT NULL,
    clicks bigint NOT NULL,
    bounces bigint NOT NULL,
    unsubscribes bigint NOT NULL,
    unique_opens bigint NOT NULL,
    unique_clicks bigint NOT NULL,
    tenant_id bigint NOT NULL
);

COMMENT ON TABLE pgrollup_internal.msg_contrib IS 'messaging: what each message contributes to each local hour of its tenant''s zone; the rollups are sums of these rows, so a message''s old contribution can be subtracted exactly when it changes.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.message_id IS 'outbound_messages.id.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.hour IS 'Start of the local hour (date_trunc(''hour'', ts, zone)).';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.local_date IS 'Local date of the contributing timestamps.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.sends IS 'Sends in this hour (0 or 1).';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.delivered IS 'Delivered events in this hour.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.opens IS 'Open events in this hour.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.clicks IS 'Click events in this hour.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.bounces IS 'Bounce events in this hour.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.unsubscribes IS 'Unsubscribe events in this hour.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.unique_opens IS '1 when the message''s earliest open is in this hour.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.unique_clicks IS '1 when the message''s earliest click is in this hour.';

COMMENT ON COLUMN pgrollup_internal.msg_contrib.tenant_id IS 'Tenant of the message (as in msg_state).';

CREATE TABLE pgrollup_internal.msg_set_aside (
    source_table text NOT NULL,
    row_id bigint NOT NULL,
    message_id bigint,
    reason text NOT NULL,
    seen_at timestamp with time zone DEFAULT now() NOT NULL,
    tenant_id bigint
);

COMMENT ON TABLE pgrollup_internal.msg_set_aside IS 'messaging: source rows currently set aside (they count toward nothing) because a column a rollup needs is NULL; kept by restatements and refreshes, summarized per reason into pgrollup_internal.rows_set_aside. A row leaves when its source row is fixed or deleted (its change is captured and restated).';

COMMENT ON COLUMN pgrollup_internal.msg_set_aside.source_table IS 'Source table of the row: outbound_messages, message_events or campaign_transitions.';

COMMENT ON COLUMN pgrollup_internal.msg_set_aside.row_id IS 'id of the source row.';

COMMENT ON COLUMN pgrollup_internal.msg_set_aside.message_id IS 'Message the row belongs to (restating it re-examines the row); NULL for events without a message and for transitions.';

COMMENT ON COLUMN pgrollup_internal.msg_set_aside.reason IS 'Why it is set aside, naming table.column.';

COMMENT ON COLUMN pgrollup_internal.msg_set_aside.seen_at IS 'When a refresh or backfill first set it aside.';

COMMENT ON COLUMN pgrollup_internal.msg_set_aside.tenant_id IS 'Tenant of the source row when it has one (NULL for a row without tenant, or whose table has no tenant_id column); filled when the row is next examined.';

CREATE TABLE pgrollup_internal.partition_restates (
    restate_id bigint NOT NULL,
    module text NOT NULL,
    relation text NOT NULL,
    slices jsonb,
    queued_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE pgrollup_internal.partition_restates IS 'Restatements asked for by a TRUNCATE of a partition (its slices read just before it was emptied); applied by the module''s next refresh.';

COMMENT ON COLUMN pgrollup_internal.partition_restates.restate_id IS 'Order of queueing.';

COMMENT ON COLUMN pgrollup_internal.partition_restates.module IS 'Module to restate.';

COMMENT ON COLUMN pgrollup_internal.partition_restates.relation IS 'Partition truncated.';

COMMENT ON COLUMN pgrollup_internal.partition_restates.slices IS 'Slices to restate, as the module''s slices function described them; NULL: everything.';

COMMENT ON COLUMN pgrollup_internal.partition_restates.queued_at IS 'Start of the truncating transaction.';

ALTER TABLE pgrollup_internal.partition_restates ALTER COLUMN restate_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgrollup_internal.partition_restates_restate_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE pgrollup_internal.refresh_runs ALTER COLUMN run_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME pgrollup_internal.refresh_runs_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE SEQUENCE pgrollup_internal.refresh_trace_messaging
    START WITH -9223372036854775807
    INCREMENT BY 1
    MINVALUE -9223372036854775807
    NO MAXVALUE
    CACHE 1;

COMMENT ON SEQUENCE pgrollup_internal.refresh_trace_messaging IS 'Non-transactional trace of the last direct refresh attempt of module messaging: (epoch seconds << 22 | backend pid), positive from its start, negative once it reached its end.';

CREATE SEQUENCE pgrollup_internal.refresh_trace_reporting
    START WITH -9223372036854775807
    INCREMENT BY 1
    MINVALUE -9223372036854775807
    NO MAXVALUE
    CACHE 1;

COMMENT ON SEQUENCE pgrollup_internal.refresh_trace_reporting IS 'Non-transactional trace of the last direct refresh attempt of module reporting: (epoch seconds << 22 | backend pid), positive from its start, negative once it reached its end.';

CREATE UNLOGGED TABLE pgrollup_internal.reporting_batch (
    account_id bigint,
    created_at timestamp with time zone,
    name text,
    user_id bigint,
    inbox_id bigint,
    conversation_id bigint,
    value double precision,
    value_bh double precision,
    sign integer NOT NULL
);

COMMENT ON TABLE pgrollup_internal.reporting_batch IS 'Staging of one apply batch (a slice of the change log taken by the refresh, or the raw events a backfill read): used under the reporting module lock only, emptied at the start of each batch; unlogged.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.account_id IS 'reporting_events.account_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.created_at IS 'reporting_events.created_at as timestamptz.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.name IS 'reporting_events.name.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.user_id IS 'reporting_events.user_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.inbox_id IS 'reporting_events.inbox_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.conversation_id IS 'reporting_events.conversation_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.value IS 'reporting_events.value.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.value_bh IS 'reporting_events.value_in_business_hours.';

COMMENT ON COLUMN pgrollup_internal.reporting_batch.sign IS '+1 the event row exists in this form, -1 it no longer does.';

CREATE TABLE pgrollup_internal.reporting_handoff_repeats (
    account_id bigint NOT NULL,
    dimension_type text NOT NULL,
    dimension_id bigint NOT NULL,
    conversation_id bigint NOT NULL,
    date date NOT NULL,
    prev_date date NOT NULL
);

COMMENT ON TABLE pgrollup_internal.reporting_handoff_repeats IS 'Handoff presence rows (reporting_handoffs) whose conversation was also handed off on an earlier local day in the same account and dimension, with that earlier day: distinct handoffs over days [a, b) = sum of the daily counts - rows with a <= date < b and prev_date >= a. Maintained with the presence rows.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.account_id IS 'reporting_events.account_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.dimension_type IS 'account, agent or inbox.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.dimension_id IS 'The account id, user id or inbox id.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.conversation_id IS 'reporting_events.conversation_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.date IS 'Local date of the presence row.';

COMMENT ON COLUMN pgrollup_internal.reporting_handoff_repeats.prev_date IS 'The latest earlier local date with a presence row of the same account, dimension and conversation.';

CREATE TABLE pgrollup_internal.reporting_monthly_rollups (
    account_id bigint NOT NULL,
    dimension_type text NOT NULL,
    month date NOT NULL,
    dimension_id bigint NOT NULL,
    metric text NOT NULL,
    count bigint NOT NULL,
    sum_value double precision DEFAULT 0 NOT NULL,
    sum_value_business_hours double precision DEFAULT 0 NOT NULL
);

COMMENT ON TABLE pgrollup_internal.reporting_monthly_rollups IS 'Sum of pgrollup.reporting_events_rollups per account, dimension, metric and local month (first day of the month); for bot_handoffs_count the sum of the daily distinct counts, not a distinct count (reads subtract reporting_handoff_repeats). Maintained with the daily rows, read by report_summary and report_timeseries for whole months.';

COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.account_id IS 'reporting_events.account_id.';

COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.dimension_type IS 'account, agent or inbox.';

COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.month IS 'First local date of the month (the account''s reporting timezone).';

COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.dimension_id IS 'The account id, user id or inbox id.';

COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.metric IS 'Rollup metric (pgrollup.event_metrics.rollup_metric).';

COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.count IS 'Sum of the month''s daily counts (the row is removed when it reaches 0).';

COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.sum_value IS 'Sum of the month''s daily sum_value.';

COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.sum_value_business_hours IS 'Sum of the month''s daily sum_value_business_hours.';

CREATE TABLE pgrollup_internal.rows_set_aside (
    module text NOT NULL,
    reason text NOT NULL,
    rows bigint NOT NULL,
    first_seen timestamp with time zone NOT NULL,
    last_seen timestamp with time zone NOT NULL
);

COMMENT ON TABLE pgrollup_internal.rows_set_aside IS 'Source rows (or changes) that a refresh could not attribute to a rollup key (for example a NULL account_id or created_at) and counted here instead of failing; written by the refresh only, read by rollup_health.';

COMMENT ON COLUMN pgrollup_internal.rows_set_aside.module IS 'Module that set the rows aside.';

COMMENT ON COLUMN pgrollup_internal.rows_set_aside.reason IS 'Why the rows could not be attributed (names the column).';

COMMENT ON COLUMN pgrollup_internal.rows_set_aside.rows IS 'Rows (changes) set aside so far.';

COMMENT ON COLUMN pgrollup_internal.rows_set_aside.first_seen IS 'First refresh that set such a row aside.';

COMMENT ON COLUMN pgrollup_internal.rows_set_aside.last_seen IS 'Latest refresh that set such a row aside.';

CREATE TABLE pgrollup_internal.source_columns (
    module text NOT NULL,
    table_name text NOT NULL,
    column_name text NOT NULL,
    kind text NOT NULL,
    CONSTRAINT source_columns_kind_check CHECK ((kind = ANY (ARRAY['id'::text, 'text'::text, 'number'::text, 'timestamp'::text, 'any'::text])))
);

COMMENT ON TABLE pgrollup_internal.source_columns IS 'The source columns each module reads, with the kind of type it accepts; written by the module''s migrations, checked by the capture triggers and by rollup_health (column drift).';

COMMENT ON COLUMN pgrollup_internal.source_columns.module IS 'Module that reads the column.';

COMMENT ON COLUMN pgrollup_internal.source_columns.table_name IS 'Source table (in the module''s source schema).';

COMMENT ON COLUMN pgrollup_internal.source_columns.column_name IS 'Column read.';

COMMENT ON COLUMN pgrollup_internal.source_columns.kind IS 'Accepted types: id (smallint, integer, bigint), text (text, varchar, char), number (any numeric type), timestamp (timestamp or timestamptz), any.';

CREATE TABLE pgrollup_internal.source_partitions (
    module text NOT NULL,
    table_name text NOT NULL,
    relid oid NOT NULL,
    relation text NOT NULL,
    is_root boolean NOT NULL,
    covered_at timestamp with time zone DEFAULT now() NOT NULL
);

COMMENT ON TABLE pgrollup_internal.source_partitions IS 'Members of each source table''s partition tree (the table itself included) that capture covers; a member that leaves the tree (DETACH, DROP) is restated and forgotten, a new one is covered (and restated when it already holds rows) by the next refresh or install.';

COMMENT ON COLUMN pgrollup_internal.source_partitions.module IS 'Module reading the source table.';

COMMENT ON COLUMN pgrollup_internal.source_partitions.table_name IS 'Source table the member belongs to.';

COMMENT ON COLUMN pgrollup_internal.source_partitions.relid IS 'OID of the member relation.';

COMMENT ON COLUMN pgrollup_internal.source_partitions.relation IS 'Qualified name of the member when it was covered.';

COMMENT ON COLUMN pgrollup_internal.source_partitions.is_root IS 'The source table itself (a changed OID means it was dropped and recreated).';

COMMENT ON COLUMN pgrollup_internal.source_partitions.covered_at IS 'When capture triggers were put on it.';

CREATE TABLE pgrollup_internal.timezone_names (
    name text NOT NULL
);

COMMENT ON TABLE pgrollup_internal.timezone_names IS 'IANA zone names known to this server (copy of pg_timezone_names, refreshed by pgrollup install); used by check_timezone.';

COMMENT ON COLUMN pgrollup_internal.timezone_names.name IS 'Zone name as spelled in pg_timezone_names.';

CREATE TABLE pgrollup_internal.yoyo_lock (
    locked integer DEFAULT 1 NOT NULL,
    ctime timestamp without time zone,
    pid integer NOT NULL
);

ALTER TABLE ONLY pgrollup.alert_thresholds
    ADD CONSTRAINT alert_thresholds_pkey PRIMARY KEY (module);

ALTER TABLE ONLY pgrollup.event_metrics
    ADD CONSTRAINT event_metrics_pkey PRIMARY KEY (event_name, rollup_metric);

ALTER TABLE ONLY pgrollup.message_event_metrics
    ADD CONSTRAINT message_event_metrics_pkey PRIMARY KEY (event_type);

ALTER TABLE ONLY pgrollup_internal._yoyo_log
    ADD CONSTRAINT _yoyo_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY pgrollup_internal._yoyo_migration
    ADD CONSTRAINT _yoyo_migration_pkey PRIMARY KEY (migration_hash);

ALTER TABLE ONLY pgrollup_internal._yoyo_version
    ADD CONSTRAINT _yoyo_version_pkey PRIMARY KEY (version);

ALTER TABLE ONLY pgrollup_internal.access_roles
    ADD CONSTRAINT access_roles_pkey PRIMARY KEY (role_kind);

ALTER TABLE ONLY pgrollup_internal.access_roles
    ADD CONSTRAINT access_roles_role_name_key UNIQUE (role_name);

ALTER TABLE ONLY pgrollup_internal.capture_triggers
    ADD CONSTRAINT capture_triggers_pkey PRIMARY KEY (module, table_name, trigger_name);

ALTER TABLE ONLY pgrollup_internal.modules
    ADD CONSTRAINT modules_pkey PRIMARY KEY (module);

ALTER TABLE ONLY pgrollup_internal.msg_campaign_daily
    ADD CONSTRAINT msg_campaign_daily_pkey PRIMARY KEY (tenant_id, campaign_id, date);

ALTER TABLE ONLY pgrollup_internal.msg_contact_hourly
    ADD CONSTRAINT msg_contact_hourly_pkey PRIMARY KEY (tenant_id, contact_id, hour, channel);

ALTER TABLE ONLY pgrollup_internal.msg_contrib
    ADD CONSTRAINT msg_contrib_pkey PRIMARY KEY (message_id, hour, local_date);

ALTER TABLE ONLY pgrollup_internal.msg_set_aside
    ADD CONSTRAINT msg_set_aside_pkey PRIMARY KEY (source_table, row_id, reason);

ALTER TABLE ONLY pgrollup_internal.msg_state
    ADD CONSTRAINT msg_state_pkey PRIMARY KEY (message_id);

ALTER TABLE ONLY pgrollup_internal.msg_tenant_daily
    ADD CONSTRAINT msg_tenant_daily_pkey PRIMARY KEY (tenant_id, date);

ALTER TABLE ONLY pgrollup_internal.msg_tenants
    ADD CONSTRAINT msg_tenants_pkey PRIMARY KEY (tenant_id);

ALTER TABLE ONLY pgrollup_internal.msg_transitions
    ADD CONSTRAINT msg_transitions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY pgrollup_internal.partition_restates
    ADD CONSTRAINT partition_restates_pkey PRIMARY KEY (restate_id);

ALTER TABLE ONLY pgrollup_internal.refresh_runs
    ADD CONSTRAINT refresh_runs_pkey PRIMARY KEY (run_id);

ALTER TABLE ONLY pgrollup_internal.reporting_accounts
    ADD CONSTRAINT reporting_accounts_pkey PRIMARY KEY (account_id);

ALTER TABLE ONLY pgrollup_internal.reporting_daily_rollups
    ADD CONSTRAINT reporting_daily_rollups_key UNIQUE (account_id, date, dimension_type, dimension_id, metric);

ALTER TABLE ONLY pgrollup_internal.reporting_handoff_repeats
    ADD CONSTRAINT reporting_handoff_repeats_pkey PRIMARY KEY (account_id, dimension_type, dimension_id, conversation_id, date);

ALTER TABLE ONLY pgrollup_internal.reporting_handoffs
    ADD CONSTRAINT reporting_handoffs_pkey PRIMARY KEY (account_id, dimension_type, date, dimension_id, conversation_id);

ALTER TABLE ONLY pgrollup_internal.reporting_monthly_rollups
    ADD CONSTRAINT reporting_monthly_rollups_pkey PRIMARY KEY (account_id, dimension_type, month, dimension_id, metric);

ALTER TABLE ONLY pgrollup_internal.rows_set_aside
    ADD CONSTRAINT rows_set_aside_pkey PRIMARY KEY (module, reason);

ALTER TABLE ONLY pgrollup_internal.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (name);

ALTER TABLE ONLY pgrollup_internal.source_columns
    ADD CONSTRAINT source_columns_pkey PRIMARY KEY (module, table_name, column_name);

ALTER TABLE ONLY pgrollup_internal.source_partitions
    ADD CONSTRAINT source_partitions_pkey PRIMARY KEY (module, relid);

ALTER TABLE ONLY pgrollup_internal.timezone_names
    ADD CONSTRAINT timezone_names_pkey PRIMARY KEY (name);

ALTER TABLE ONLY pgrollup_internal.yoyo_lock
    ADD CONSTRAINT yoyo_lock_pkey PRIMARY KEY (locked);

CREATE INDEX msg_campaign_daily_tenant_date_idx ON pgrollup_internal.msg_campaign_daily USING btree (tenant_id, date);

CREATE INDEX msg_set_aside_message_idx ON pgrollup_internal.msg_set_aside USING btree (message_id) WHERE (message_id IS NOT NULL);

CREATE INDEX msg_state_tenant_idx ON pgrollup_internal.msg_state USING btree (tenant_id);

CREATE INDEX msg_transitions_lookup_idx ON pgrollup_internal.msg_transitions USING btree (tenant_id, campaign_id, transitioned_at DESC, id DESC) INCLUDE (to_status);

CREATE INDEX refresh_runs_failures_idx ON pgrollup_internal.refresh_runs USING btree (module, started_at) WHERE (status = 'failed'::text);

CREATE INDEX refresh_runs_module_started_idx ON pgrollup_internal.refresh_runs USING btree (module, started_at DESC);

CREATE INDEX reporting_accounts_timezone_idx ON pgrollup_internal.reporting_accounts USING btree (timezone);

CREATE INDEX reporting_daily_rollups_dimension_idx ON pgrollup_internal.reporting_daily_rollups USING btree (account_id, dimension_type, date);

CREATE INDEX reporting_daily_rollups_metric_idx ON pgrollup_internal.reporting_daily_rollups USING btree (account_id, metric, date);

CREATE INDEX reporting_handoff_repeats_date_idx ON pgrollup_internal.reporting_handoff_repeats USING btree (account_id, dimension_type, date) INCLUDE (dimension_id, prev_date);

CREATE INDEX reporting_handoffs_conversation_idx ON pgrollup_internal.reporting_handoffs USING btree (account_id, dimension_type, dimension_id, conversation_id, date);

CREATE INDEX timezone_names_lower_idx ON pgrollup_internal.timezone_names USING btree (lower(name));

CREATE TRIGGER modules_registered AFTER INSERT ON pgrollup_internal.modules FOR EACH ROW EXECUTE FUNCTION pgrollup_internal.modules_registered();

COMMENT ON TRIGGER modules_registered ON pgrollup_internal.modules IS 'Creates each module''s refresh trace sequence when the module is registered.';

GRANT USAGE ON SCHEMA pgrollup TO pgrollup_pgrollup_schema_dump_reader;
GRANT USAGE ON SCHEMA pgrollup TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.backfill_messaging(p_tenant_id bigint, p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.backfill_messaging(p_tenant_id bigint, p_from date, p_to date) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.backfill_reporting(p_account_id bigint, p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.backfill_reporting(p_account_id bigint, p_from date, p_to date) TO pgrollup_pgrollup_schema_dump_admin;

GRANT SELECT ON TABLE pgrollup.metrics_campaign_daily TO pgrollup_pgrollup_schema_dump_reader;

REVOKE ALL ON FUNCTION pgrollup.campaign_daily(p_tenant_id bigint, p_from date, p_to date, p_campaign_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.campaign_daily(p_tenant_id bigint, p_from date, p_to date, p_campaign_id bigint) TO pgrollup_pgrollup_schema_dump_admin;
GRANT ALL ON FUNCTION pgrollup.campaign_daily(p_tenant_id bigint, p_from date, p_to date, p_campaign_id bigint) TO pgrollup_pgrollup_schema_dump_reader;

GRANT SELECT ON TABLE pgrollup.metrics_contact_hourly TO pgrollup_pgrollup_schema_dump_reader;

REVOKE ALL ON FUNCTION pgrollup.contact_hourly(p_tenant_id bigint, p_contact_id bigint, p_since timestamp with time zone, p_until timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.contact_hourly(p_tenant_id bigint, p_contact_id bigint, p_since timestamp with time zone, p_until timestamp with time zone) TO pgrollup_pgrollup_schema_dump_admin;
GRANT ALL ON FUNCTION pgrollup.contact_hourly(p_tenant_id bigint, p_contact_id bigint, p_since timestamp with time zone, p_until timestamp with time zone) TO pgrollup_pgrollup_schema_dump_reader;

REVOKE ALL ON FUNCTION pgrollup.messaging_backfill_plan(p_tenant_id bigint, p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.messaging_backfill_plan(p_tenant_id bigint, p_from date, p_to date) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.refresh(p_module text, p_wait boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.refresh(p_module text, p_wait boolean) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.refresh_begin(p_module text) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.refresh_begin(p_module text) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.refresh_run(p_run_id bigint, p_wait boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.refresh_run(p_run_id bigint, p_wait boolean) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.report_summary(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_dimension_type text, p_business_hours boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.report_summary(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_dimension_type text, p_business_hours boolean) TO pgrollup_pgrollup_schema_dump_admin;
GRANT ALL ON FUNCTION pgrollup.report_summary(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_dimension_type text, p_business_hours boolean) TO pgrollup_pgrollup_schema_dump_reader;

REVOKE ALL ON FUNCTION pgrollup.report_timeseries(p_account_id bigint, p_metric text, p_since timestamp with time zone, p_until timestamp with time zone, p_group_by text, p_timezone text, p_dimension_type text, p_dimension_id bigint, p_business_hours boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.report_timeseries(p_account_id bigint, p_metric text, p_since timestamp with time zone, p_until timestamp with time zone, p_group_by text, p_timezone text, p_dimension_type text, p_dimension_id bigint, p_business_hours boolean) TO pgrollup_pgrollup_schema_dump_admin;
GRANT ALL ON FUNCTION pgrollup.report_timeseries(p_account_id bigint, p_metric text, p_since timestamp with time zone, p_until timestamp with time zone, p_group_by text, p_timezone text, p_dimension_type text, p_dimension_id bigint, p_business_hours boolean) TO pgrollup_pgrollup_schema_dump_reader;

REVOKE ALL ON FUNCTION pgrollup.reporting_backfill_plan(p_account_id bigint, p_from date, p_to date, p_timezone text) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.reporting_backfill_plan(p_account_id bigint, p_from date, p_to date, p_timezone text) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON PROCEDURE pgrollup.run_refresh(IN p_module text, IN p_wait boolean, INOUT p_run_ids bigint[]) FROM PUBLIC;
GRANT ALL ON PROCEDURE pgrollup.run_refresh(IN p_module text, IN p_wait boolean, INOUT p_run_ids bigint[]) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.set_messaging_mode(p_mode text) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.set_messaging_mode(p_mode text) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.set_reporting_mode(p_mode text) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.set_reporting_mode(p_mode text) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.set_reporting_timezone(p_account_id bigint, p_timezone text) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.set_reporting_timezone(p_account_id bigint, p_timezone text) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.set_rollup_reads(p_account_id bigint, p_enabled boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.set_rollup_reads(p_account_id bigint, p_enabled boolean) TO pgrollup_pgrollup_schema_dump_admin;

REVOKE ALL ON FUNCTION pgrollup.set_tenant_timezone(p_tenant_id bigint, p_timezone text) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.set_tenant_timezone(p_tenant_id bigint, p_timezone text) TO pgrollup_pgrollup_schema_dump_admin;

GRANT SELECT ON TABLE pgrollup.metrics_tenant_daily TO pgrollup_pgrollup_schema_dump_reader;

REVOKE ALL ON FUNCTION pgrollup.tenant_daily(p_tenant_id bigint, p_from date, p_to date) FROM PUBLIC;
GRANT ALL ON FUNCTION pgrollup.tenant_daily(p_tenant_id bigint, p_from date, p_to date) TO pgrollup_pgrollup_schema_dump_admin;
GRANT ALL ON FUNCTION pgrollup.tenant_daily(p_tenant_id bigint, p_from date, p_to date) TO pgrollup_pgrollup_schema_dump_reader;

GRANT ALL ON FUNCTION pgrollup.version() TO pgrollup_pgrollup_schema_dump_admin;
GRANT ALL ON FUNCTION pgrollup.version() TO pgrollup_pgrollup_schema_dump_reader;

REVOKE ALL ON FUNCTION pgrollup_internal.attach_capture(p_module text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.base_type(p_type oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.bind_capture(p_function regprocedure, p_source regclass) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.capture_columns_ok(p_module text, p_table text, p_source regclass) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.capture_note_drift(p_module text, p_table text, p_relid oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.capture_partition_truncate() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.capture_skipped(p_module text, p_table text, p_relid oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.check_read_rows(p_function text, p_rows bigint, p_limit bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.check_read_size(p_function text, p_unit text, p_buckets numeric) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_bind(p_function regprocedure, p_map jsonb, p_name text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_bind_capture(p_function regprocedure, p_module text, p_source regclass, p_log regclass, p_insert text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_capture_tree(p_leaves text[], p_lo integer, p_hi integer) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_colocated_shard(p_table regclass, p_shard_table name) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_placement(p_rel regclass) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_rebind_capture(p_module text, p_bind regprocedure) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_shard_columns_folded(p_shard regclass, p_columns jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_shard_columns_ok(p_shard regclass, p_columns jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_shard_map(p_shardid bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.citus_unreachable_nodes() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.cover_partitions(p_module text, p_nowait boolean, p_repair boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.create_capture_trigger(p_rel regclass, p_name text, p_event text, p_function text, p_old_table text, p_new_table text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.create_refresh_trace(p_module text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.detach_capture(p_module text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.drop_triggers_of(p_function regprocedure, p_name text, p_partitions_only boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.kind_accepts(p_kind text, p_type oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.lock_module(p_module text, p_wait boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_add_events() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_apply_delta() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_attach() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_backfill_keys(p_tenant_id bigint, p_from date, p_to date) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_by_key(p_step text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_event() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_message() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_shard() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_transition() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_truncate() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_check_orphans(p_event_ids bigint[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_citus_bind_capture() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_citus_layout() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_citus_queue(p_tenant_id bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_citus_truncate() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_create_mvs() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_detach() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_drift() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_drop_mvs() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_health() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_keys_table() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_mode() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_note_set_aside() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_partition_slices(p_table text, p_relid oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_rebuild() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh_citus() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh_log() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh_mvs() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh_node() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_restate() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_restate_slices(p_slices jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_route() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.messaging_sync_transitions(p_ids bigint[], p_tenant_id bigint, p_all boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.module_call(p_module text, p_kind text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.module_function(p_module text, p_kind text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.modules_registered() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.prune_refresh_runs() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.range_buckets(p_since timestamp with time zone, p_until timestamp with time zone, p_unit text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.read_limit() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.refresh_attempt_live(p_pid integer, p_started timestamp with time zone, p_grace interval) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.refresh_module(p_module text, p_wait boolean, p_run_id bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.refresh_record_lost(p_module text, p_trace bigint, p_run_id bigint) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.refresh_timezone_names() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.refresh_trace(p_module text, p_finished boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.relation_slices(p_module text, p_table text, p_relid oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_apply() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_attach() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_capture() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_capture_shard() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_citus_bind_capture() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_citus_layout() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_detach() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_facts(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_day_from date, p_day_to date, p_rollup_from timestamp with time zone, p_rollup_to timestamp with time zone, p_timezone text, p_unit text, p_dimension_type text, p_dimension_id bigint, p_metrics text[], p_business_hours boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_facts_serial(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_day_from date, p_day_to date, p_rollup_from timestamp with time zone, p_rollup_to timestamp with time zone, p_timezone text, p_unit text, p_dimension_type text, p_dimension_id bigint, p_metrics text[], p_business_hours boolean) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_health() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_partition_slices(p_table text, p_relid oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_plan(p_account_id bigint, p_since timestamp with time zone, p_until timestamp with time zone, p_timezone text, p_unit text, OUT timezone text, OUT day_from date, OUT day_to date, OUT rollup_from timestamp with time zone, OUT rollup_to timestamp with time zone, OUT source text) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_record_set_aside(p_counts jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh_citus() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh_log() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh_node() FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_restate(p_account_id bigint, p_from date, p_to date) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.reporting_restate_slices(p_slices jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.restate_slices(p_module text, p_slices jsonb) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.source_drift(p_module text, p_table text, p_relid oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.source_inherits_from(p_rel oid, p_root oid) FROM PUBLIC;

REVOKE ALL ON FUNCTION pgrollup_internal.source_tree(p_root regclass) FROM PUBLIC;

GRANT SELECT ON TABLE pgrollup.access_roles TO pgrollup_pgrollup_schema_dump_reader;

GRANT SELECT ON TABLE pgrollup.alert_thresholds TO pgrollup_pgrollup_schema_dump_reader;
GRANT INSERT,DELETE,UPDATE ON TABLE pgrollup.alert_thresholds TO pgrollup_pgrollup_schema_dump_admin;

GRANT SELECT ON TABLE pgrollup.event_metrics TO pgrollup_pgrollup_schema_dump_reader;
GRANT INSERT,DELETE,UPDATE ON TABLE pgrollup.event_metrics TO pgrollup_pgrollup_schema_dump_admin;

GRANT SELECT ON TABLE pgrollup.message_event_metrics TO pgrollup_pgrollup_schema_dump_reader;
GRANT INSERT,DELETE,UPDATE ON TABLE pgrollup.message_event_metrics TO pgrollup_pgrollup_schema_dump_admin;

GRANT SELECT ON TABLE pgrollup.metrics_message TO pgrollup_pgrollup_schema_dump_reader;

GRANT SELECT ON TABLE pgrollup.refresh_runs TO pgrollup_pgrollup_schema_dump_reader;

GRANT SELECT ON TABLE pgrollup.reporting_events_rollups TO pgrollup_pgrollup_schema_dump_reader;

GRANT SELECT ON TABLE pgrollup.rollup_health TO pgrollup_pgrollup_schema_dump_reader;

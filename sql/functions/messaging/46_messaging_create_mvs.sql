CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_create_mvs()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
-- The materialized-view mode: the reference queries themselves, one materialized view per public
-- view (plus the transition copy the campaign status is read from), each with a unique index so
-- REFRESH MATERIALIZED VIEW CONCURRENTLY can be used.
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
              FROM @source_schema@.outbound_messages AS o
              LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = o.tenant_id
        ), ev AS (
            SELECT e.message_id::bigint AS message_id, r.metric, pgrollup_internal.utc(e.occurred_at) AS at
              FROM @source_schema@.message_events AS e
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
      FROM @source_schema@.campaign_transitions AS t
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
      FROM @source_schema@.outbound_messages AS o
      LEFT JOIN (
            SELECT e.message_id::bigint AS message_id,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'delivered')    AS delivered,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'opens')        AS opens,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'clicks')       AS clicks,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'bounces')      AS bounces,
                   pg_catalog.count(*) FILTER (WHERE r.metric = 'unsubscribes') AS unsubscribes,
                   pg_catalog.min(pgrollup_internal.utc(e.occurred_at)) FILTER (WHERE r.metric = 'opens')  AS first_opened_at,
                   pg_catalog.min(pgrollup_internal.utc(e.occurred_at)) FILTER (WHERE r.metric = 'clicks') AS first_clicked_at
              FROM @source_schema@.message_events AS e
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
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_create_mvs() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_create_mvs() IS '(Re)creates the materialized views of the messaging materialized_view mode from the reference queries, populated, with the unique indexes REFRESH ... CONCURRENTLY needs.';

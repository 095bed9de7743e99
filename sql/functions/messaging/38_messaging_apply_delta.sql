CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_apply_delta()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET client_min_messages = warning
AS $$
-- Adds pg_temp.pgr_msg_delta (tenant_id, campaign_id, contact_id, channel, hour, local_date and the
-- eight signed counts; several rows may fall in one bucket) to the three bucket rollups, by key,
-- and deletes the buckets whose metrics all became zero. Callers hold the module lock.
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
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_apply_delta() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_apply_delta() IS 'Adds the signed contribution rows of pg_temp.pgr_msg_delta to the messaging bucket rollups (contact-hourly, campaign-daily, tenant-daily) by key and deletes buckets whose metrics all became zero. Shared by restatement and the inserted-events path; callers hold the module lock.';

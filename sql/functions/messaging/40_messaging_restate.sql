CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_restate()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET client_min_messages = warning
AS $$
-- Restates the messages listed in pg_temp.pgr_msg_keys(message_id): computes each message's new
-- contribution from source (one statement, one snapshot), applies new minus old contribution to the
-- bucket rollups by key, and replaces the per-message state. Idempotent: restating a message twice
-- changes nothing, so a change-log row that is processed again is harmless (pending rows that list
-- inserted events of these messages are turned into plain restatement requests, step 7).
-- Callers hold the module lock (pgrollup_internal.lock_module('messaging')).
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
                    WHERE i.indrelid = '@source_schema@.message_events'::regclass AND a.attname = 'message_id') THEN
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
          JOIN @source_schema@.outbound_messages AS o ON o.id = k.message_id
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
      JOIN @source_schema@.message_events AS e ON e.message_id = m.message_id
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
      JOIN @source_schema@.outbound_messages AS o ON o.id = k.message_id
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
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_restate() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_restate() IS 'Restates the messages listed in pg_temp.pgr_msg_keys from source: applies new minus old contribution to the bucket rollups and replaces their per-message state; messages without tenant, contact or channel and mapped events without occurred_at count toward nothing and are recorded in msg_set_aside. Returns the number of messages restated. Idempotent; callers hold the module lock.';

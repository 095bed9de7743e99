CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_add_events()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET client_min_messages = warning
AS $$
-- The inserted-events path of a refresh. pg_temp.pgr_msg_fast(message_id, event_id) lists events
-- that INSERTs added to messages whose every other change since their last restatement is such an
-- insert and that the refresh does not restate (pg_temp.pgr_msg_keys). Messages without a
-- per-message state (msg_state) computed in their tenant's current zone are moved to
-- pg_temp.pgr_msg_keys for restatement (step 0); the others' listed events are added: each adds 1
-- to its metric in the buckets of its occurred_at (events are read by primary key, nothing else
-- of the message is read), using the dimensions
-- and zone of msg_state, the same ones its applied contribution (msg_contrib) has; unique opens and
-- clicks move only when a new event is earlier than the stored first open / first click. Bucket
-- rollups, msg_contrib and msg_state change together, exactly as a restatement would change them,
-- so a later restatement of the message subtracts exactly what was added here.
-- An event that is gone, or no longer belongs to the message, adds nothing: the update or delete
-- that did it is in the change log and restates the message at the next refresh.
-- Callers hold the module lock.
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
                                              WHERE c.oid = '@source_schema@.message_events'::regclass) / 20) THEN
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
      JOIN @source_schema@.message_events AS e ON e.id = f.event_id
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
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_add_events() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_add_events() IS 'Inserted-events path of a messaging refresh: adds the events listed in pg_temp.pgr_msg_fast (inserted into messages that need no restatement; messages without a per-message state in their current zone go to pg_temp.pgr_msg_keys instead) to the bucket rollups, msg_contrib and msg_state, comparing with the stored first open / first click for the unique counts instead of re-reading the messages'' other events; returns the number of listed events. Callers hold the module lock.';

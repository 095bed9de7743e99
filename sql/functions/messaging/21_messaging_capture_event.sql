CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_event()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- do no harm: when a column this trigger reads was renamed, dropped or retyped, the problem is
    -- recorded and the application's statement goes through (health turns critical; the repair is
    -- to fix the column or re-run install, then backfill)
    -- (the common case is this plan-cached catalog check, planned once per session with the
    -- trigger; a function call per statement would cost as much as the capture itself, and a SQL
    -- function with a subquery is not inlined. The guard that records the problem runs only when
    -- a column looks wrong.)
    IF EXISTS (SELECT 1 FROM pgrollup_internal.source_columns AS c
                LEFT JOIN pg_catalog.pg_attribute AS a
                  ON a.attrelid = TG_RELID AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped
               WHERE c.module = 'messaging' AND c.table_name = 'message_events'
                 AND (a.attname IS NULL
                      OR NOT CASE c.kind
                             WHEN 'id' THEN a.atttypid IN (21, 23, 20)
                             WHEN 'text' THEN a.atttypid IN (25, 1043, 1042, 19)
                             WHEN 'number' THEN a.atttypid IN (21, 23, 20, 1700, 700, 701)
                             WHEN 'timestamp' THEN a.atttypid IN (1114, 1184)
                             ELSE true END))
       AND pgrollup_internal.capture_skipped('messaging', 'message_events', TG_RELID) THEN
        RETURN NULL;
    END IF;
    -- only events whose type is mapped can change a rollup (registry edits are followed by a backfill).
    -- Events without a message_id are logged as a row with message_id NULL and their ids: the
    -- refresh counts them as set aside (and forgets them once they are fixed or deleted).
    IF TG_OP = 'INSERT' THEN
        -- one row per message with the ids of its new events: a refresh can add just those events
        -- (not when one has no occurred_at: the message is restated, which sets that event aside)
        INSERT INTO pgrollup_internal.msg_changes (message_id, event_ids)
        SELECT n.message_id,
               CASE WHEN n.message_id IS NULL OR pg_catalog.bool_and(n.occurred_at IS NOT NULL)
                    THEN pg_catalog.array_agg(n.id) END
          FROM pgr_new AS n
         WHERE EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = n.event_type)
         GROUP BY n.message_id;
    ELSIF TG_OP = 'UPDATE' THEN
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
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_event() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_event() IS 'Capture trigger (statement level, transition tables) on message_events and its partitions: appends the message ids of inserted, deleted and materially updated mapped events to the messaging change log (for inserts, one row per message with the ids of its new events; events without a message_id as one row with message_id NULL and their ids). When a column it reads has drifted it records a capture failure instead and never fails the statement.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_event()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- on a Citus shard (no pgrollup tables there): let the write through; see capture_problems()
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- do no harm: when a column this trigger reads was renamed, dropped or retyped, the problem is
    -- recorded and the application's statement goes through (health turns critical; the repair is
    -- to fix the column or re-run install, then backfill)
    -- (the common case is this plan-cached range scan of the relation's attributes, planned once
    -- per session with the trigger: the columns read below, the rows of
    -- pgrollup_internal.source_columns for message_events, with the types their kinds accept. The
    -- join with source_columns that the other messaging triggers use cost about 7% of the
    -- 8-client insert throughput more on this hot path (one measurement), and a function call
    -- per statement would cost as much as the capture itself. The guard that records the problem,
    -- capture_skipped(), reads source_columns and runs only when a column looks wrong.)
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute AS a
         WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
           AND CASE WHEN a.attname = ANY ('{id,message_id}'::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{int2,int4,int8}'::pg_catalog.regtype[]::pg_catalog.oid[])
                    WHEN a.attname = 'event_type'
                    THEN a.atttypid = ANY ('{text,varchar,bpchar,name}'::pg_catalog.regtype[]::pg_catalog.oid[])
                    WHEN a.attname = 'occurred_at'
                    THEN a.atttypid = ANY ('{timestamp,timestamptz}'::pg_catalog.regtype[]::pg_catalog.oid[])
                    ELSE false END) <> 4
       AND pgrollup_internal.capture_skipped('messaging', 'message_events', TG_RELID) THEN
        RETURN NULL;
    END IF;
    -- Events without a message_id are logged as a row with message_id NULL and their ids: the
    -- refresh counts the mapped ones as set aside (and forgets them once they are fixed or deleted).
    IF TG_OP = 'INSERT' THEN
        -- one row per message with the ids of its new events: a refresh adds just those events
        -- (not when one has no occurred_at: the message is restated, which sets that event aside).
        -- Inserts are the hot path: no lookup of the registry (the refresh reads events of
        -- unmapped types and adds nothing for them). The grouping keeps a bulk insert's log to one
        -- row per message.
        INSERT INTO pgrollup_internal.msg_changes (message_id, event_ids)
        SELECT n.message_id,
               CASE WHEN n.message_id IS NULL OR pg_catalog.bool_and(n.occurred_at IS NOT NULL)
                    THEN pg_catalog.array_agg(n.id) END
          FROM pgr_new AS n
         GROUP BY n.message_id;
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
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_event() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_event() IS 'Capture trigger (statement level, transition tables) on message_events and its partitions: appends to the messaging change log one row per message with the ids of its inserted events (whatever their type) and the message ids of deleted and materially updated mapped events (events without a message_id as one row with message_id NULL and their ids). When a column it reads has drifted it records a capture failure instead and never fails the statement.';

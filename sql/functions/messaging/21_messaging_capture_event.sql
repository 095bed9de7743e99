CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_event()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- column drift: recorded, and the statement goes through (the column check of reporting_capture)
    IF TG_RELID = '0'::pg_catalog.regclass::oid
       OR pg_catalog.pg_partition_root(TG_RELID::regclass)::oid = '0'::pg_catalog.regclass::oid THEN
        IF NOT pgrollup_internal.capture_columns_ok('messaging', 'message_events', '0'::pg_catalog.regclass) THEN
            PERFORM pgrollup_internal.capture_note_drift('messaging', 'message_events', TG_RELID);
            RETURN NULL;
        END IF;
    ELSE
        -- a Citus shard (no pgrollup tables there), or any other relation: as in reporting_capture
        IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
            RETURN NULL;
        END IF;
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
        -- events of unmapped types and adds nothing for them), no grouping and no array per row
        -- (an aggregate per statement cost a single-row insert about a sixth of the trigger's
        -- time, more than the extra log rows cost a bulk one).
        INSERT INTO pgrollup_internal.msg_changes (message_id, event_id)
        SELECT n.message_id, CASE WHEN n.message_id IS NULL OR n.occurred_at IS NOT NULL THEN n.id END
          FROM pgr_new AS n;
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
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_event() IS 'Capture trigger (statement level, transition tables) on message_events and its partitions: appends to the messaging change log one row per inserted event with its id (whatever its type) and the message ids of deleted and materially updated mapped events (events without a message_id as rows with message_id NULL and their ids). When a column it reads has drifted it records a capture failure instead and never fails the statement.';

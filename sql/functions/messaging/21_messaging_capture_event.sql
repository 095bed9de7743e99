CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_event()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- only events whose type is mapped can change a rollup (registry edits are followed by a backfill)
    IF TG_OP = 'INSERT' THEN
        -- one row per message with the ids of its new events: a refresh can add just those events
        INSERT INTO pgrollup_internal.msg_changes (message_id, event_ids)
        SELECT n.message_id, pg_catalog.array_agg(n.id)
          FROM pgr_new AS n
         WHERE EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = n.event_type)
         GROUP BY n.message_id;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT n.message_id
          FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id
         WHERE (o.id IS NULL
                OR ROW(o.message_id, o.event_type, o.occurred_at) IS DISTINCT FROM ROW(n.message_id, n.event_type, n.occurred_at))
           AND EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = n.event_type)
        UNION
        SELECT o.message_id
          FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id
         WHERE (n.id IS NULL
                OR ROW(o.message_id, o.event_type, o.occurred_at) IS DISTINCT FROM ROW(n.message_id, n.event_type, n.occurred_at))
           AND EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = o.event_type);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT DISTINCT o.message_id
          FROM pgr_old AS o
         WHERE EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = o.event_type);
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_event() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_event() IS 'Capture trigger (statement level, transition tables) on message_events: appends the message ids of inserted, deleted and materially updated mapped events to the messaging change log (for inserts, one row per message with the ids of its new events).';

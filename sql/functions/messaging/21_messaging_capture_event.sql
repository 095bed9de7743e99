CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_event()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
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
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_event() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_event() IS 'Capture trigger (statement level, transition tables) on message_events and its partitions: appends to the messaging change log one row per inserted event with its id (whatever its type; past the 16th event of a statement, rows of parallel message-id and event-id arrays of up to 65,536 events each) and the message ids of deleted and materially updated mapped events (events without a message_id as rows with message_id NULL and their ids). When a column it reads has drifted it records a capture failure instead and never fails the statement.';

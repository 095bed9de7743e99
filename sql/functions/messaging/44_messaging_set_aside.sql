CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_check_orphans(p_event_ids bigint[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Events without a message_id count toward nothing; the mapped ones are set aside. Re-examines the
-- listed events (NULL: every event of message_events) and keeps msg_set_aside in step with them:
-- an event fixed or deleted since leaves it. Callers hold the module lock.
DECLARE
    v_n bigint;
BEGIN
    IF p_event_ids IS NULL THEN
        DELETE FROM pgrollup_internal.msg_set_aside AS a
         WHERE a.source_table = 'message_events' AND a.reason = 'message_events.message_id is NULL';
        INSERT INTO pgrollup_internal.msg_set_aside (source_table, row_id, message_id, reason, tenant_id)
        SELECT 'message_events', e.id, NULL, 'message_events.message_id is NULL',
               (pg_catalog.to_jsonb(e) OPERATOR(pg_catalog.->>) 'tenant_id')::bigint   -- (the column is optional)
          FROM @source_schema@.message_events AS e
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
          FROM @source_schema@.message_events AS e
         WHERE e.id = ANY (p_event_ids)
           AND e.message_id IS NULL
           AND EXISTS (SELECT 1 FROM pgrollup.message_event_metrics AS r WHERE r.event_type = e.event_type)
        ON CONFLICT ON CONSTRAINT msg_set_aside_pkey DO NOTHING;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_check_orphans(bigint[]) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_check_orphans(bigint[]) IS 'Re-examines message_events rows without a message_id (the listed ids, or all when NULL): the mapped ones are recorded as set aside in msg_set_aside, fixed or deleted ones leave it. Callers hold the module lock.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_note_set_aside()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Summarizes msg_set_aside into the core's pgrollup_internal.rows_set_aside (module messaging,
-- one row per reason: rows currently set aside), which rollup_health reports as a warning.
-- msg_set_aside is grouped once, into a work table, and the summary is kept from it: on Citus,
-- where msg_set_aside is distributed and rows_set_aside is local to the coordinator, the grouping
-- runs on the shards and no statement joins the two.
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
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_note_set_aside() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_note_set_aside() IS 'Writes the messaging rows currently set aside (msg_set_aside), counted per reason, to pgrollup_internal.rows_set_aside; returns their total. Called at the end of every refresh and backfill.';

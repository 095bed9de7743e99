CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_health()
RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_mode  text := pgrollup_internal.messaging_mode();
    v_since timestamptz;
BEGIN
    IF v_mode = 'materialized_view' THEN
        SELECT s.value::timestamptz INTO v_since
          FROM pgrollup_internal.settings AS s WHERE s.name = 'messaging.mode_since';
        RETURN QUERY
        SELECT v_mode, NULL::bigint,
               COALESCE((SELECT pg_catalog.max(r.started_at) FROM pgrollup_internal.refresh_runs AS r
                          WHERE r.module = 'messaging' AND r.status = 'ok' AND r.started_at >= v_since), v_since);
    ELSIF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NULL THEN
        RETURN QUERY
        SELECT v_mode, COALESCE(pg_catalog.sum(COALESCE(pg_catalog.cardinality(c.message_ids), 1)), 0)::bigint, pg_catalog.min(c.captured_at)
          FROM pgrollup_internal.msg_changes AS c;
    ELSE
        -- Citus: every shard of the log counted where it is, without raising when a node does not
        -- answer (rollup_health names it); the count and the oldest change are then unknown (NULL)
        PERFORM pg_catalog.set_config('citus.node_connection_timeout', '5000', true);
        RETURN QUERY EXECUTE
            $q$SELECT $1, CASE WHEN pg_catalog.bool_and(r.success)
                               THEN COALESCE(pg_catalog.sum((r.result::jsonb ->> 0)::bigint) FILTER (WHERE r.success), 0)::bigint END,
                      CASE WHEN pg_catalog.bool_and(r.success)
                           THEN pg_catalog.min((r.result::jsonb ->> 1)::timestamptz) FILTER (WHERE r.success) END
                 FROM pg_catalog.run_command_on_shards(
                        'pgrollup_internal.msg_changes',
                        'SELECT pg_catalog.json_build_array(COALESCE(pg_catalog.sum(COALESCE(pg_catalog.cardinality(message_ids), 1)), 0), pg_catalog.min(captured_at)) FROM %s') AS r$q$
            USING v_mode;
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_health() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_health() IS 'messaging health hook: mode; pending changes (change-log rows, each event of a big INSERT''s array rows counted) and the capture time of the oldest (incremental; on Citus over every shard, NULL when a node does not answer); NULL and the start of the last successful refresh since the mode switch, else the switch time (materialized_view).';

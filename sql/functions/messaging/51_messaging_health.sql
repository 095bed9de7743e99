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
    ELSE
        RETURN QUERY
        SELECT v_mode, pg_catalog.count(*)::bigint, pg_catalog.min(c.captured_at)
          FROM pgrollup_internal.msg_changes AS c;
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_health() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_health() IS 'messaging health hook: mode; pending change-log rows and the capture time of the oldest (incremental); NULL and the start of the last successful refresh since the mode switch, else the switch time (materialized_view).';

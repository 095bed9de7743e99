CREATE OR REPLACE FUNCTION pgrollup_internal.refresh_unfinished(p_module text, p_grace interval DEFAULT NULL)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_trace    bigint := pgrollup_internal.refresh_trace(p_module);
    v_started  timestamptz;
    v_pid      integer;
    v_lost     timestamptz;
    v_finished timestamptz;
BEGIN
    -- a direct SELECT pgrollup.refresh() that started and never reached its end
    IF v_trace > 0 THEN
        v_started := pg_catalog.to_timestamp((v_trace >> 22)::double precision);
        v_pid := (v_trace & 4194303)::integer;
        IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.refresh_runs AS r
                        WHERE r.module = p_module AND r.pid = v_pid AND r.started_at >= v_started)
           AND NOT pgrollup_internal.refresh_attempt_live(v_pid, v_started, p_grace) THEN
            v_lost := v_started;
        END IF;
    END IF;
    -- a run_refresh attempt recorded as running whose statement is gone
    SELECT pg_catalog.max(r.started_at) INTO v_started
      FROM pgrollup_internal.refresh_runs AS r
     WHERE r.module = p_module AND r.status = 'running'
       AND NOT pgrollup_internal.refresh_attempt_live(r.pid, r.started_at, p_grace);
    v_lost := GREATEST(v_lost, v_started);
    IF v_lost IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT pg_catalog.max(r.started_at) INTO v_finished
      FROM pgrollup_internal.refresh_runs AS r
     WHERE r.module = p_module AND r.status IN ('ok', 'failed');
    RETURN CASE WHEN v_finished IS NULL OR v_lost > v_finished THEN v_lost END;
END;
$$;
COMMENT ON FUNCTION pgrollup_internal.refresh_unfinished(text, interval) IS 'Start of the module''s last refresh attempt when it did not finish (cancelled by statement_timeout, lock_timeout or a client, or its session ended) and no later attempt finished; NULL otherwise. Read by rollup_health.';

CREATE OR REPLACE FUNCTION pgrollup_internal.refresh_record_lost(p_module text, p_trace bigint, p_run_id bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_error   constant text := 'did not finish: cancelled (statement_timeout, lock_timeout or a client cancel) or its session ended';
    v_started timestamptz;
    v_pid     integer;
    v_count   integer;
BEGIN
    -- called under the module lock: no other attempt of this module is doing work now
    UPDATE pgrollup_internal.refresh_runs AS r
       SET status = 'cancelled', error = v_error
     WHERE r.module = p_module AND r.status = 'running' AND r.run_id IS DISTINCT FROM p_run_id
       AND NOT pgrollup_internal.refresh_attempt_live(r.pid, r.started_at);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF p_trace > 0 THEN
        v_started := pg_catalog.to_timestamp((p_trace >> 22)::double precision);
        v_pid := (p_trace & 4194303)::integer;
        IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.refresh_runs AS r
                        WHERE r.module = p_module AND r.pid = v_pid AND r.started_at >= v_started)
           AND NOT pgrollup_internal.refresh_attempt_live(v_pid, v_started) THEN
            INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status, changes_applied, error, pid)
            VALUES (p_module, v_started, NULL, 'cancelled', 0, v_error, v_pid);
            v_count := v_count + 1;
        END IF;
    END IF;
    RETURN v_count;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.refresh_record_lost(text, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.refresh_record_lost(text, bigint, bigint) IS 'Under the module lock, records the module''s earlier attempts that did not finish as cancelled: run_refresh rows left running and an unfinished trace of a direct refresh (p_trace, read before this attempt replaced it). Returns how many.';

CREATE OR REPLACE FUNCTION pgrollup.refresh(p_module text DEFAULT NULL, p_wait boolean DEFAULT true)
RETURNS TABLE(module text, status text, changes_applied bigint, duration interval)
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_module text;
    v_result record;
BEGIN
    IF p_wait IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_wait must be true or false, not NULL';
    END IF;
    IF p_module IS NOT NULL THEN
        PERFORM pgrollup_internal.module_function(p_module, 'refresh');  -- 22023 for an unknown module
    END IF;
    FOR v_module IN
        SELECT m.module FROM pgrollup_internal.modules AS m
         WHERE p_module IS NULL OR m.module = p_module
         ORDER BY m.module
    LOOP
        SELECT * INTO v_result FROM pgrollup_internal.refresh_module(v_module, p_wait);
        module := v_module;
        status := v_result.status;
        changes_applied := v_result.changes_applied;
        duration := v_result.duration;
        RETURN NEXT;
    END LOOP;
    PERFORM pgrollup_internal.prune_refresh_runs();
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.refresh(text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.refresh(text, boolean) IS 'Applies pending changes to the rollups of one module (or of every installed module when p_module is NULL) under a per-module lock, after covering new partitions of its source tables with capture triggers and restating partitions that were attached filled, detached, dropped or truncated. status: ok, skipped (another refresh holds the lock and p_wait is false) or failed (its work rolled back, the error recorded in pgrollup.refresh_runs). Safe to call from many sessions at once. An attempt cancelled by statement_timeout, lock_timeout or a client shows in rollup_health at once and in refresh_runs (cancelled) from the next refresh; CALL pgrollup.run_refresh() records it at once.';

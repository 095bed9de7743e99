CREATE OR REPLACE FUNCTION pgrollup.refresh_run(p_run_id bigint, p_wait boolean DEFAULT true)
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
    SELECT r.module INTO v_module FROM pgrollup_internal.refresh_runs AS r
     WHERE r.run_id = p_run_id AND r.status = 'running';
    IF v_module IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_run_id %s is not a running refresh attempt (see pgrollup.refresh_begin)', p_run_id);
    END IF;
    SELECT * INTO v_result FROM pgrollup_internal.refresh_module(v_module, p_wait, p_run_id);
    module := v_module;
    status := v_result.status;
    changes_applied := v_result.changes_applied;
    duration := v_result.duration;
    RETURN NEXT;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.refresh_run(bigint, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.refresh_run(bigint, boolean) IS 'Second step of pgrollup.run_refresh: refreshes the module of the attempt p_run_id (recorded by pgrollup.refresh_begin and committed) and completes its record; status ok, failed, or skipped (p_wait false and another refresh holds the module: the record is removed).';

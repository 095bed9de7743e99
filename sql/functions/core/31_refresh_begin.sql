CREATE OR REPLACE FUNCTION pgrollup.refresh_begin(p_module text DEFAULT NULL)
RETURNS SETOF bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_module IS NOT NULL THEN
        PERFORM pgrollup_internal.module_function(p_module, 'refresh');  -- 22023 for an unknown module
    END IF;
    PERFORM pgrollup_internal.prune_refresh_runs();
    RETURN QUERY
    INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status, changes_applied, pid)
    SELECT m.module, pg_catalog.clock_timestamp(), NULL, 'running', 0, pg_catalog.pg_backend_pid()
      FROM pgrollup_internal.modules AS m
     WHERE p_module IS NULL OR m.module = p_module
     ORDER BY m.module
    RETURNING run_id;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.refresh_begin(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.refresh_begin(text) IS 'First step of pgrollup.run_refresh: records a running attempt per module (one, or every installed module when p_module is NULL) and returns their run ids; the caller commits before pgrollup.refresh_run does the work, so a cancelled attempt keeps its record.';

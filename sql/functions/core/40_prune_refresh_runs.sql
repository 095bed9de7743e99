CREATE OR REPLACE FUNCTION pgrollup_internal.prune_refresh_runs()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_keep interval;
    v_deleted bigint;
BEGIN
    SELECT s.value::interval INTO v_keep FROM pgrollup_internal.settings AS s
     WHERE s.name = 'refresh_runs_retention';
    DELETE FROM pgrollup_internal.refresh_runs AS r
     WHERE COALESCE(r.finished_at, r.started_at) < pg_catalog.now() - COALESCE(v_keep, interval '30 days');
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.prune_refresh_runs() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.prune_refresh_runs() IS 'Deletes refresh_runs rows older than the refresh_runs_retention setting (default 30 days); called by pgrollup.refresh.';

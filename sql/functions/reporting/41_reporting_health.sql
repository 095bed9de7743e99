CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_health()
RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode    text := COALESCE((SELECT s.value FROM pgrollup_internal.settings AS s WHERE s.name = 'reporting_mode'), 'realtime');
    v_pending bigint;
    v_missing bigint;
BEGIN
    -- reads fold the log in, so they are never stale: stale_since stays NULL. pending_changes is
    -- what the next refresh applies and what every read of rollups folds in; it grows without
    -- bound when refresh does not run (no pg_cron job), which the operator must see.
    IF pgrollup_internal.citus_placement('pgrollup_internal.reporting_changes'::regclass) IS NULL THEN
        RETURN QUERY SELECT v_mode, (SELECT pg_catalog.count(*) FROM pgrollup_internal.reporting_changes), NULL::timestamptz;
        RETURN;
    END IF;
    -- Citus: every shard of the log counted where it is, without raising when a node does not
    -- answer (rollup_health names it); the sum is then unknown (NULL)
    PERFORM pg_catalog.set_config('citus.node_connection_timeout', '5000', true);
    EXECUTE $q$SELECT pg_catalog.sum(r.result::bigint) FILTER (WHERE r.success), pg_catalog.count(*) FILTER (WHERE NOT r.success)
                 FROM pg_catalog.run_command_on_shards('pgrollup_internal.reporting_changes', 'SELECT pg_catalog.count(*) FROM %s') AS r$q$
       INTO v_pending, v_missing;
    RETURN QUERY SELECT v_mode, CASE WHEN v_missing = 0 THEN COALESCE(v_pending, 0) END, NULL::timestamptz;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_health() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_health() IS 'Health hook of the reporting module: mode (realtime), change-log rows not applied yet over every shard on Citus (NULL when a node does not answer; every read folds them in; refresh applies them), and NULL staleness (reads are current at commit).';

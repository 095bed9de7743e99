CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_health()
RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- reads fold the log in, so they are never stale: stale_since stays NULL. pending_changes is
    -- what the next refresh applies and what every read of rollups folds in; it grows without
    -- bound when refresh does not run (no pg_cron job), which the operator must see.
    SELECT COALESCE((SELECT s.value FROM pgrollup_internal.settings AS s WHERE s.name = 'reporting_mode'), 'realtime'),
           (SELECT pg_catalog.count(*) FROM pgrollup_internal.reporting_changes),
           NULL::timestamptz;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_health() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_health() IS 'Health hook of the reporting module: mode (realtime), change-log rows not applied yet (every read folds them in; refresh applies them), and NULL staleness (reads are current at commit).';

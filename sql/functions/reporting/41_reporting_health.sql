CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_health()
RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((SELECT s.value FROM pgrollup_internal.settings AS s WHERE s.name = 'reporting_mode'), 'immediate'),
           (SELECT pg_catalog.count(*) FROM pgrollup_internal.reporting_changes),
           (SELECT pg_catalog.min(c.captured_at) FROM pgrollup_internal.reporting_changes AS c);
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_health() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_health() IS 'Health hook of the reporting module: mode (immediate or deferred), change-log rows not applied yet, and the capture time of the oldest of them (NULL when current).';

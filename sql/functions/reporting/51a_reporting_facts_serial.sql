CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_facts_serial(
    p_account_id bigint, p_since timestamptz, p_until timestamptz,
    p_day_from date, p_day_to date, p_rollup_from timestamptz, p_rollup_to timestamptz,
    p_timezone text, p_unit text, p_dimension_type text, p_dimension_id bigint,
    p_metrics text[], p_business_hours boolean)
RETURNS TABLE(dimension_id bigint, bucket_date date, bucket_hour timestamptz, metric text,
              count bigint, total double precision)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET max_parallel_workers_per_gather = 0   -- a few thousand rollup rows: starting workers costs more than it saves
AS $$
    SELECT * FROM pgrollup_internal.reporting_facts(p_account_id, p_since, p_until, p_day_from, p_day_to,
                                                    p_rollup_from, p_rollup_to, p_timezone, p_unit,
                                                    p_dimension_type, p_dimension_id, p_metrics, p_business_hours)
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_facts_serial(bigint, timestamptz, timestamptz, date, date, timestamptz, timestamptz, text, text, text, bigint, text[], boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_facts_serial(bigint, timestamptz, timestamptz, date, date, timestamptz, timestamptz, text, text, text, bigint, text[], boolean) IS 'pgrollup_internal.reporting_facts without parallel workers: used when whole days come from rollups (sources rollup and hybrid), whose few thousand rows are read faster by one process; raw reads keep the server''s parallel settings.';

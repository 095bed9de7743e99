CREATE OR REPLACE FUNCTION pgrollup.report_timeseries(p_account_id bigint, p_metric text, p_since timestamptz,
                                                      p_until timestamptz, p_group_by text DEFAULT 'day',
                                                      p_timezone text DEFAULT NULL,
                                                      p_dimension_type text DEFAULT 'account',
                                                      p_dimension_id bigint DEFAULT NULL,
                                                      p_business_hours boolean DEFAULT false)
RETURNS TABLE(bucket_start timestamptz, value double precision, count bigint, source text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
#variable_conflict use_column
DECLARE
    v_plan   record;
    v_rollup text;
    v_avg    boolean;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    v_rollup := CASE p_metric
                    WHEN 'resolutions_count' THEN 'resolutions_count'
                    WHEN 'avg_resolution_time' THEN 'resolution_time'
                    WHEN 'avg_first_response_time' THEN 'first_response'
                    WHEN 'avg_reply_time' THEN 'reply_time'
                    WHEN 'bot_resolutions_count' THEN 'bot_resolutions_count'
                    WHEN 'bot_handoffs_count' THEN 'bot_handoffs_count'
                END;
    IF v_rollup IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_metric must be one of resolutions_count, avg_resolution_time, avg_first_response_time, avg_reply_time, bot_resolutions_count, bot_handoffs_count, not %s',
                                        COALESCE(pg_catalog.quote_literal(p_metric), 'NULL'));
    END IF;
    v_avg := p_metric LIKE 'avg\_%';
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('%s must not be NULL', CASE WHEN p_since IS NULL THEN 'p_since' ELSE 'p_until' END);
    END IF;
    IF NOT pg_catalog.isfinite(p_since) OR NOT pg_catalog.isfinite(p_until) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('%s must be finite for a time series', CASE WHEN NOT pg_catalog.isfinite(p_since) THEN 'p_since' ELSE 'p_until' END);
    END IF;
    IF p_since >= p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_since (%s) must be before p_until (%s)', p_since, p_until);
    END IF;
    IF p_group_by IS NULL OR p_group_by NOT IN ('hour', 'day', 'week', 'month', 'year') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_group_by must be hour, day, week, month or year, not %s',
                                        COALESCE(pg_catalog.quote_literal(p_group_by), 'NULL'));
    END IF;
    IF p_dimension_type IS NULL OR p_dimension_type NOT IN ('account', 'agent', 'inbox') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_dimension_type must be account, agent or inbox, not %s',
                                        COALESCE(pg_catalog.quote_literal(p_dimension_type), 'NULL'));
    END IF;
    IF p_business_hours IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_business_hours must be true or false, not NULL';
    END IF;
    -- every bucket of the range is returned, empty ones included: refuse a huge range before any work
    PERFORM pgrollup_internal.check_read_size('report_timeseries', p_group_by,
                                              pgrollup_internal.range_buckets(p_since, p_until, p_group_by));
    v_plan := pgrollup_internal.reporting_plan(p_account_id, p_since, p_until, p_timezone, p_group_by);
    IF p_group_by = 'hour' THEN
        RETURN QUERY
        WITH b AS (
            SELECT DISTINCT pg_catalog.date_trunc('hour', x.x, v_plan.timezone) AS h
              FROM (SELECT pg_catalog.generate_series(p_since, p_until, interval '15 minutes') AS x
                    UNION ALL SELECT p_until - interval '1 microsecond') AS x
             WHERE x.x < p_until
        ), f AS (
            SELECT * FROM pgrollup_internal.reporting_facts_serial(
                p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
                v_plan.timezone, 'hour', p_dimension_type, p_dimension_id, ARRAY[v_rollup], p_business_hours) WHERE v_plan.source <> 'raw'
            UNION ALL
            SELECT * FROM pgrollup_internal.reporting_facts(
                p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
                v_plan.timezone, 'hour', p_dimension_type, p_dimension_id, ARRAY[v_rollup], p_business_hours) WHERE v_plan.source = 'raw'
        )
        SELECT b.h,
               CASE WHEN NOT v_avg THEN COALESCE(pg_catalog.sum(f.count), 0)::double precision
                    ELSE COALESCE(pg_catalog.sum(f.total) / NULLIF(pg_catalog.sum(f.count), 0), 0) END,
               COALESCE(pg_catalog.sum(f.count), 0)::bigint,
               v_plan.source
          FROM b LEFT JOIN f ON f.bucket_hour = b.h
         GROUP BY b.h
         ORDER BY b.h;
    ELSE
        RETURN QUERY
        WITH b AS (
            SELECT DISTINCT pgrollup_internal.reporting_bucket_date(d.d::date, p_group_by) AS k
              FROM pg_catalog.generate_series((p_since AT TIME ZONE v_plan.timezone)::date::timestamp without time zone,
                                              ((p_until - interval '1 microsecond') AT TIME ZONE v_plan.timezone)::date::timestamp without time zone,
                                              interval '1 day') AS d(d)
        ), f AS (
            SELECT * FROM pgrollup_internal.reporting_facts_serial(
                p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
                v_plan.timezone, p_group_by, p_dimension_type, p_dimension_id, ARRAY[v_rollup], p_business_hours) WHERE v_plan.source <> 'raw'
            UNION ALL
            SELECT * FROM pgrollup_internal.reporting_facts(
                p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
                v_plan.timezone, p_group_by, p_dimension_type, p_dimension_id, ARRAY[v_rollup], p_business_hours) WHERE v_plan.source = 'raw'
        )
        SELECT pgrollup_internal.reporting_day_start(b.k, v_plan.timezone),
               CASE WHEN NOT v_avg THEN COALESCE(pg_catalog.sum(f.count), 0)::double precision
                    ELSE COALESCE(pg_catalog.sum(f.total) / NULLIF(pg_catalog.sum(f.count), 0), 0) END,
               COALESCE(pg_catalog.sum(f.count), 0)::bigint,
               v_plan.source
          FROM b LEFT JOIN f ON f.bucket_date = b.k
         GROUP BY b.k
         ORDER BY b.k;
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.report_timeseries(bigint, text, timestamptz, timestamptz, text, text, text, bigint, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.report_timeseries(bigint, text, timestamptz, timestamptz, text, text, text, bigint, boolean) IS 'Time series of one reporting metric over p_since <= created_at < p_until in local hour, day, week (from Sunday), month or year buckets of p_timezone (default the account''s zone, else UTC); every overlapping bucket appears once (empty: count 0, value 0). value = count for count metrics, average for avg_* metrics; bot_handoffs_count counts distinct conversations per bucket. p_dimension_id NULL = every id of the dimension type. Whole local days come from rollups when possible; source says rollup, hybrid or raw. A range of more than max_read_buckets (100000 by default) buckets is refused with 22023 before any work.';

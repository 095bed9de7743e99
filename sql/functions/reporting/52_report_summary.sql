CREATE OR REPLACE FUNCTION pgrollup.report_summary(p_account_id bigint, p_since timestamptz, p_until timestamptz,
                                                   p_dimension_type text DEFAULT 'account',
                                                   p_business_hours boolean DEFAULT false)
RETURNS TABLE(dimension_id bigint, resolutions_count bigint, avg_resolution_time double precision,
              avg_first_response_time double precision, avg_reply_time double precision,
              bot_resolutions_count bigint, bot_handoffs_count bigint, source text)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
#variable_conflict use_column
DECLARE
    v_plan record;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('%s must not be NULL', CASE WHEN p_since IS NULL THEN 'p_since' ELSE 'p_until' END);
    END IF;
    IF p_since >= p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_since (%s) must be before p_until (%s)', p_since, p_until);
    END IF;
    IF p_dimension_type IS NULL OR p_dimension_type NOT IN ('account', 'agent', 'inbox') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_dimension_type must be account, agent or inbox, not %s',
                                        COALESCE(pg_catalog.quote_literal(p_dimension_type), 'NULL'));
    END IF;
    IF p_business_hours IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_business_hours must be true or false, not NULL';
    END IF;
    v_plan := pgrollup_internal.reporting_plan(p_account_id, p_since, p_until, NULL, NULL);
    RETURN QUERY
    WITH f AS (
        SELECT * FROM pgrollup_internal.reporting_facts_serial(
            p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
            v_plan.timezone, NULL, p_dimension_type, NULL,
            ARRAY['resolutions_count', 'resolution_time', 'first_response', 'reply_time',
                  'bot_resolutions_count', 'bot_handoffs_count'], p_business_hours) WHERE v_plan.source <> 'raw'
        UNION ALL
        SELECT * FROM pgrollup_internal.reporting_facts(
            p_account_id, p_since, p_until, v_plan.day_from, v_plan.day_to, v_plan.rollup_from, v_plan.rollup_to,
            v_plan.timezone, NULL, p_dimension_type, NULL,
            ARRAY['resolutions_count', 'resolution_time', 'first_response', 'reply_time',
                  'bot_resolutions_count', 'bot_handoffs_count'], p_business_hours) WHERE v_plan.source = 'raw'
    ), ids AS (
        SELECT p_account_id AS id WHERE p_dimension_type = 'account'
        UNION
        SELECT f.dimension_id FROM f WHERE p_dimension_type <> 'account'
    )
    SELECT ids.id,
           COALESCE(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'resolutions_count'), 0)::bigint,
           pg_catalog.sum(f.total) FILTER (WHERE f.metric = 'resolution_time')
             / NULLIF(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'resolution_time'), 0),
           pg_catalog.sum(f.total) FILTER (WHERE f.metric = 'first_response')
             / NULLIF(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'first_response'), 0),
           pg_catalog.sum(f.total) FILTER (WHERE f.metric = 'reply_time')
             / NULLIF(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'reply_time'), 0),
           COALESCE(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'bot_resolutions_count'), 0)::bigint,
           COALESCE(pg_catalog.sum(f.count) FILTER (WHERE f.metric = 'bot_handoffs_count'), 0)::bigint,
           v_plan.source
      FROM ids
      LEFT JOIN f ON f.dimension_id = ids.id
     GROUP BY ids.id
     ORDER BY ids.id;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.report_summary(bigint, timestamptz, timestamptz, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.report_summary(bigint, timestamptz, timestamptz, text, boolean) IS 'Reporting summary of an account over p_since <= created_at < p_until: one row per dimension id (account: exactly one row) with resolutions, average resolution / first response / reply times (business-hours values when p_business_hours; NULL when none), bot resolutions and distinct handed-off conversations. Whole local days come from rollups when the account has a zone and reads are enabled; source says rollup, hybrid or raw.';

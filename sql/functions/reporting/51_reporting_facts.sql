CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_facts(
    p_account_id bigint, p_since timestamptz, p_until timestamptz,
    p_day_from date, p_day_to date, p_rollup_from timestamptz, p_rollup_to timestamptz,
    p_timezone text, p_unit text, p_dimension_type text, p_dimension_id bigint,
    p_metrics text[], p_business_hours boolean)
RETURNS TABLE(dimension_id bigint, bucket_date date, bucket_hour timestamptz, metric text,
              count bigint, total double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
#variable_conflict use_column
DECLARE
    v_names text[];
BEGIN
    -- Counts and value sums per dimension id, bucket and metric for events with
    -- p_since <= created_at < p_until: local days [p_day_from, p_day_to) from the rollups (and the
    -- handoff presence table), the rest, [p_since, p_rollup_from) and [p_rollup_to, p_until), from
    -- raw events with plain range predicates on created_at (index-usable). bot_handoffs_count is
    -- the number of distinct conversations per dimension id and bucket over both parts.
    v_names := ARRAY(SELECT DISTINCT m.event_name FROM pgrollup.event_metrics AS m WHERE m.rollup_metric = ANY (p_metrics));
    RETURN QUERY
    WITH ev AS (
        SELECT e.account_id::bigint AS account_id, e.name::text AS name, e.user_id::bigint AS user_id,
               e.inbox_id::bigint AS inbox_id, e.conversation_id::bigint AS conv,
               e.value::double precision AS value, e.value_in_business_hours::double precision AS value_bh,
               pgrollup_internal.utc(e.created_at) AS ts
          FROM @source_schema@.reporting_events AS e
         WHERE e.account_id = p_account_id AND e.name = ANY (v_names)
           AND e.created_at >= p_since AND e.created_at < p_rollup_from
        UNION ALL
        SELECT e.account_id::bigint, e.name::text, e.user_id::bigint, e.inbox_id::bigint, e.conversation_id::bigint,
               e.value::double precision, e.value_in_business_hours::double precision,
               pgrollup_internal.utc(e.created_at)
          FROM @source_schema@.reporting_events AS e
         WHERE e.account_id = p_account_id AND e.name = ANY (v_names)
           AND e.created_at >= p_rollup_to AND e.created_at < p_until
    ), rx AS (
        SELECT d.id AS dimension_id,
               CASE WHEN p_unit IS NOT NULL AND p_unit <> 'hour'
                    THEN pgrollup_internal.reporting_bucket_date((ev.ts AT TIME ZONE p_timezone)::date, p_unit) END AS bucket_date,
               CASE WHEN p_unit = 'hour' THEN pg_catalog.date_trunc('hour', ev.ts, p_timezone) END AS bucket_hour,
               m.rollup_metric AS metric, ev.conv,
               CASE WHEN m.payload_kind = 'duration'
                    THEN COALESCE(CASE WHEN p_business_hours THEN ev.value_bh ELSE ev.value END, 0)
                    ELSE 0 END AS v
          FROM ev
          JOIN pgrollup.event_metrics AS m ON m.event_name = ev.name AND m.rollup_metric = ANY (p_metrics)
         CROSS JOIN LATERAL (VALUES ('account'::text, ev.account_id), ('agent'::text, ev.user_id), ('inbox'::text, ev.inbox_id)) AS d(t, id)
         WHERE d.t = p_dimension_type AND d.id IS NOT NULL AND (p_dimension_id IS NULL OR d.id = p_dimension_id)
    ), parts AS (
        SELECT rx.dimension_id, rx.bucket_date, rx.bucket_hour, rx.metric, pg_catalog.count(*) AS c, pg_catalog.sum(rx.v) AS v
          FROM rx WHERE rx.metric <> 'bot_handoffs_count'
         GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT r.dimension_id,
               CASE WHEN p_unit IS NOT NULL THEN pgrollup_internal.reporting_bucket_date(r.date, p_unit) END,
               NULL::timestamptz, r.metric, pg_catalog.sum(r.count)::bigint,
               pg_catalog.sum(CASE WHEN p_business_hours THEN r.sum_value_business_hours ELSE r.sum_value END)
          FROM pgrollup.reporting_events_rollups AS r
         WHERE r.account_id = p_account_id AND r.dimension_type = p_dimension_type
           AND r.date >= p_day_from AND r.date < p_day_to
           AND r.metric = ANY (p_metrics) AND r.metric <> 'bot_handoffs_count'
           AND (p_dimension_id IS NULL OR r.dimension_id = p_dimension_id)
         GROUP BY 1, 2, 3, 4
        UNION ALL
        SELECT x.dimension_id, x.bucket_date, x.bucket_hour, 'bot_handoffs_count', pg_catalog.count(DISTINCT x.conv), 0
          FROM (SELECT rx.dimension_id, rx.bucket_date, rx.bucket_hour, rx.conv
                  FROM rx WHERE rx.metric = 'bot_handoffs_count' AND rx.conv IS NOT NULL
                UNION ALL
                SELECT h.dimension_id,
                       CASE WHEN p_unit IS NOT NULL THEN pgrollup_internal.reporting_bucket_date(h.date, p_unit) END,
                       NULL::timestamptz, h.conversation_id
                  FROM pgrollup_internal.reporting_handoffs AS h
                 WHERE 'bot_handoffs_count' = ANY (p_metrics)
                   AND h.account_id = p_account_id AND h.dimension_type = p_dimension_type
                   AND h.date >= p_day_from AND h.date < p_day_to
                   AND (p_dimension_id IS NULL OR h.dimension_id = p_dimension_id)) AS x
         GROUP BY 1, 2, 3
    )
    SELECT p.dimension_id, p.bucket_date, p.bucket_hour, p.metric, pg_catalog.sum(p.c)::bigint, pg_catalog.sum(p.v)
      FROM parts AS p
     GROUP BY 1, 2, 3, 4;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_facts(bigint, timestamptz, timestamptz, date, date, timestamptz, timestamptz, text, text, text, bigint, text[], boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_facts(bigint, timestamptz, timestamptz, date, date, timestamptz, timestamptz, text, text, text, bigint, text[], boolean) IS 'Read engine of report_summary and report_timeseries: event counts, value sums and distinct handoff conversations per dimension id, bucket and metric, whole local days from rollups and the rest from raw events.';

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
SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_names text[];
    v_handoff_names text[];
    v_daily boolean;
    v_sum_handoffs boolean;
    v_month_from date;
    v_month_to date;
    v_plus1_to date;
    v_plus2_from date;
    v_minus1_from date;
    v_minus2_to date;
    v_whole_from date;
    v_whole_to date;
    v_edge_month date;
    v_tail_handoffs boolean;
BEGIN
    -- Counts and value sums per dimension id, bucket and metric for events with
    -- p_since <= created_at < p_until: local days [p_day_from, p_day_to) from the rollups (and the
    -- handoff presence table), the rest, [p_since, p_rollup_from) and [p_rollup_to, p_until), from
    -- raw events with plain range predicates on created_at (index-usable). bot_handoffs_count is
    -- the number of distinct conversations per dimension id and bucket over both parts.
    -- event names feeding the requested sum/count metrics and the distinct handoff metric; the
    -- two raw scans below read disjoint name sets, so together they read each event once
    v_names := ARRAY(SELECT DISTINCT m.event_name FROM pgrollup.event_metrics AS m
                      WHERE m.rollup_metric = ANY (p_metrics) AND m.rollup_metric <> 'bot_handoffs_count');
    v_handoff_names := ARRAY(SELECT DISTINCT m.event_name FROM pgrollup.event_metrics AS m
                              WHERE m.rollup_metric = ANY (p_metrics) AND m.rollup_metric = 'bot_handoffs_count');
    -- daily buckets of one dimension id: a whole day's distinct handoffs is its rollup count (a
    -- bucket is then either a whole rollup day or a partial raw day), no presence scan needed
    v_daily := COALESCE(p_unit = 'day', false) AND (p_dimension_type = 'account' OR p_dimension_id IS NOT NULL);
    -- one bucket (a summary) over whole days: distinct handoffs = the days' summed daily counts
    -- (monthly totals included) minus the repeats of a conversation within those days, plus the
    -- raw-edge conversations absent from them; no presence scan
    v_sum_handoffs := COALESCE(p_unit IS NULL AND p_day_from < p_day_to AND 'bot_handoffs_count' = ANY (p_metrics), false);
    -- Reads are current at commit: the change log not applied yet (its rows of this account in
    -- the rollup days) is folded in like raw events weighted by their sign. A handoff change in
    -- it makes the daily distinct counts, monthly totals and repeats inexact for its days, so
    -- distinct handoffs are then counted from the presence rows plus the log's signed handoffs
    -- per conversation (exact for inserts, updates and deletes alike).
    v_tail_handoffs := COALESCE(p_day_from < p_day_to AND pg_catalog.cardinality(v_handoff_names) > 0, false)
                       AND EXISTS (SELECT 1 FROM pgrollup_internal.reporting_changes AS c
                                    WHERE c.account_id = p_account_id AND c.name = ANY (v_handoff_names)
                                      AND c.conversation_id IS NOT NULL
                                      AND c.created_at >= p_rollup_from AND c.created_at < p_rollup_to);
    IF v_tail_handoffs THEN
        v_daily := false;
        v_sum_handoffs := false;
    END IF;
    -- Rollup days [p_day_from, p_day_to) when buckets are months, years or the whole range: whole
    -- local months from the monthly totals; a partial month at either end either from its daily
    -- rows or, when fewer days lie outside the range than inside, as its monthly total minus the
    -- daily rows of the days outside the range. Daily rows read with sign +1:
    -- [p_day_from, v_plus1_to) and [v_plus2_from, p_day_to); monthly rows of
    -- [v_month_from, v_month_to); daily rows with sign -1: [v_minus1_from, p_day_from) and
    -- [p_day_to, v_minus2_to). Other units (and ranges inside one month): daily rows only.
    v_plus1_to := p_day_to;
    v_plus2_from := p_day_to;
    v_month_from := p_day_to;
    v_month_to := p_day_to;
    v_minus1_from := p_day_from;
    v_minus2_to := p_day_to;
    IF (p_unit IS NULL OR p_unit IN ('month', 'year')) AND p_day_from < p_day_to THEN
        v_whole_from := pg_catalog.date_trunc('month', (p_day_from - 1)::timestamp + interval '1 month')::date;
        v_whole_to := pg_catalog.date_trunc('month', p_day_to::timestamp)::date;
        IF v_whole_from <= v_whole_to THEN
            v_month_from := v_whole_from;
            v_month_to := v_whole_to;
            v_plus1_to := v_whole_from;
            v_plus2_from := v_whole_to;
            v_edge_month := (v_whole_from::timestamp - interval '1 month')::date;
            IF p_day_from > v_edge_month AND p_day_from - v_edge_month < v_whole_from - p_day_from THEN
                v_month_from := v_edge_month;          -- the first month's total minus its days before the range
                v_plus1_to := p_day_from;
                v_minus1_from := v_edge_month;
            END IF;
            v_edge_month := (v_whole_to::timestamp + interval '1 month')::date;
            IF p_day_to > v_whole_to AND v_edge_month - p_day_to < p_day_to - v_whole_to THEN
                v_month_to := v_edge_month;            -- the last month's total minus its days after the range
                v_plus2_from := p_day_to;
                v_minus2_to := v_edge_month;
            END IF;
        END IF;
    END IF;
    RETURN QUERY
    WITH raw_sums AS (
        SELECT x.dimension_id,
               CASE WHEN p_unit IS NOT NULL AND p_unit <> 'hour'
                    THEN pgrollup_internal.reporting_bucket_date((x.ts AT TIME ZONE p_timezone)::date, p_unit) END AS bucket_date,
               CASE WHEN p_unit = 'hour' THEN pg_catalog.date_trunc('hour', x.ts, p_timezone) END AS bucket_hour,
               m.rollup_metric AS metric, pg_catalog.sum(x.w)::bigint AS c,
               pg_catalog.sum(x.w * CASE WHEN m.payload_kind = 'duration'
                                   THEN COALESCE(CASE WHEN p_business_hours THEN x.value_bh ELSE x.value END, 0)
                                   ELSE 0 END) AS v
          FROM (SELECT CASE p_dimension_type WHEN 'account' THEN e.account_id::bigint
                                             WHEN 'agent' THEN e.user_id::bigint
                                             ELSE e.inbox_id::bigint END AS dimension_id,
                       e.name::text AS name, pgrollup_internal.to_value(e.value) AS value,
                       pgrollup_internal.to_value(e.value_in_business_hours) AS value_bh,
                       pgrollup_internal.utc(e.created_at) AS ts, 1 AS w
                  FROM @source_schema@.reporting_events AS e
                 WHERE e.account_id = p_account_id AND e.name = ANY (v_names)
                   AND e.created_at >= p_since AND e.created_at < p_rollup_from
                UNION ALL
                SELECT CASE p_dimension_type WHEN 'account' THEN e.account_id::bigint
                                             WHEN 'agent' THEN e.user_id::bigint
                                             ELSE e.inbox_id::bigint END,
                       e.name::text, pgrollup_internal.to_value(e.value), pgrollup_internal.to_value(e.value_in_business_hours),
                       pgrollup_internal.utc(e.created_at), 1
                  FROM @source_schema@.reporting_events AS e
                 WHERE e.account_id = p_account_id AND e.name = ANY (v_names)
                   AND e.created_at >= p_rollup_to AND e.created_at < p_until
                UNION ALL
                -- the change log not applied yet, within the rollup days: signed raw events
                SELECT CASE p_dimension_type WHEN 'account' THEN c.account_id
                                             WHEN 'agent' THEN c.user_id
                                             ELSE c.inbox_id END,
                       c.name, c.value, c.value_bh, c.created_at, c.sign
                  FROM pgrollup_internal.reporting_changes AS c
                 WHERE p_day_from < p_day_to AND c.account_id = p_account_id AND c.name = ANY (v_names)
                   AND c.created_at >= p_rollup_from AND c.created_at < p_rollup_to) AS x
          JOIN pgrollup.event_metrics AS m
            ON m.event_name = x.name AND m.rollup_metric = ANY (p_metrics) AND m.rollup_metric <> 'bot_handoffs_count'
         WHERE x.dimension_id IS NOT NULL AND (p_dimension_id IS NULL OR x.dimension_id = p_dimension_id)
         GROUP BY 1, 2, 3, 4
    ), rollup_sums AS (
        SELECT r.dimension_id,
               CASE WHEN p_unit IS NOT NULL THEN pgrollup_internal.reporting_bucket_date(r.date, p_unit) END AS bucket_date,
               NULL::timestamptz AS bucket_hour, r.metric, pg_catalog.sum(r.count)::bigint AS c,
               pg_catalog.sum(CASE WHEN p_business_hours THEN r.sum_value_business_hours ELSE r.sum_value END) AS v
          FROM (SELECT d.dimension_id, d.date, d.metric, d.count, d.sum_value, d.sum_value_business_hours
                  FROM pgrollup_internal.reporting_daily_rollups AS d
                 WHERE d.account_id = p_account_id AND d.dimension_type = p_dimension_type
                   AND d.date >= p_day_from AND d.date < v_plus1_to
                   AND d.metric = ANY (p_metrics) AND (d.metric <> 'bot_handoffs_count' OR v_daily OR v_sum_handoffs)
                   AND (p_dimension_id IS NULL OR d.dimension_id = p_dimension_id)
                UNION ALL
                SELECT d.dimension_id, d.date, d.metric, d.count, d.sum_value, d.sum_value_business_hours
                  FROM pgrollup_internal.reporting_daily_rollups AS d
                 WHERE d.account_id = p_account_id AND d.dimension_type = p_dimension_type
                   AND d.date >= v_plus2_from AND d.date < p_day_to
                   AND d.metric = ANY (p_metrics) AND (d.metric <> 'bot_handoffs_count' OR v_daily OR v_sum_handoffs)
                   AND (p_dimension_id IS NULL OR d.dimension_id = p_dimension_id)
                UNION ALL
                SELECT m.dimension_id, m.month, m.metric, m.count, m.sum_value, m.sum_value_business_hours
                  FROM pgrollup_internal.reporting_monthly_rollups AS m
                 WHERE m.account_id = p_account_id AND m.dimension_type = p_dimension_type
                   AND m.month >= v_month_from AND m.month < v_month_to
                   AND m.metric = ANY (p_metrics) AND (m.metric <> 'bot_handoffs_count' OR v_sum_handoffs)
                   AND (p_dimension_id IS NULL OR m.dimension_id = p_dimension_id)
                UNION ALL
                SELECT d.dimension_id, d.date, d.metric, -d.count, -d.sum_value, -d.sum_value_business_hours
                  FROM pgrollup_internal.reporting_daily_rollups AS d
                 WHERE d.account_id = p_account_id AND d.dimension_type = p_dimension_type
                   AND ((d.date >= v_minus1_from AND d.date < p_day_from) OR (d.date >= p_day_to AND d.date < v_minus2_to))
                   AND d.metric = ANY (p_metrics) AND (d.metric <> 'bot_handoffs_count' OR v_sum_handoffs)
                   AND (p_dimension_id IS NULL OR d.dimension_id = p_dimension_id)) AS r
         GROUP BY 1, 2, 3, 4
        HAVING pg_catalog.sum(r.count) <> 0     -- a dimension whose only events lie outside the range
    ), handoffs AS (
        SELECT y.dimension_id, y.bucket_date, y.bucket_hour, 'bot_handoffs_count'::text AS metric,
               pg_catalog.count(DISTINCT y.conv) AS c, 0::double precision AS v
          FROM (SELECT x.dimension_id,
                       CASE WHEN p_unit IS NOT NULL AND p_unit <> 'hour'
                            THEN pgrollup_internal.reporting_bucket_date((x.ts AT TIME ZONE p_timezone)::date, p_unit) END AS bucket_date,
                       CASE WHEN p_unit = 'hour' THEN pg_catalog.date_trunc('hour', x.ts, p_timezone) END AS bucket_hour,
                       x.conv
                  FROM (SELECT CASE p_dimension_type WHEN 'account' THEN e.account_id::bigint
                                                     WHEN 'agent' THEN e.user_id::bigint
                                                     ELSE e.inbox_id::bigint END AS dimension_id,
                               e.conversation_id::bigint AS conv, pgrollup_internal.utc(e.created_at) AS ts
                          FROM @source_schema@.reporting_events AS e
                         WHERE e.account_id = p_account_id AND e.name = ANY (v_handoff_names)
                           AND e.created_at >= p_since AND e.created_at < p_rollup_from
                        UNION ALL
                        SELECT CASE p_dimension_type WHEN 'account' THEN e.account_id::bigint
                                                     WHEN 'agent' THEN e.user_id::bigint
                                                     ELSE e.inbox_id::bigint END,
                               e.conversation_id::bigint, pgrollup_internal.utc(e.created_at)
                          FROM @source_schema@.reporting_events AS e
                         WHERE e.account_id = p_account_id AND e.name = ANY (v_handoff_names)
                           AND e.created_at >= p_rollup_to AND e.created_at < p_until) AS x
                 WHERE x.dimension_id IS NOT NULL AND x.conv IS NOT NULL
                   AND (p_dimension_id IS NULL OR x.dimension_id = p_dimension_id)
                   -- summed daily counts: an edge conversation adds one only when absent from the whole days
                   AND NOT (v_sum_handoffs AND EXISTS (
                       SELECT 1 FROM pgrollup_internal.reporting_handoffs AS h2
                        WHERE h2.account_id = p_account_id AND h2.dimension_type = p_dimension_type
                          AND h2.dimension_id = x.dimension_id AND h2.conversation_id = x.conv
                          AND h2.date >= p_day_from AND h2.date < p_day_to))
                UNION ALL
                SELECT h.dimension_id,
                       CASE WHEN p_unit IS NOT NULL THEN pgrollup_internal.reporting_bucket_date(h.date, p_unit) END,
                       NULL::timestamptz, h.conversation_id
                  FROM pgrollup_internal.reporting_handoffs AS h
                 WHERE NOT v_daily AND NOT v_sum_handoffs AND NOT v_tail_handoffs
                   AND h.account_id = p_account_id AND h.dimension_type = p_dimension_type
                   AND h.date >= p_day_from AND h.date < p_day_to
                   AND (p_dimension_id IS NULL OR h.dimension_id = p_dimension_id)
                UNION ALL
                -- whole days with handoff changes not applied yet: presence after the log
                SELECT z.dimension_id,
                       CASE WHEN p_unit IS NOT NULL THEN pgrollup_internal.reporting_bucket_date(z.date, p_unit) END,
                       NULL::timestamptz, z.conv
                  FROM (SELECT u.dimension_id, u.date, u.conv
                          FROM (SELECT h.dimension_id, h.date, h.conversation_id AS conv, h.events AS ev
                                  FROM pgrollup_internal.reporting_handoffs AS h
                                 WHERE v_tail_handoffs AND h.account_id = p_account_id AND h.dimension_type = p_dimension_type
                                   AND h.date >= p_day_from AND h.date < p_day_to
                                   AND (p_dimension_id IS NULL OR h.dimension_id = p_dimension_id)
                                UNION ALL
                                SELECT CASE p_dimension_type WHEN 'account' THEN c.account_id
                                                             WHEN 'agent' THEN c.user_id
                                                             ELSE c.inbox_id END,
                                       (c.created_at AT TIME ZONE p_timezone)::date, c.conversation_id, c.sign::bigint
                                  FROM pgrollup_internal.reporting_changes AS c
                                 WHERE v_tail_handoffs AND c.account_id = p_account_id AND c.name = ANY (v_handoff_names)
                                   AND c.conversation_id IS NOT NULL
                                   AND c.created_at >= p_rollup_from AND c.created_at < p_rollup_to) AS u
                         WHERE u.dimension_id IS NOT NULL AND (p_dimension_id IS NULL OR u.dimension_id = p_dimension_id)
                         GROUP BY 1, 2, 3
                        HAVING pg_catalog.sum(u.ev) > 0) AS z) AS y
         WHERE pg_catalog.cardinality(v_handoff_names) > 0
         GROUP BY 1, 2, 3
    ), repeats AS (
        -- summed daily counts over the whole days count a conversation once per day: minus its
        -- days after the first one within the range
        SELECT r.dimension_id, NULL::date AS bucket_date, NULL::timestamptz AS bucket_hour,
               'bot_handoffs_count'::text AS metric, -pg_catalog.count(*) AS c, 0::double precision AS v
          FROM pgrollup_internal.reporting_handoff_repeats AS r
         WHERE v_sum_handoffs AND r.account_id = p_account_id AND r.dimension_type = p_dimension_type
           AND r.date >= p_day_from AND r.date < p_day_to AND r.prev_date >= p_day_from
           AND (p_dimension_id IS NULL OR r.dimension_id = p_dimension_id)
         GROUP BY 1
    )
    SELECT p.dimension_id, p.bucket_date, p.bucket_hour, p.metric, pg_catalog.sum(p.c)::bigint, pg_catalog.sum(p.v)
      FROM (SELECT * FROM raw_sums UNION ALL SELECT * FROM rollup_sums UNION ALL SELECT * FROM handoffs
            UNION ALL SELECT * FROM repeats) AS p
     GROUP BY 1, 2, 3, 4
    HAVING pg_catalog.sum(p.c) <> 0;     -- an event of the rollups deleted in the log
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_facts(bigint, timestamptz, timestamptz, date, date, timestamptz, timestamptz, text, text, text, bigint, text[], boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_facts(bigint, timestamptz, timestamptz, date, date, timestamptz, timestamptz, text, text, text, bigint, text[], boolean) IS 'Read engine of report_summary and report_timeseries: event counts, value sums and distinct handoff conversations per dimension id, bucket and metric, whole local days from rollups (whole months from the monthly totals) plus the change log not applied yet, the rest from raw events.';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_restate(p_account_id bigint, p_from date DEFAULT NULL, p_to date DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_tz   text;
    v_lo   timestamptz;
    v_hi   timestamptz;
    v_from date := COALESCE(p_from, '-infinity'::date);
    v_to   date := COALESCE(p_to, 'infinity'::date);
    v_n    bigint;
    v_mfrom date;
    v_mto  date;
    v_citus boolean;
BEGIN
    -- Rebuilds the account's local days p_from..p_to (NULL = unbounded) from raw events with
    -- set-based statements. The caller holds the module lock (no refresh or other restatement
    -- runs) and runs in READ COMMITTED; writers are never waited for nor blocked. One statement
    -- reads the slice's raw events into the staging table and deletes the slice's change-log
    -- rows, with one snapshot: every change committed before it is counted from raw and its log
    -- row consumed, every later change (or one in progress) stays in the log for reads and the
    -- next refresh. The rest is rebuilt from the staged events, never from the source again.
    SELECT a.timezone INTO v_tz FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    -- On Citus the staging table is distributed: this account's rows only, as a single-shard
    -- statement, first of all. Its row lock on the account's staging shard waits for a node
    -- refresh still applying that shard group (pgrollup_internal.reporting_refresh_node holds a
    -- SHARE lock on it), for instance one whose coordinator was cancelled and released the module
    -- lock; a TRUNCATE would lock every shard and could deadlock with such a refresh.
    v_citus := pgrollup_internal.citus_placement('pgrollup_internal.reporting_batch'::regclass) IS NOT NULL;
    IF v_citus THEN
        DELETE FROM pgrollup_internal.reporting_batch AS b WHERE b.account_id = p_account_id;
    END IF;

    DELETE FROM pgrollup_internal.reporting_daily_rollups AS r
     WHERE r.account_id = p_account_id AND r.date >= v_from AND r.date <= v_to;
    DELETE FROM pgrollup_internal.reporting_handoffs AS h
     WHERE h.account_id = p_account_id AND h.date >= v_from AND h.date <= v_to;
    -- monthly totals of every month the range touches; rebuilt below from the new daily rows and
    -- the daily rows of those months outside the range
    v_mfrom := CASE WHEN p_from IS NULL THEN '-infinity'::date ELSE pg_catalog.date_trunc('month', p_from::timestamp)::date END;
    v_mto := CASE WHEN p_to IS NULL THEN 'infinity'::date
                  ELSE (pg_catalog.date_trunc('month', p_to::timestamp) + interval '1 month')::date END;
    DELETE FROM pgrollup_internal.reporting_monthly_rollups AS m
     WHERE m.account_id = p_account_id AND m.month >= v_mfrom AND m.month < v_mto;

    IF v_tz IS NULL THEN
        DELETE FROM pgrollup_internal.reporting_handoff_repeats AS r WHERE r.account_id = p_account_id;
        INSERT INTO pgrollup_internal.reporting_handoff_repeats
               (account_id, dimension_type, dimension_id, conversation_id, date, prev_date)
        SELECT x.account_id, x.dimension_type, x.dimension_id, x.conversation_id, x.date, x.prev_date
          FROM (SELECT h.account_id, h.dimension_type, h.dimension_id, h.conversation_id, h.date,
                       pg_catalog.lag(h.date) OVER (PARTITION BY h.dimension_type, h.dimension_id, h.conversation_id
                                                    ORDER BY h.date) AS prev_date
                  FROM pgrollup_internal.reporting_handoffs AS h
                 WHERE h.account_id = p_account_id) AS x
         WHERE x.prev_date IS NOT NULL;
        INSERT INTO pgrollup_internal.reporting_monthly_rollups
               (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT p_account_id, r.dimension_type, pg_catalog.date_trunc('month', r.date::timestamp)::date, r.dimension_id, r.metric,
               pg_catalog.sum(r.count)::bigint, pg_catalog.sum(r.sum_value), pg_catalog.sum(r.sum_value_business_hours)
          FROM pgrollup_internal.reporting_daily_rollups AS r
         WHERE r.account_id = p_account_id AND r.date >= v_mfrom AND r.date < v_mto
         GROUP BY 2, 3, 4, 5;
        -- without a zone the account's changes count toward nothing (rows without created_at
        -- stay for the refresh to set aside)
        DELETE FROM pgrollup_internal.reporting_changes AS c
         WHERE c.account_id = p_account_id AND c.created_at IS NOT NULL;
        RETURN 0;
    END IF;

    v_lo := CASE WHEN p_from IS NULL THEN '-infinity'::timestamptz ELSE pgrollup_internal.reporting_day_start(p_from, v_tz) END;
    v_hi := CASE WHEN p_to IS NULL THEN 'infinity'::timestamptz ELSE pgrollup_internal.reporting_day_start(p_to + 1, v_tz) END;

    IF NOT v_citus THEN   -- (on Citus, this account's rows were deleted above)
        TRUNCATE pgrollup_internal.reporting_batch;
    END IF;
    WITH consumed AS (
        DELETE FROM pgrollup_internal.reporting_changes AS c
         WHERE c.account_id = p_account_id AND c.created_at >= v_lo AND c.created_at < v_hi
           AND (c.created_at AT TIME ZONE v_tz)::date >= v_from AND (c.created_at AT TIME ZONE v_tz)::date <= v_to
    )
    INSERT INTO pgrollup_internal.reporting_batch
           (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
    SELECT p_account_id, x.ts, x.name, x.user_id, x.inbox_id, x.conversation_id, x.value, x.value_bh, 1
      FROM (SELECT pgrollup_internal.utc(e.created_at) AS ts, e.name::text AS name,
                   e.user_id::bigint AS user_id, e.inbox_id::bigint AS inbox_id,
                   e.conversation_id::bigint AS conversation_id, pgrollup_internal.to_value(e.value) AS value,
                   pgrollup_internal.to_value(e.value_in_business_hours) AS value_bh
              FROM @source_schema@.reporting_events AS e
             WHERE e.account_id = p_account_id
               AND e.name = ANY (ARRAY(SELECT m.event_name FROM pgrollup.event_metrics AS m))
               AND e.created_at >= v_lo AND e.created_at < v_hi) AS x
     WHERE (x.ts AT TIME ZONE v_tz)::date >= v_from AND (x.ts AT TIME ZONE v_tz)::date <= v_to;

    INSERT INTO pgrollup_internal.reporting_handoffs (account_id, date, dimension_type, dimension_id, conversation_id, events)
    SELECT p_account_id, x.date, d.t, d.id, x.conversation_id, pg_catalog.count(*)
      FROM (SELECT (b.created_at AT TIME ZONE v_tz)::date AS date, b.user_id, b.inbox_id, b.conversation_id
              FROM pgrollup_internal.reporting_batch AS b
             WHERE b.account_id = p_account_id   -- the batch holds this account only (the filter routes it on Citus)
               AND b.name = ANY (ARRAY(SELECT m.event_name FROM pgrollup.event_metrics AS m
                                        WHERE m.rollup_metric = 'bot_handoffs_count'))
               AND b.conversation_id IS NOT NULL) AS x
     CROSS JOIN LATERAL (VALUES ('account'::text, p_account_id), ('agent'::text, x.user_id), ('inbox'::text, x.inbox_id)) AS d(t, id)
     WHERE d.id IS NOT NULL
     GROUP BY x.date, d.t, d.id, x.conversation_id;

    -- the account's handoff repeats, from its rebuilt presence rows
    DELETE FROM pgrollup_internal.reporting_handoff_repeats AS r WHERE r.account_id = p_account_id;
    INSERT INTO pgrollup_internal.reporting_handoff_repeats
           (account_id, dimension_type, dimension_id, conversation_id, date, prev_date)
    SELECT x.account_id, x.dimension_type, x.dimension_id, x.conversation_id, x.date, x.prev_date
      FROM (SELECT h.account_id, h.dimension_type, h.dimension_id, h.conversation_id, h.date,
                   pg_catalog.lag(h.date) OVER (PARTITION BY h.dimension_type, h.dimension_id, h.conversation_id
                                                ORDER BY h.date) AS prev_date
              FROM pgrollup_internal.reporting_handoffs AS h
             WHERE h.account_id = p_account_id) AS x
     WHERE x.prev_date IS NOT NULL;

    WITH ins AS (
    INSERT INTO pgrollup_internal.reporting_daily_rollups
           (account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours)
    SELECT p_account_id, y.date, y.t, y.id, y.metric, pg_catalog.sum(y.c)::bigint, pg_catalog.sum(y.v), pg_catalog.sum(y.b)
      FROM (SELECT x.date, d.t, d.id, m.rollup_metric AS metric, 1 AS c,
                   CASE WHEN m.payload_kind = 'duration' THEN COALESCE(x.value, 0) ELSE 0 END AS v,
                   CASE WHEN m.payload_kind = 'duration' THEN COALESCE(x.value_bh, 0) ELSE 0 END AS b
              FROM (SELECT (b.created_at AT TIME ZONE v_tz)::date AS date, b.name, b.user_id, b.inbox_id,
                           b.value, b.value_bh
                      FROM pgrollup_internal.reporting_batch AS b
                     WHERE b.account_id = p_account_id) AS x
              JOIN pgrollup.event_metrics AS m ON m.event_name = x.name AND m.rollup_metric <> 'bot_handoffs_count'
             CROSS JOIN LATERAL (VALUES ('account'::text, p_account_id), ('agent'::text, x.user_id), ('inbox'::text, x.inbox_id)) AS d(t, id)
             WHERE d.id IS NOT NULL
            UNION ALL
            SELECT h.date, h.dimension_type, h.dimension_id, 'bot_handoffs_count', 1, 0, 0
              FROM pgrollup_internal.reporting_handoffs AS h
             WHERE h.account_id = p_account_id AND h.date >= v_from AND h.date <= v_to) AS y
     GROUP BY y.date, y.t, y.id, y.metric
    RETURNING date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours
    ), mon AS (
        -- the statement's snapshot does not see ins's rows: the rest of the touched months is read
        -- from the daily rows outside the range, which the DELETE above left in place
        INSERT INTO pgrollup_internal.reporting_monthly_rollups
               (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT p_account_id, z.dimension_type, pg_catalog.date_trunc('month', z.date::timestamp)::date, z.dimension_id, z.metric,
               pg_catalog.sum(z.count)::bigint, pg_catalog.sum(z.sum_value), pg_catalog.sum(z.sum_value_business_hours)
          FROM (SELECT ins.date, ins.dimension_type, ins.dimension_id, ins.metric, ins.count, ins.sum_value,
                       ins.sum_value_business_hours
                  FROM ins
                UNION ALL
                SELECT r.date, r.dimension_type, r.dimension_id, r.metric, r.count, r.sum_value, r.sum_value_business_hours
                  FROM pgrollup_internal.reporting_daily_rollups AS r
                 WHERE r.account_id = p_account_id
                   AND ((r.date >= v_mfrom AND r.date < v_from) OR (r.date > v_to AND r.date < v_mto))) AS z
         GROUP BY 2, 3, 4, 5
    )
    SELECT pg_catalog.count(*) INTO v_n FROM ins;
    IF v_citus THEN
        DELETE FROM pgrollup_internal.reporting_batch AS b WHERE b.account_id = p_account_id;
    ELSE
        TRUNCATE pgrollup_internal.reporting_batch;
    END IF;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_restate(bigint, date, date) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_restate(bigint, date, date) IS 'Rebuilds an account''s rollup rows, monthly totals, handoff presence and repeats for local days p_from..p_to (NULL = unbounded) from raw events read in one snapshot with the consumption of the slice''s change-log rows (writers never wait); callers hold the module lock. Returns the rollup rows written.';

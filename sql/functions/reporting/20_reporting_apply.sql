CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_apply()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_handoffs   pgrollup_internal.reporting_daily_rollups[];
    v_gone       pgrollup_internal.reporting_handoffs[];
    v_turned     pgrollup_internal.reporting_handoffs[];
    v_zero       pgrollup_internal.reporting_daily_rollups[];
    v_zero_months pgrollup_internal.reporting_monthly_rollups[];
    v_zero_months_acct pgrollup_internal.reporting_monthly_rollups[];
    v_n_acct     bigint;
    v_n          bigint;
BEGIN
    -- Applies the signed event rows staged in pgrollup_internal.reporting_batch (one batch of
    -- the change log, or a backfill's raw events) to the rollups of accounts with a reporting
    -- timezone, set-based; rows without account_id or created_at count toward nothing (the
    -- refresh sets them aside). The caller holds the module lock, so no other apply, refresh or
    -- restatement runs meanwhile; the arrays below hold at most one batch's keys.

    -- 1. distinct handoffs: presence rows per (account, local date, dimension, conversation).
    --    Concurrent inserters of one key serialize on its unique index entry, so a key turns
    --    present exactly once; only the 0 <-> present transitions change the rollup count.
    WITH e AS (
        SELECT r.account_id,
               (r.created_at AT TIME ZONE a.timezone)::date AS date,
               d.t, d.id, r.conversation_id AS conv, r.sign
          FROM pgrollup_internal.reporting_batch AS r
          JOIN pgrollup_internal.reporting_accounts AS a
            ON a.account_id = r.account_id AND a.timezone IS NOT NULL AND r.created_at IS NOT NULL
         CROSS JOIN LATERAL (VALUES ('account'::text, r.account_id), ('agent'::text, r.user_id), ('inbox'::text, r.inbox_id)) AS d(t, id)
         WHERE d.id IS NOT NULL AND r.conversation_id IS NOT NULL
           AND EXISTS (SELECT 1 FROM pgrollup.event_metrics AS m
                        WHERE m.event_name = r.name AND m.rollup_metric = 'bot_handoffs_count')
    ), h AS (
        SELECT e.account_id, e.date, e.t, e.id, e.conv, pg_catalog.sum(e.sign)::bigint AS dn
          FROM e GROUP BY e.account_id, e.date, e.t, e.id, e.conv
        HAVING pg_catalog.sum(e.sign) <> 0
    ), up AS (
        -- one sorted upsert for every key (also the negative ones, which always exist when the
        -- rollups are exact; a row reaching 0 is deleted below)
        INSERT INTO pgrollup_internal.reporting_handoffs AS p
               (account_id, date, dimension_type, dimension_id, conversation_id, events)
        SELECT h.account_id, h.date, h.t, h.id, h.conv, h.dn FROM h
         ORDER BY h.account_id, h.t, h.date, h.id, h.conv
        ON CONFLICT (account_id, date, dimension_type, dimension_id, conversation_id)
        DO UPDATE SET events = p.events + EXCLUDED.events
        RETURNING p.*, (p.xmax = 0) AS inserted
    ), k AS (
        SELECT up.account_id, up.date, up.dimension_type, up.dimension_id,
               pg_catalog.count(*) FILTER (WHERE up.inserted AND up.events > 0)
               - pg_catalog.count(*) FILTER (WHERE NOT up.inserted AND up.events <= 0) AS c
          FROM up GROUP BY 1, 2, 3, 4
    )
    SELECT (SELECT pg_catalog.array_agg(ROW(k.account_id, k.date, k.dimension_type, k.dimension_id,
                                            'bot_handoffs_count', k.c, 0, 0, NULL, NULL)::pgrollup_internal.reporting_daily_rollups)
              FROM k WHERE k.c <> 0),
           (SELECT pg_catalog.array_agg(ROW(up.account_id, up.date, up.dimension_type, up.dimension_id,
                                            up.conversation_id, up.events)::pgrollup_internal.reporting_handoffs)
              FROM up WHERE up.events <= 0),
           (SELECT pg_catalog.array_agg(ROW(up.account_id, up.date, up.dimension_type, up.dimension_id,
                                            up.conversation_id, up.events)::pgrollup_internal.reporting_handoffs)
              FROM up WHERE (up.inserted AND up.events > 0) OR (NOT up.inserted AND up.events <= 0))
      INTO v_handoffs, v_gone, v_turned;

    IF v_gone IS NOT NULL THEN
        DELETE FROM pgrollup_internal.reporting_handoffs AS p
         USING pg_catalog.unnest(v_gone) AS g
         WHERE p.account_id = g.account_id AND p.date = g.date AND p.dimension_type = g.dimension_type
           AND p.dimension_id = g.dimension_id AND p.conversation_id = g.conversation_id AND p.events <= 0;
    END IF;

    -- repeats of the conversations whose set of handoff days changed: recomputed from their
    -- presence rows (the module lock keeps every other apply and restatement out)
    IF v_turned IS NOT NULL THEN
        DELETE FROM pgrollup_internal.reporting_handoff_repeats AS r
         USING (SELECT DISTINCT t.account_id, t.dimension_type, t.dimension_id, t.conversation_id
                  FROM pg_catalog.unnest(v_turned) AS t) AS g
         WHERE r.account_id = g.account_id AND r.dimension_type = g.dimension_type
           AND r.dimension_id = g.dimension_id AND r.conversation_id = g.conversation_id;
        INSERT INTO pgrollup_internal.reporting_handoff_repeats
               (account_id, dimension_type, dimension_id, conversation_id, date, prev_date)
        SELECT x.account_id, x.dimension_type, x.dimension_id, x.conversation_id, x.date, x.prev_date
          FROM (SELECT h.account_id, h.dimension_type, h.dimension_id, h.conversation_id, h.date,
                       pg_catalog.lag(h.date) OVER (PARTITION BY h.account_id, h.dimension_type, h.dimension_id,
                                                                 h.conversation_id ORDER BY h.date) AS prev_date
                  FROM (SELECT DISTINCT t.account_id, t.dimension_type, t.dimension_id, t.conversation_id
                          FROM pg_catalog.unnest(v_turned) AS t) AS g
                  JOIN pgrollup_internal.reporting_handoffs AS h
                    ON h.account_id = g.account_id AND h.dimension_type = g.dimension_type
                   AND h.dimension_id = g.dimension_id AND h.conversation_id = g.conversation_id) AS x
         WHERE x.prev_date IS NOT NULL;
    END IF;

    -- 2. rollup rows and monthly totals: aggregated upserts in one statement per batch (a
    --    committing transaction, a refresh), rows locked in a fixed order
    WITH e AS (
        SELECT r.*, a.timezone
          FROM pgrollup_internal.reporting_batch AS r
          JOIN pgrollup_internal.reporting_accounts AS a
            ON a.account_id = r.account_id AND a.timezone IS NOT NULL AND r.created_at IS NOT NULL
    ), x AS (
        SELECT e.account_id, (e.created_at AT TIME ZONE e.timezone)::date AS date, d.t, d.id,
               m.rollup_metric AS metric, e.sign::bigint AS dc,
               CASE WHEN m.payload_kind = 'duration' THEN e.sign * COALESCE(e.value, 0) ELSE 0 END AS dv,
               CASE WHEN m.payload_kind = 'duration' THEN e.sign * COALESCE(e.value_bh, 0) ELSE 0 END AS db
          FROM e
          JOIN pgrollup.event_metrics AS m ON m.event_name = e.name AND m.rollup_metric <> 'bot_handoffs_count'
         CROSS JOIN LATERAL (VALUES ('account'::text, e.account_id), ('agent'::text, e.user_id), ('inbox'::text, e.inbox_id)) AS d(t, id)
         WHERE d.id IS NOT NULL
        UNION ALL
        SELECT h.account_id, h.date, h.dimension_type, h.dimension_id, h.metric, h.count, 0, 0
          FROM pg_catalog.unnest(v_handoffs) AS h
    ), g AS (
        SELECT x.account_id, x.date, x.t, x.id, x.metric,
               pg_catalog.sum(x.dc)::bigint AS dc, pg_catalog.sum(x.dv) AS dv, pg_catalog.sum(x.db) AS db
          FROM x GROUP BY x.account_id, x.date, x.t, x.id, x.metric
        HAVING pg_catalog.sum(x.dc) <> 0 OR pg_catalog.sum(x.dv) <> 0 OR pg_catalog.sum(x.db) <> 0
    ), gm AS (
        -- the same deltas summed per local month (for handoffs: the daily distinct counts)
        SELECT g.account_id, g.t, pg_catalog.date_trunc('month', g.date::timestamp)::date AS month, g.id, g.metric,
               pg_catalog.sum(g.dc)::bigint AS dc, pg_catalog.sum(g.dv) AS dv, pg_catalog.sum(g.db) AS db
          FROM g
         GROUP BY g.account_id, g.t, pg_catalog.date_trunc('month', g.date::timestamp)::date, g.id, g.metric
        HAVING pg_catalog.sum(g.dc) <> 0 OR pg_catalog.sum(g.dv) <> 0 OR pg_catalog.sum(g.db) <> 0
    ), up_dim AS (
        INSERT INTO pgrollup_internal.reporting_daily_rollups AS r
               (account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT g.account_id, g.date, g.t, g.id, g.metric, g.dc, g.dv, g.db
          FROM g
         WHERE (g.t = 'account') = false
         ORDER BY g.account_id, g.date, g.t, g.id, g.metric
        ON CONFLICT ON CONSTRAINT reporting_daily_rollups_key DO UPDATE
           SET count = r.count + EXCLUDED.count,
               sum_value = r.sum_value + EXCLUDED.sum_value,
               sum_value_business_hours = r.sum_value_business_hours + EXCLUDED.sum_value_business_hours,
               updated_at = pg_catalog.now()
        RETURNING r.*
    ), upm_dim AS (
        INSERT INTO pgrollup_internal.reporting_monthly_rollups AS r
               (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT gm.account_id, gm.t, gm.month, gm.id, gm.metric, gm.dc, gm.dv, gm.db
          FROM gm
         WHERE (gm.t = 'account') = false
         ORDER BY gm.account_id, gm.month, gm.t, gm.id, gm.metric
        ON CONFLICT (account_id, dimension_type, month, dimension_id, metric) DO UPDATE
           SET count = r.count + EXCLUDED.count,
               sum_value = r.sum_value + EXCLUDED.sum_value,
               sum_value_business_hours = r.sum_value_business_hours + EXCLUDED.sum_value_business_hours
        RETURNING r.*
    ), up_acct AS (
        INSERT INTO pgrollup_internal.reporting_daily_rollups AS r
               (account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT g.account_id, g.date, g.t, g.id, g.metric, g.dc, g.dv, g.db
          FROM g
         WHERE (g.t = 'account') = true
         ORDER BY g.account_id, g.date, g.t, g.id, g.metric
        ON CONFLICT ON CONSTRAINT reporting_daily_rollups_key DO UPDATE
           SET count = r.count + EXCLUDED.count,
               sum_value = r.sum_value + EXCLUDED.sum_value,
               sum_value_business_hours = r.sum_value_business_hours + EXCLUDED.sum_value_business_hours,
               updated_at = pg_catalog.now()
        RETURNING r.*
    ), upm_acct AS (
        INSERT INTO pgrollup_internal.reporting_monthly_rollups AS r
               (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
        SELECT gm.account_id, gm.t, gm.month, gm.id, gm.metric, gm.dc, gm.dv, gm.db
          FROM gm
         WHERE (gm.t = 'account') = true
         ORDER BY gm.account_id, gm.month, gm.t, gm.id, gm.metric
        ON CONFLICT (account_id, dimension_type, month, dimension_id, metric) DO UPDATE
           SET count = r.count + EXCLUDED.count,
               sum_value = r.sum_value + EXCLUDED.sum_value,
               sum_value_business_hours = r.sum_value_business_hours + EXCLUDED.sum_value_business_hours
        RETURNING r.*
    )
    -- the upserts run in the order their results are read below: agent and inbox rows, daily
    -- then monthly, each in key order; the account rows, which every writer of the account
    -- updates, last, so they are held for the shortest time before COMMIT
    SELECT (SELECT pg_catalog.count(*) FROM up_dim),
           (SELECT pg_catalog.array_agg(u) FILTER (WHERE u.count <= 0) FROM upm_dim AS u),
           (SELECT pg_catalog.count(*) FROM up_acct),
           (SELECT pg_catalog.array_agg(u) FILTER (WHERE u.count <= 0) FROM upm_acct AS u),
           (SELECT pg_catalog.array_agg(u) FILTER (WHERE u.count <= 0)
              FROM (SELECT * FROM up_dim UNION ALL SELECT * FROM up_acct) AS u)
      INTO v_n, v_zero_months, v_n_acct, v_zero_months_acct, v_zero;
    v_n := v_n + v_n_acct;
    v_zero_months := v_zero_months || v_zero_months_acct;

    IF v_zero IS NOT NULL THEN
        DELETE FROM pgrollup_internal.reporting_daily_rollups AS r
         USING pg_catalog.unnest(v_zero) AS z
         WHERE r.account_id = z.account_id AND r.date = z.date AND r.dimension_type = z.dimension_type
           AND r.dimension_id = z.dimension_id AND r.metric = z.metric AND r.count <= 0;
    END IF;
    IF v_zero_months IS NOT NULL THEN
        DELETE FROM pgrollup_internal.reporting_monthly_rollups AS r
         USING pg_catalog.unnest(v_zero_months) AS z
         WHERE r.account_id = z.account_id AND r.dimension_type = z.dimension_type AND r.month = z.month
           AND r.dimension_id = z.dimension_id AND r.metric = z.metric AND r.count <= 0;
    END IF;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_apply() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_apply() IS 'Applies the signed reporting event rows staged in reporting_batch to the daily rollups, the monthly totals, the handoff presence table and its repeats (accounts with a timezone only); returns the number of rollup rows touched.';

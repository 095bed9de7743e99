-- The applied daily rows plus the change log not applied yet, folded in at read time: current
-- as soon as an event's transaction commits. Sum and count metrics add the log's signed
-- contributions; bot_handoffs_count of a key the log touches is recounted exactly from the
-- presence rows of that key plus the log's signed handoffs. The log (one refresh interval of
-- changes, no index) is scanned by each use of the tail; an outer WHERE on the key columns
-- filters those scans and reaches the applied rows' indexes. Only built-in operators here: a view calls functions with the reader's
-- privileges.
CREATE OR REPLACE VIEW pgrollup.reporting_events_rollups AS
WITH tail AS NOT MATERIALIZED (   -- inlined: an outer WHERE on the key reaches every use (a materialized tail was 100x slower at 100k changes)
    SELECT c.account_id, (c.created_at AT TIME ZONE a.timezone)::date AS date, d.t AS dimension_type,
           d.id AS dimension_id, m.rollup_metric AS metric, c.conversation_id, c.sign::bigint AS sign,
           CASE WHEN m.payload_kind = 'duration' THEN c.sign * COALESCE(c.value, 0) ELSE 0 END AS dv,
           CASE WHEN m.payload_kind = 'duration' THEN c.sign * COALESCE(c.value_bh, 0) ELSE 0 END AS db,
           c.captured_at
      FROM pgrollup_internal.reporting_changes AS c
      JOIN pgrollup_internal.reporting_accounts AS a ON a.account_id = c.account_id AND a.timezone IS NOT NULL
      JOIN pgrollup.event_metrics AS m ON m.event_name = c.name
     CROSS JOIN LATERAL (VALUES ('account'::text, c.account_id), ('agent'::text, c.user_id), ('inbox'::text, c.inbox_id)) AS d(t, id)
     WHERE c.created_at IS NOT NULL AND d.id IS NOT NULL
       AND (m.rollup_metric OPERATOR(pg_catalog.<>) 'bot_handoffs_count' OR c.conversation_id IS NOT NULL)
)
SELECT s.account_id::bigint AS account_id,   -- the source's type on Citus (docs/SCALE-OUT.md)
       s.date, s.dimension_type, s.dimension_id, s.metric, s.count, s.sum_value,
       s.sum_value_business_hours, s.created_at, s.updated_at
  FROM (SELECT u.account_id, u.date, u.dimension_type, u.dimension_id, u.metric,
               pg_catalog.sum(u.count)::bigint AS count, pg_catalog.sum(u.sum_value) AS sum_value,
               pg_catalog.sum(u.sum_value_business_hours) AS sum_value_business_hours,
               pg_catalog.min(u.created_at) AS created_at, pg_catalog.max(u.updated_at) AS updated_at
          FROM (SELECT r.account_id, r.date, r.dimension_type, r.dimension_id, r.metric, r.count, r.sum_value,
                       r.sum_value_business_hours, r.created_at, r.updated_at
                  FROM pgrollup_internal.reporting_daily_rollups AS r
                 WHERE r.metric OPERATOR(pg_catalog.<>) 'bot_handoffs_count'
                UNION ALL
                SELECT t.account_id, t.date, t.dimension_type, t.dimension_id, t.metric, t.sign, t.dv, t.db,
                       t.captured_at, t.captured_at
                  FROM tail AS t
                 WHERE t.metric OPERATOR(pg_catalog.<>) 'bot_handoffs_count') AS u
         GROUP BY u.account_id, u.date, u.dimension_type, u.dimension_id, u.metric
        HAVING pg_catalog.sum(u.count) OPERATOR(pg_catalog.<>) 0
        UNION ALL
        -- distinct handoffs of the keys the log does not touch: as applied
        SELECT r.account_id, r.date, r.dimension_type, r.dimension_id, r.metric, r.count, r.sum_value,
               r.sum_value_business_hours, r.created_at, r.updated_at
          FROM pgrollup_internal.reporting_daily_rollups AS r
         WHERE r.metric OPERATOR(pg_catalog.=) 'bot_handoffs_count'
           AND NOT EXISTS (SELECT 1 FROM tail AS t
                            WHERE t.metric OPERATOR(pg_catalog.=) 'bot_handoffs_count'
                              AND t.account_id OPERATOR(pg_catalog.=) r.account_id AND t.date OPERATOR(pg_catalog.=) r.date
                              AND t.dimension_type OPERATOR(pg_catalog.=) r.dimension_type
                              AND t.dimension_id OPERATOR(pg_catalog.=) r.dimension_id)
        UNION ALL
        -- distinct handoffs of the keys the log touches: conversations present after the log
        SELECT p.account_id, p.date, p.dimension_type, p.dimension_id, 'bot_handoffs_count'::text,
               pg_catalog.count(*), 0::double precision, 0::double precision,
               pg_catalog.min(p.created_at), pg_catalog.max(p.updated_at)
          FROM (SELECT v.account_id, v.date, v.dimension_type, v.dimension_id,
                       pg_catalog.min(v.created_at) AS created_at, pg_catalog.max(v.updated_at) AS updated_at
                  FROM (SELECT h.account_id, h.date, h.dimension_type, h.dimension_id, h.conversation_id, h.events,
                               r.created_at, r.updated_at
                          FROM pgrollup_internal.reporting_handoffs AS h
                          LEFT JOIN pgrollup_internal.reporting_daily_rollups AS r
                            ON r.account_id OPERATOR(pg_catalog.=) h.account_id AND r.date OPERATOR(pg_catalog.=) h.date
                           AND r.dimension_type OPERATOR(pg_catalog.=) h.dimension_type
                           AND r.dimension_id OPERATOR(pg_catalog.=) h.dimension_id
                           AND r.metric OPERATOR(pg_catalog.=) 'bot_handoffs_count'
                         WHERE (h.account_id, h.date, h.dimension_type, h.dimension_id) IN
                               (SELECT t.account_id, t.date, t.dimension_type, t.dimension_id FROM tail AS t
                                 WHERE t.metric OPERATOR(pg_catalog.=) 'bot_handoffs_count')
                        UNION ALL
                        SELECT t.account_id, t.date, t.dimension_type, t.dimension_id, t.conversation_id, t.sign,
                               t.captured_at, t.captured_at
                          FROM tail AS t
                         WHERE t.metric OPERATOR(pg_catalog.=) 'bot_handoffs_count') AS v
                 GROUP BY v.account_id, v.date, v.dimension_type, v.dimension_id, v.conversation_id
                HAVING pg_catalog.sum(v.events) OPERATOR(pg_catalog.>) 0) AS p
         GROUP BY p.account_id, p.date, p.dimension_type, p.dimension_id) AS s;
COMMENT ON VIEW pgrollup.reporting_events_rollups IS 'Daily totals of reporting_events per account, local date (in the account''s reporting timezone), dimension and metric; rows unique on (account_id, date, dimension_type, dimension_id, metric). Only accounts with a reporting timezone have rows; rows with count 0 do not exist. Current when the event''s transaction commits: the applied rows plus the change log not applied yet, folded in at read time.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.date IS 'Local date of created_at (UTC) in the account''s reporting timezone.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.dimension_type IS 'account, agent (reporting_events.user_id) or inbox (reporting_events.inbox_id).';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.dimension_id IS 'The account id, user id or inbox id.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.metric IS 'Rollup metric from pgrollup.event_metrics.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.count IS 'Number of events; for bot_handoffs_count the number of distinct non-NULL conversation_id.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.sum_value IS 'Sum of coalesce(value, 0) for duration metrics, 0 for count metrics.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.sum_value_business_hours IS 'Sum of coalesce(value_in_business_hours, 0) for duration metrics, 0 for count metrics.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.created_at IS 'When the row was first written (for a change not applied yet: when it was captured).';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.updated_at IS 'When the row was last changed (applied, or captured in the change log).';

-- depends: reporting_0001_init
-- Monthly totals beside the daily rollups: a read over many whole local months sums one row per
-- month instead of one per day. Kept by the same statements that keep the daily rows (the write
-- path's apply, restatements), so it always equals the sum of the month's daily rows (for
-- bot_handoffs_count a sum of daily distinct counts, which reads correct for repeats).
CREATE TABLE pgrollup_internal.reporting_monthly_rollups (
    account_id               bigint NOT NULL,
    dimension_type           text NOT NULL,
    month                    date NOT NULL,
    dimension_id             bigint NOT NULL,
    metric                   text NOT NULL,
    count                    bigint NOT NULL,
    sum_value                double precision NOT NULL DEFAULT 0,
    sum_value_business_hours double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, dimension_type, month, dimension_id, metric)   -- reads scan one dimension type over a month range
);
COMMENT ON TABLE pgrollup_internal.reporting_monthly_rollups IS 'Sum of pgrollup.reporting_events_rollups per account, dimension, metric and local month (first day of the month); for bot_handoffs_count the sum of the daily distinct counts, not a distinct count (reads subtract reporting_handoff_repeats). Maintained with the daily rows, read by report_summary and report_timeseries for whole months.';
COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.dimension_type IS 'account, agent or inbox.';
COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.month IS 'First local date of the month (the account''s reporting timezone).';
COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.dimension_id IS 'The account id, user id or inbox id.';
COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.metric IS 'Rollup metric (pgrollup.event_metrics.rollup_metric).';
COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.count IS 'Sum of the month''s daily counts (the row is removed when it reaches 0).';
COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.sum_value IS 'Sum of the month''s daily sum_value.';
COMMENT ON COLUMN pgrollup_internal.reporting_monthly_rollups.sum_value_business_hours IS 'Sum of the month''s daily sum_value_business_hours.';

INSERT INTO pgrollup_internal.reporting_monthly_rollups
       (account_id, dimension_type, month, dimension_id, metric, count, sum_value, sum_value_business_hours)
SELECT r.account_id, r.dimension_type, pg_catalog.date_trunc('month', r.date::timestamp)::date, r.dimension_id, r.metric,
       pg_catalog.sum(r.count)::bigint, pg_catalog.sum(r.sum_value), pg_catalog.sum(r.sum_value_business_hours)
  FROM pgrollup.reporting_events_rollups AS r
 GROUP BY 1, 2, 3, 4, 5;

CREATE OR REPLACE VIEW pgrollup.rollup_health AS
WITH base AS (
    SELECT m.module,
           h.mode,
           h.pending_changes,
           h.stale_since,
           (SELECT r.finished_at FROM pgrollup_internal.refresh_runs AS r
             WHERE r.module = m.module AND r.status = 'ok'
             ORDER BY r.started_at DESC, r.run_id DESC LIMIT 1) AS last_success_at,
           l.status AS last_status,
           l.finished_at - l.started_at AS last_duration,
           (SELECT pg_catalog.count(*)::integer FROM pgrollup_internal.refresh_runs AS r
             WHERE r.module = m.module AND r.status = 'failed'
               AND r.started_at >= pg_catalog.now() - interval '24 hours') AS failures_24h,
           COALESCE(t, d) AS th,
           l.started_at AS last_run_at,
           m.installed_at,
           (SELECT s.value::interval FROM pgrollup_internal.settings AS s WHERE s.name = 'cron_interval') AS cron_interval,
           (SELECT s.value::timestamptz FROM pgrollup_internal.settings AS s WHERE s.name = 'cron_scheduled_at') AS cron_scheduled_at,
           pgrollup_internal.cron_job_state() AS cron_state,
           pgrollup_internal.refresh_unfinished(m.module, COALESCE(t.duration_warning, d.duration_warning)) AS unfinished_since
      FROM pgrollup_internal.modules AS m
      CROSS JOIN LATERAL pgrollup_internal.module_health(m.module) AS h
      LEFT JOIN LATERAL (SELECT r.status, r.started_at, r.finished_at FROM pgrollup_internal.refresh_runs AS r
                          WHERE r.module = m.module
                          ORDER BY r.started_at DESC, r.run_id DESC LIMIT 1) AS l ON true
      LEFT JOIN pgrollup.alert_thresholds AS t ON t.module = m.module
      LEFT JOIN pgrollup.alert_thresholds AS d ON d.module = '*'
), measured AS (
    SELECT b.*,
           CASE WHEN b.stale_since IS NULL THEN interval '0'
                ELSE GREATEST(pg_catalog.now() - b.stale_since, interval '0') END AS staleness
      FROM base AS b
), checks AS (
    SELECT x.*,
           ARRAY[
             CASE WHEN (x.th).staleness_critical IS NOT NULL AND x.staleness >= (x.th).staleness_critical
                  THEN 'critical:stale for ' || pg_catalog.date_trunc('second', x.staleness)::text
                  WHEN (x.th).staleness_warning IS NOT NULL AND x.staleness >= (x.th).staleness_warning
                  THEN 'warning:stale for ' || pg_catalog.date_trunc('second', x.staleness)::text END,
             CASE WHEN x.failures_24h >= (x.th).failures_critical
                  THEN 'critical:' || x.failures_24h::text || ' failed refreshes in 24h'
                  WHEN x.failures_24h >= (x.th).failures_warning
                  THEN 'warning:' || x.failures_24h::text || ' failed refreshes in 24h' END,
             CASE WHEN x.last_status = 'failed' THEN 'warning:last refresh failed' END,
             CASE WHEN x.unfinished_since IS NOT NULL
                  THEN 'warning:last refresh attempt (started ' || pg_catalog.date_trunc('second', x.unfinished_since)::text
                       || ') did not finish: cancelled by statement_timeout, lock_timeout or a client, or its session ended; '
                       || 'raise statement_timeout for the role that runs the refresh, or find the lock it waited for (pg_locks), then run pgrollup refresh' END,
             CASE WHEN x.cron_state = 'missing' THEN 'critical:pg_cron job is missing (run pgrollup schedule)'
                  WHEN x.cron_state = 'inactive' THEN 'critical:pg_cron job is inactive'
                  WHEN x.cron_interval IS NOT NULL
                       AND GREATEST(x.last_run_at, x.cron_scheduled_at, x.installed_at) < now() - 2 * x.cron_interval
                  THEN 'warning:no refresh for two schedule intervals (' || (2 * x.cron_interval)::text || '): is the pg_cron job running?' END,
             CASE WHEN x.last_status = 'ok' AND x.last_duration >= (x.th).duration_critical
                  THEN 'critical:last refresh took ' || pg_catalog.date_trunc('second', x.last_duration)::text
                  WHEN x.last_status = 'ok' AND x.last_duration >= (x.th).duration_warning
                  THEN 'warning:last refresh took ' || pg_catalog.date_trunc('second', x.last_duration)::text END
           ] || pgrollup_internal.capture_problems(x.module, x.mode) AS findings
      FROM measured AS x
)
SELECT c.module,
       c.mode,
       c.last_success_at,
       c.last_status,
       c.last_duration,
       c.pending_changes,
       c.staleness,
       c.failures_24h,
       CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.unnest(c.findings) AS f(v) WHERE f.v LIKE 'critical:%') THEN 'critical'
            WHEN EXISTS (SELECT 1 FROM pg_catalog.unnest(c.findings) AS f(v) WHERE f.v LIKE 'warning:%') THEN 'warning'
            ELSE 'ok' END AS alert_level,
       (SELECT pg_catalog.string_agg(pg_catalog.split_part(f.v, ':', 1) || ': ' || pg_catalog.substr(f.v, pg_catalog.strpos(f.v, ':') + 1), '; ' ORDER BY f.v)
          FROM pg_catalog.unnest(c.findings) AS f(v) WHERE f.v IS NOT NULL) AS alert
  FROM checks AS c;
COMMENT ON VIEW pgrollup.rollup_health IS 'Freshness and alert state of every installed module: pending changes, staleness, last refresh, failures in 24 hours, alert level from pgrollup.alert_thresholds; capture problems (missing or disabled capture triggers, uncovered partitions, column drift, skipped capture: critical; source rows set aside: warning) with their repair.';
COMMENT ON COLUMN pgrollup.rollup_health.module IS 'Module name.';
COMMENT ON COLUMN pgrollup.rollup_health.mode IS 'Maintenance mode of the module (for example incremental, materialized_view, immediate, deferred).';
COMMENT ON COLUMN pgrollup.rollup_health.last_success_at IS 'End of the last successful refresh, NULL when none.';
COMMENT ON COLUMN pgrollup.rollup_health.last_status IS 'Status of the last refresh attempt (ok, failed, running or cancelled: see pgrollup.refresh_runs), NULL when never refreshed.';
COMMENT ON COLUMN pgrollup.rollup_health.last_duration IS 'Duration of the last refresh attempt.';
COMMENT ON COLUMN pgrollup.rollup_health.pending_changes IS 'Captured source changes not yet applied to the rollups (NULL when the mode does not track changes).';
COMMENT ON COLUMN pgrollup.rollup_health.staleness IS 'How long committed source changes may have been missing from the rollups (0 when current).';
COMMENT ON COLUMN pgrollup.rollup_health.failures_24h IS 'Failed refreshes in the last 24 hours.';
COMMENT ON COLUMN pgrollup.rollup_health.alert_level IS 'ok, warning or critical, from pgrollup.alert_thresholds and the capture checks (lost capture is critical, rows set aside a warning).';
COMMENT ON COLUMN pgrollup.rollup_health.alert IS 'Why the level is not ok (semicolon-separated findings), NULL when ok.';

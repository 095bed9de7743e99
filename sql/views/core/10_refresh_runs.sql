CREATE OR REPLACE VIEW pgrollup.refresh_runs AS
SELECT r.run_id,
       r.module,
       r.started_at,
       r.finished_at,
       r.finished_at - r.started_at AS duration,
       r.status,
       r.changes_applied,
       r.error
  FROM pgrollup_internal.refresh_runs AS r;
COMMENT ON VIEW pgrollup.refresh_runs IS 'Every refresh attempt per module (ok, failed, running or cancelled), newest last (pruned after the refresh_runs_retention setting, default 30 days). An attempt cancelled by statement_timeout, lock_timeout or a client is recorded: by pgrollup.run_refresh (pg_cron, pgrollup refresh) before its work, and for a direct pgrollup.refresh() by the next refresh.';
COMMENT ON COLUMN pgrollup.refresh_runs.run_id IS 'Run number, increasing.';
COMMENT ON COLUMN pgrollup.refresh_runs.module IS 'Module refreshed.';
COMMENT ON COLUMN pgrollup.refresh_runs.started_at IS 'Start (after the module lock was taken; for an attempt that did not finish, when it was recorded or traced).';
COMMENT ON COLUMN pgrollup.refresh_runs.finished_at IS 'End; NULL while running and for an attempt that did not finish.';
COMMENT ON COLUMN pgrollup.refresh_runs.duration IS 'finished_at - started_at (NULL when unfinished).';
COMMENT ON COLUMN pgrollup.refresh_runs.status IS 'ok; failed (its work rolled back); running (on record before its work: in progress, or cancelled and not yet seen by a later refresh); cancelled (did not finish: statement_timeout, lock_timeout, a client cancel or the end of its session).';
COMMENT ON COLUMN pgrollup.refresh_runs.changes_applied IS 'Changes applied by the run (0 when it failed: its work was rolled back).';
COMMENT ON COLUMN pgrollup.refresh_runs.error IS 'SQLSTATE and message of a failed run, why a cancelled attempt did not finish, else NULL.';

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
COMMENT ON VIEW pgrollup.refresh_runs IS 'Every refresh attempt per module, successful or failed, newest last (pruned after the refresh_runs_retention setting, default 30 days).';
COMMENT ON COLUMN pgrollup.refresh_runs.run_id IS 'Run number, increasing.';
COMMENT ON COLUMN pgrollup.refresh_runs.module IS 'Module refreshed.';
COMMENT ON COLUMN pgrollup.refresh_runs.started_at IS 'Start (after the module lock was taken).';
COMMENT ON COLUMN pgrollup.refresh_runs.finished_at IS 'End.';
COMMENT ON COLUMN pgrollup.refresh_runs.duration IS 'finished_at - started_at.';
COMMENT ON COLUMN pgrollup.refresh_runs.status IS 'ok or failed.';
COMMENT ON COLUMN pgrollup.refresh_runs.changes_applied IS 'Changes applied by the run (0 when it failed: its work was rolled back).';
COMMENT ON COLUMN pgrollup.refresh_runs.error IS 'SQLSTATE and message of a failed run, else NULL.';

-- depends: reporting_0004_handoff_repeats
-- The capture trigger writes the transition table's rows straight into the change log or the
-- transaction's buffer; the intermediate function that took them as an array is gone.
DROP FUNCTION IF EXISTS pgrollup_internal.reporting_ingest(pgrollup_internal.reporting_delta[]);
-- The deferred change log is written by every writer and read whole by each refresh: it keeps no
-- index and no sequence, so a writer pays for one heap row per captured event and nothing more
-- (a restatement of one account scans it, and it holds one refresh interval of changes).
ALTER TABLE pgrollup_internal.reporting_changes DROP COLUMN change_id;
DROP INDEX IF EXISTS pgrollup_internal.reporting_changes_account_idx;
COMMENT ON TABLE pgrollup_internal.reporting_changes IS 'Deferred mode change log: append-only signed event rows, no index (writers pay one heap row per event), applied and removed as a whole by pgrollup.refresh(''reporting'').';

-- depends: reporting_0004_handoff_repeats
-- The capture trigger now writes the transition table's rows straight into the change log or the
-- transaction's buffer; the intermediate function that took them as an array is gone.
DROP FUNCTION IF EXISTS pgrollup_internal.reporting_ingest(pgrollup_internal.reporting_delta[]);

-- depends: reporting_0005_lean_capture core_0003_capture_guard
-- Realtime mode, the new default: writers only append to the change log (no shared rows, no
-- account locks, no read of the account settings), reads fold the not yet applied log into the
-- applied rows, and refresh applies the log in batches. The immediate mode (commit-time buffer
-- and flush) and the deferred mode are gone.

-- capture takes every registered event, whatever the account; apply sets aside what it cannot
-- attribute (NULL account_id or created_at) instead of the writer failing on it
ALTER TABLE pgrollup_internal.reporting_changes
    ALTER COLUMN account_id DROP NOT NULL,
    ALTER COLUMN created_at DROP NOT NULL,
    ALTER COLUMN name DROP NOT NULL;
-- every writer appends and every refresh deletes: vacuum it after each few refreshes
ALTER TABLE pgrollup_internal.reporting_changes SET (autovacuum_vacuum_threshold = 10000, autovacuum_vacuum_scale_factor = 0,
                                                     autovacuum_vacuum_insert_threshold = 100000, autovacuum_vacuum_insert_scale_factor = 0);
COMMENT ON TABLE pgrollup_internal.reporting_changes IS 'Change log of reporting_events: append-only signed rows of every event whose name is registered, written by the capture trigger (no index, no sequence: a writer pays one heap row per event). Reads fold the rows not applied yet into the applied rollups; pgrollup.refresh(''reporting'') applies them in batches and removes them; backfills consume the rows of the slice they rebuild.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.account_id IS 'reporting_events.account_id (NULL: set aside by the refresh).';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.created_at IS 'reporting_events.created_at as timestamptz (NULL: set aside by the refresh).';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.name IS 'reporting_events.name (always a registered name when captured).';

DROP TABLE pgrollup_internal.reporting_pending;          -- with the flush trigger on it
DROP FUNCTION IF EXISTS pgrollup_internal.reporting_flush();
DROP FUNCTION IF EXISTS pgrollup_internal.reporting_lock_accounts(bigint[], boolean);
DROP FUNCTION IF EXISTS pgrollup_internal.reporting_apply(pgrollup_internal.reporting_delta[]);
DROP TYPE pgrollup_internal.reporting_delta;

UPDATE pgrollup_internal.settings SET value = 'realtime' WHERE name = 'reporting_mode';

-- the applied rows become internal; pgrollup.reporting_events_rollups is a view over them and
-- the log (sql/views/reporting)
ALTER TABLE pgrollup.reporting_events_rollups SET SCHEMA pgrollup_internal;
ALTER TABLE pgrollup_internal.reporting_events_rollups RENAME TO reporting_daily_rollups;
ALTER TABLE pgrollup_internal.reporting_daily_rollups RENAME CONSTRAINT reporting_events_rollups_key TO reporting_daily_rollups_key;
ALTER INDEX pgrollup_internal.reporting_events_rollups_metric_idx RENAME TO reporting_daily_rollups_metric_idx;
ALTER INDEX pgrollup_internal.reporting_events_rollups_dimension_idx RENAME TO reporting_daily_rollups_dimension_idx;
COMMENT ON TABLE pgrollup_internal.reporting_daily_rollups IS 'Applied daily totals of reporting_events per account, local date, dimension and metric, as of the last refresh or backfill; pgrollup.reporting_events_rollups adds the change log not applied yet. Rows with count 0 do not exist.';

-- the only staging table of refresh and restatement (both hold the module lock): one batch of
-- signed event rows, applied set-based
CREATE UNLOGGED TABLE pgrollup_internal.reporting_batch (
    account_id      bigint,
    created_at      timestamptz,
    name            text,
    user_id         bigint,
    inbox_id        bigint,
    conversation_id bigint,
    value           double precision,
    value_bh        double precision,
    sign            integer NOT NULL
);
COMMENT ON TABLE pgrollup_internal.reporting_batch IS 'Staging of one apply batch (a slice of the change log taken by the refresh, or the raw events a backfill read): used under the reporting module lock only, emptied at the start of each batch; unlogged.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.created_at IS 'reporting_events.created_at as timestamptz.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.name IS 'reporting_events.name.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.user_id IS 'reporting_events.user_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.inbox_id IS 'reporting_events.inbox_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.conversation_id IS 'reporting_events.conversation_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.value IS 'reporting_events.value.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.value_bh IS 'reporting_events.value_in_business_hours.';
COMMENT ON COLUMN pgrollup_internal.reporting_batch.sign IS '+1 the event row exists in this form, -1 it no longer does.';

-- the columns capture, restatement and the raw read path read (checked before every capture)
INSERT INTO pgrollup_internal.source_columns (module, table_name, column_name, kind) VALUES
    ('reporting', 'reporting_events', 'id', 'id'),
    ('reporting', 'reporting_events', 'account_id', 'id'),
    ('reporting', 'reporting_events', 'user_id', 'id'),
    ('reporting', 'reporting_events', 'inbox_id', 'id'),
    ('reporting', 'reporting_events', 'conversation_id', 'id'),
    ('reporting', 'reporting_events', 'created_at', 'timestamp'),
    ('reporting', 'reporting_events', 'name', 'text'),
    ('reporting', 'reporting_events', 'value', 'number'),
    ('reporting', 'reporting_events', 'value_in_business_hours', 'number')
ON CONFLICT DO NOTHING;

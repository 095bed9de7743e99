-- depends: core_0002_timezone_names
-- Do no harm: what a module reads from its source tables, written down in the database so the
-- capture triggers can check it before they read a column (a renamed, dropped or retyped column
-- stops the capture of that table loudly instead of failing the application's write), and two
-- append-only records health reads: capture that could not run, and source rows set aside.
CREATE TABLE pgrollup_internal.source_columns (
    module       text NOT NULL,
    table_name   text NOT NULL,
    column_name  text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('id', 'text', 'number', 'timestamp', 'any')),
    PRIMARY KEY (module, table_name, column_name)
);
COMMENT ON TABLE pgrollup_internal.source_columns IS 'The source columns each module reads, with the kind of type it accepts; written by the module''s migrations, checked by the capture triggers and by rollup_health (column drift).';
COMMENT ON COLUMN pgrollup_internal.source_columns.module IS 'Module that reads the column.';
COMMENT ON COLUMN pgrollup_internal.source_columns.table_name IS 'Source table (in the module''s source schema).';
COMMENT ON COLUMN pgrollup_internal.source_columns.column_name IS 'Column read.';
COMMENT ON COLUMN pgrollup_internal.source_columns.kind IS 'Accepted types: id (smallint, integer, bigint), text (text, varchar, char), number (any numeric type), timestamp (timestamp or timestamptz), any.';

CREATE TABLE pgrollup_internal.capture_failures (
    module     text NOT NULL,
    relation   text NOT NULL,
    problem    text NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE pgrollup_internal.capture_failures IS 'Append-only record of source statements whose changes a capture trigger could not capture (for example a column it reads was renamed); the application''s statement went through. Health reports them as critical until the repair (fix the column or re-run pgrollup install, then backfill) clears them.';
COMMENT ON COLUMN pgrollup_internal.capture_failures.module IS 'Module whose capture was skipped.';
COMMENT ON COLUMN pgrollup_internal.capture_failures.relation IS 'Source table or partition written to.';
COMMENT ON COLUMN pgrollup_internal.capture_failures.problem IS 'Why capture could not run.';
COMMENT ON COLUMN pgrollup_internal.capture_failures.seen_at IS 'Start of the writing transaction.';

CREATE TABLE pgrollup_internal.rows_set_aside (
    module       text NOT NULL,
    reason       text NOT NULL,
    rows         bigint NOT NULL,
    first_seen   timestamptz NOT NULL,
    last_seen    timestamptz NOT NULL,
    PRIMARY KEY (module, reason)
);
COMMENT ON TABLE pgrollup_internal.rows_set_aside IS 'Source rows (or changes) that a refresh could not attribute to a rollup key (for example a NULL account_id or created_at) and counted here instead of failing; written by the refresh only, read by rollup_health.';
COMMENT ON COLUMN pgrollup_internal.rows_set_aside.module IS 'Module that set the rows aside.';
COMMENT ON COLUMN pgrollup_internal.rows_set_aside.reason IS 'Why the rows could not be attributed (names the column).';
COMMENT ON COLUMN pgrollup_internal.rows_set_aside.rows IS 'Rows (changes) set aside so far.';
COMMENT ON COLUMN pgrollup_internal.rows_set_aside.first_seen IS 'First refresh that set such a row aside.';
COMMENT ON COLUMN pgrollup_internal.rows_set_aside.last_seen IS 'Latest refresh that set such a row aside.';

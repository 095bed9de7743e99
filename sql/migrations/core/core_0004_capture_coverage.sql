-- depends: core_0003_capture_guard
-- Lost capture is loud, partitions are covered: which capture triggers each module needs on its
-- source tables (declared by the module's attach hook), which members of each source table's
-- partition tree capture covers, and the restatements a partition's TRUNCATE asks for.
ALTER TABLE pgrollup_internal.modules
    ADD COLUMN slices_function text,
    ADD COLUMN restate_function text;
COMMENT ON COLUMN pgrollup_internal.modules.slices_function IS 'Qualified name of a function (p_table text, p_relid oid) RETURNS jsonb describing the rollup slices the rows of one source table or partition contribute to (NULL: the module has no partition support).';
COMMENT ON COLUMN pgrollup_internal.modules.restate_function IS 'Qualified name of a function (p_slices jsonb) RETURNS bigint that restates those slices from source (NULL slices: everything).';

CREATE TABLE pgrollup_internal.capture_triggers (
    module        text NOT NULL,
    table_name    text NOT NULL,
    trigger_name  text NOT NULL,
    event         text NOT NULL CHECK (event IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
    function_name text NOT NULL,
    old_table     text,
    new_table     text,
    modes         text[],
    root_only     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (module, table_name, trigger_name)
);
COMMENT ON TABLE pgrollup_internal.capture_triggers IS 'The statement-level AFTER capture triggers each module needs on a source table and on every member of its partition tree; written by the module''s attach hook, used to cover new partitions and by rollup_health (missing or disabled triggers).';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.module IS 'Module that needs the trigger.';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.table_name IS 'Source table (in the module''s source schema).';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.trigger_name IS 'Trigger name.';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.event IS 'INSERT, UPDATE, DELETE or TRUNCATE.';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.function_name IS 'Qualified name of the trigger function (no arguments).';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.old_table IS 'Name of the OLD transition table, NULL for none.';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.new_table IS 'Name of the NEW transition table, NULL for none.';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.modes IS 'Modes of the module (as its health hook reports them) that need the trigger; NULL: every mode.';
COMMENT ON COLUMN pgrollup_internal.capture_triggers.root_only IS 'Only on the source table itself, not on its partitions (a partition''s TRUNCATE is handled by the core''s pgrollup_partition_truncate trigger).';

CREATE TABLE pgrollup_internal.source_partitions (
    module      text NOT NULL,
    table_name  text NOT NULL,
    relid       oid NOT NULL,
    relation    text NOT NULL,
    is_root     boolean NOT NULL,
    covered_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (module, relid)
);
COMMENT ON TABLE pgrollup_internal.source_partitions IS 'Members of each source table''s partition tree (the table itself included) that capture covers; a member that leaves the tree (DETACH, DROP) is restated and forgotten, a new one is covered (and restated when it already holds rows) by the next refresh or install.';
COMMENT ON COLUMN pgrollup_internal.source_partitions.module IS 'Module reading the source table.';
COMMENT ON COLUMN pgrollup_internal.source_partitions.table_name IS 'Source table the member belongs to.';
COMMENT ON COLUMN pgrollup_internal.source_partitions.relid IS 'OID of the member relation.';
COMMENT ON COLUMN pgrollup_internal.source_partitions.relation IS 'Qualified name of the member when it was covered.';
COMMENT ON COLUMN pgrollup_internal.source_partitions.is_root IS 'The source table itself (a changed OID means it was dropped and recreated).';
COMMENT ON COLUMN pgrollup_internal.source_partitions.covered_at IS 'When capture triggers were put on it.';

CREATE TABLE pgrollup_internal.partition_restates (
    restate_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module      text NOT NULL,
    relation    text NOT NULL,
    slices      jsonb,
    queued_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE pgrollup_internal.partition_restates IS 'Restatements asked for by a TRUNCATE of a partition (its slices read just before it was emptied); applied by the module''s next refresh.';
COMMENT ON COLUMN pgrollup_internal.partition_restates.restate_id IS 'Order of queueing.';
COMMENT ON COLUMN pgrollup_internal.partition_restates.module IS 'Module to restate.';
COMMENT ON COLUMN pgrollup_internal.partition_restates.relation IS 'Partition truncated.';
COMMENT ON COLUMN pgrollup_internal.partition_restates.slices IS 'Slices to restate, as the module''s slices function described them; NULL: everything.';
COMMENT ON COLUMN pgrollup_internal.partition_restates.queued_at IS 'Start of the truncating transaction.';

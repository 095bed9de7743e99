CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_capture()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Statement-level AFTER trigger with transition tables: one append to the change log per
    -- statement, whatever the number of rows. No lock, no shared row, no account setting (apply
    -- discards the changes of accounts without a zone and sets aside what it cannot attribute),
    -- so the application's write never waits on pgrollup nor fails because of a value it holds.
    -- No exception block here: a subtransaction per statement would cost every writing
    -- transaction an XID per statement.
    --
    -- The columns it reads renamed, dropped or retyped by an application migration: the problem
    -- is recorded for health and the statement goes through without reading any column. The fast
    -- path costs no query: on reporting_events itself or one of its partitions, the check is
    -- capture_columns_ok() on the source table, folded into this expression's cached plan when it
    -- is planned, and planned again after any change of the table (the '0'::pg_catalog.regclass
    -- constants are the table's OID, written in by bind_capture at install).
    -- on a Citus worker, whose shards carry copies of this trigger when the application distributed
    -- the table after install (see capture_problems()), there are no pgrollup tables or functions:
    -- let the write through. (The OID bound below is this database's; there it may even name a
    -- shard.)
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- the source table, one of its partitions, or a child of it partitioned by inheritance (see
    -- source_inherits_from: its inherited columns are the table's, so the table's check holds)
    IF TG_OP <> 'TRUNCATE'
       AND (TG_RELID = '0'::pg_catalog.regclass::oid
            OR pg_catalog.pg_partition_root(TG_RELID::regclass)::oid = '0'::pg_catalog.regclass::oid
            OR pgrollup_internal.source_inherits_from(TG_RELID, '0'::pg_catalog.regclass::oid)) THEN
        IF NOT pgrollup_internal.capture_columns_ok('reporting', 'reporting_events', '0'::pg_catalog.regclass) THEN
            PERFORM pgrollup_internal.capture_note_drift('reporting', 'reporting_events', TG_RELID);
            RETURN NULL;
        END IF;
    ELSE
        IF TG_OP = 'TRUNCATE' THEN
            PERFORM pgrollup_internal.lock_module('reporting', true);
            -- on the source table itself only (a partition's TRUNCATE is queued by the core's
            -- partition trigger and restated by the next refresh). No transition table for TRUNCATE:
            -- every event is gone, so is every rollup (the source's ACCESS EXCLUSIVE lock means no
            -- writer of it is in progress)
            DELETE FROM pgrollup_internal.reporting_daily_rollups;
            DELETE FROM pgrollup_internal.reporting_handoffs;
            DELETE FROM pgrollup_internal.reporting_monthly_rollups;
            DELETE FROM pgrollup_internal.reporting_handoff_repeats;
            DELETE FROM pgrollup_internal.reporting_changes;
            -- a table partitioned by inheritance keeps its children's rows after TRUNCATE ONLY: the
            -- next refresh restates what each child holds (empty after a TRUNCATE that recursed)
            INSERT INTO pgrollup_internal.partition_restates (module, relation, slices)
            SELECT 'reporting', t.relid::text, s.slices
              FROM pgrollup_internal.source_tree(TG_RELID::regclass) AS t
             CROSS JOIN LATERAL (SELECT pgrollup_internal.relation_slices('reporting', 'reporting_events', t.relid::oid) AS slices) AS s
             WHERE t.level = 1
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k WHERE k.oid = TG_RELID AND k.relkind = 'r')
               AND s.slices IS DISTINCT FROM '[]'::jsonb;
            RETURN NULL;
        END IF;
        -- any other relation (a table detached from the source, before the next refresh takes its
        -- triggers away; an unbound function): the full check on every statement
        IF pgrollup_internal.capture_skipped('reporting', 'reporting_events', TG_RELID) THEN
            RETURN NULL;
        END IF;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        -- every name, registered or not: inserts are the hot path, and reading the registry here
        -- would cost a scan of it per statement. The refresh, the reads and restatements count
        -- registered names only (as on Citus, where the log holds every name too).
        SELECT n.account_id::bigint, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id::bigint,
               n.inbox_id::bigint, n.conversation_id::bigint, pgrollup_internal.to_value(n.value),
               pgrollup_internal.to_value(n.value_in_business_hours), 1
          FROM pgrollup_new AS n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT o.account_id::bigint, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id::bigint,
               o.inbox_id::bigint, o.conversation_id::bigint, pgrollup_internal.to_value(o.value),
               pgrollup_internal.to_value(o.value_in_business_hours), -1
          FROM pgrollup_old AS o
         WHERE o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m);
    ELSE
        -- rows whose relevant columns did not change (e.g. only updated_at) are skipped
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT o.account_id::bigint, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id::bigint,
               o.inbox_id::bigint, o.conversation_id::bigint, pgrollup_internal.to_value(o.value),
               pgrollup_internal.to_value(o.value_in_business_hours), -1
          FROM pgrollup_old AS o
         WHERE o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
           AND NOT EXISTS (
               SELECT 1 FROM pgrollup_new AS n
                WHERE n.id = o.id
                  AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                       n.value, n.value_in_business_hours)
                      IS NOT DISTINCT FROM
                      (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                       o.value, o.value_in_business_hours))
        UNION ALL
        SELECT n.account_id::bigint, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id::bigint,
               n.inbox_id::bigint, n.conversation_id::bigint, pgrollup_internal.to_value(n.value),
               pgrollup_internal.to_value(n.value_in_business_hours), 1
          FROM pgrollup_new AS n
         WHERE n.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
           AND NOT EXISTS (
               SELECT 1 FROM pgrollup_old AS o
                WHERE o.id = n.id
                  AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                       n.value, n.value_in_business_hours)
                      IS NOT DISTINCT FROM
                      (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                       o.value, o.value_in_business_hours));
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_capture() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_capture() IS 'Capture trigger function on reporting_events (statement level, transition tables pgrollup_new / pgrollup_old): appends the changed events of any account to the change log (inserts of every name, updates and deletes of registered names); no lock, no shared row. Its column check is folded into its cached plans (bound to the source table by bind_capture); when a column it reads has drifted it records a capture failure and lets the statement through. TRUNCATE of the table clears every rollup (of a parent by inheritance, the next refresh then restates what its children still hold: TRUNCATE ONLY), TRUNCATE of one partition restates the zoned accounts.';

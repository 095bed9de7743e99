CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_attach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema  text;
    v_trigger record;
BEGIN
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging';
    -- sources distributed by Citus: the module's own layout and statement-level capture on the
    -- shards (docs/SCALE-OUT.md)
    IF pgrollup_internal.citus_placement(pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, 'outbound_messages')))
       = 'a Citus distributed table (by tenant_id)' THEN
        PERFORM pgrollup_internal.messaging_citus_layout();
        RETURN;
    END IF;
    -- what capture needs (incremental mode), declared for the core: it covers partitions created
    -- or attached later at every refresh and reports missing or disabled triggers in rollup_health
    DELETE FROM pgrollup_internal.capture_triggers AS c WHERE c.module = 'messaging';
    INSERT INTO pgrollup_internal.capture_triggers
           (module, table_name, trigger_name, event, function_name, old_table, new_table, modes, root_only)
    SELECT 'messaging', s.tbl, t.name, t.event, 'pgrollup_internal.' || CASE WHEN t.event = 'TRUNCATE' THEN 'messaging_capture_truncate' ELSE s.fn END,
           t.old_table, t.new_table, ARRAY['incremental'], t.event = 'TRUNCATE'
      FROM (VALUES ('outbound_messages', 'messaging_capture_message'),
                   ('message_events', 'messaging_capture_event'),
                   ('campaign_transitions', 'messaging_capture_transition')) AS s(tbl, fn)
     CROSS JOIN (VALUES ('pgrollup_messaging_insert', 'INSERT', NULL, 'pgr_new'),
                        ('pgrollup_messaging_update', 'UPDATE', 'pgr_old', 'pgr_new'),
                        ('pgrollup_messaging_delete', 'DELETE', 'pgr_old', NULL),
                        ('pgrollup_messaging_truncate', 'TRUNCATE', NULL, NULL)) AS t(name, event, old_table, new_table);
    -- a partition's TRUNCATE, DETACH or DROP restates the tenants it held (not everything)
    UPDATE pgrollup_internal.modules AS m
       SET slices_function = 'pgrollup_internal.messaging_partition_slices',
           restate_function = 'pgrollup_internal.messaging_restate_slices'
     WHERE m.module = 'messaging';

    -- triggers left on tables of another schema (reinstall with another --source-schema), or any in
    -- MV mode; the full TRUNCATE rebuild trigger only on the source tables themselves
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
          JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
          JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
         WHERE t.tgfoid IN ('pgrollup_internal.messaging_capture_message()'::regprocedure,
                            'pgrollup_internal.messaging_capture_event()'::regprocedure,
                            'pgrollup_internal.messaging_capture_transition()'::regprocedure,
                            'pgrollup_internal.messaging_capture_truncate()'::regprocedure)
           AND (n.nspname IS DISTINCT FROM v_schema OR pgrollup_internal.messaging_mode() <> 'incremental'
                OR (t.tgfoid = 'pgrollup_internal.messaging_capture_truncate()'::regprocedure AND c.relispartition))
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
    END LOOP;
    IF pgrollup_internal.messaging_mode() <> 'incremental' THEN
        PERFORM pgrollup_internal.detach_capture('messaging');
        RETURN;
    END IF;
    -- each capture function's column check is folded into its cached plans, which depend on its
    -- source table through its OID (see capture_columns_ok)
    PERFORM pgrollup_internal.bind_capture(pg_catalog.format('pgrollup_internal.%I()', s.fn)::regprocedure,
                                           pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, s.tbl)))
       FROM (VALUES ('outbound_messages', 'messaging_capture_message'),
                    ('message_events', 'messaging_capture_event'),
                    ('campaign_transitions', 'messaging_capture_transition')) AS s(tbl, fn);
    -- the three source tables and, when partitioned, every partition at any depth: statement
    -- triggers fire for the table a statement names, so writes aimed at a partition directly are
    -- captured too
    PERFORM pgrollup_internal.attach_capture('messaging');
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_attach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_attach() IS 'messaging attach hook: declares the capture triggers and partition hooks to the core; in incremental mode creates the statement-level capture triggers (insert, update, delete with transition tables; truncate) on the three source tables and on every partition of them (a partition''s TRUNCATE is covered by the core''s pgrollup_partition_truncate trigger), idempotently; in materialized_view mode makes sure none are left.';

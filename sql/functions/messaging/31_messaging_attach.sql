CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_attach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema  text;
    v_spec    record;
    v_rel     regclass;
    v_trigger record;
BEGIN
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging';
    -- triggers left on tables of another schema (reinstall with another --source-schema), or any in MV mode
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
          JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
          JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
         WHERE t.tgfoid IN ('pgrollup_internal.messaging_capture_message()'::regprocedure,
                            'pgrollup_internal.messaging_capture_event()'::regprocedure,
                            'pgrollup_internal.messaging_capture_transition()'::regprocedure,
                            'pgrollup_internal.messaging_capture_truncate()'::regprocedure)
           AND (n.nspname IS DISTINCT FROM v_schema OR pgrollup_internal.messaging_mode() <> 'incremental')
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
    END LOOP;
    IF pgrollup_internal.messaging_mode() <> 'incremental' THEN
        RETURN;
    END IF;
    FOR v_spec IN
        SELECT s.tbl, s.fn, r.relid
          FROM (VALUES ('outbound_messages', 'messaging_capture_message'),
                       ('message_events', 'messaging_capture_event'),
                       ('campaign_transitions', 'messaging_capture_transition')) AS s(tbl, fn)
          -- the table itself and, when it is partitioned, every partition: statement triggers fire
          -- for the table a statement names, so writes aimed at a partition directly are captured too
          CROSS JOIN LATERAL (
                SELECT pg_catalog.format('%I.%I', v_schema, s.tbl)::regclass AS relid, 0 AS level
                UNION
                SELECT p.relid, p.level
                  FROM pg_catalog.pg_partition_tree(pg_catalog.format('%I.%I', v_schema, s.tbl)::regclass) AS p
                 WHERE p.level > 0) AS r
         WHERE (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = r.relid) IN ('r', 'p')
         ORDER BY r.level, r.relid
    LOOP
        v_rel := v_spec.relid;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_rel AND t.tgname = 'pgrollup_messaging_insert') THEN
            EXECUTE pg_catalog.format('CREATE TRIGGER pgrollup_messaging_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS pgr_new FOR EACH STATEMENT EXECUTE FUNCTION pgrollup_internal.%I()', v_rel, v_spec.fn);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_rel AND t.tgname = 'pgrollup_messaging_update') THEN
            EXECUTE pg_catalog.format('CREATE TRIGGER pgrollup_messaging_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS pgr_old NEW TABLE AS pgr_new FOR EACH STATEMENT EXECUTE FUNCTION pgrollup_internal.%I()', v_rel, v_spec.fn);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_rel AND t.tgname = 'pgrollup_messaging_delete') THEN
            EXECUTE pg_catalog.format('CREATE TRIGGER pgrollup_messaging_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS pgr_old FOR EACH STATEMENT EXECUTE FUNCTION pgrollup_internal.%I()', v_rel, v_spec.fn);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_rel AND t.tgname = 'pgrollup_messaging_truncate') THEN
            EXECUTE pg_catalog.format('CREATE TRIGGER pgrollup_messaging_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION pgrollup_internal.messaging_capture_truncate()', v_rel);
        END IF;
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_attach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_attach() IS 'messaging attach hook: in incremental mode creates the statement-level capture triggers (insert, update, delete with transition tables; truncate) on the three source tables and, when partitioned, on each of their partitions, idempotently; in materialized_view mode makes sure none are left.';

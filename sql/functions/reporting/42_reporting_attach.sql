CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_attach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema text;
    v_table  regclass;
    v_def    record;
BEGIN
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting';
    v_table := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, 'reporting_events'));
    IF v_table IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42P01',
            MESSAGE = pg_catalog.format('reporting: source table %I.reporting_events does not exist', v_schema);
    END IF;
    -- one trigger per event: a trigger with transition tables can only fire on one event
    FOR v_def IN
        SELECT * FROM (VALUES
            ('pgrollup_reporting_insert', 'AFTER INSERT', 'REFERENCING NEW TABLE AS pgrollup_new'),
            ('pgrollup_reporting_update', 'AFTER UPDATE', 'REFERENCING OLD TABLE AS pgrollup_old NEW TABLE AS pgrollup_new'),
            ('pgrollup_reporting_delete', 'AFTER DELETE', 'REFERENCING OLD TABLE AS pgrollup_old'),
            ('pgrollup_reporting_truncate', 'AFTER TRUNCATE', '')) AS t(name, timing, referencing)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS g
                        WHERE g.tgrelid = v_table AND g.tgname = v_def.name) THEN
            EXECUTE pg_catalog.format('CREATE TRIGGER %I %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION pgrollup_internal.reporting_capture()',
                                      v_def.name, v_def.timing, v_table, v_def.referencing);
        END IF;
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_attach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_attach() IS 'Attach hook of the reporting module: creates the statement-level capture triggers (INSERT, UPDATE, DELETE with transition tables, and TRUNCATE) on reporting_events; idempotent.';

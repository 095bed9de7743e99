CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_detach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema text;
    v_table  regclass;
    v_name   text;
BEGIN
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting';
    v_table := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, 'reporting_events'));
    IF v_table IS NULL THEN
        RETURN;
    END IF;
    FOREACH v_name IN ARRAY ARRAY['pgrollup_reporting_insert', 'pgrollup_reporting_update',
                                  'pgrollup_reporting_delete', 'pgrollup_reporting_truncate']
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_name, v_table);
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_detach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_detach() IS 'Detach hook of the reporting module: drops its capture triggers from reporting_events.';

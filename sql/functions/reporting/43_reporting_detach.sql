CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_detach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_trigger record;
BEGIN
    -- the capture triggers on reporting_events, its partitions and former partitions
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
         WHERE t.tgname IN ('pgrollup_reporting_insert', 'pgrollup_reporting_update',
                            'pgrollup_reporting_delete', 'pgrollup_reporting_truncate')
           AND t.tgfoid = 'pgrollup_internal.reporting_capture()'::regprocedure
         ORDER BY t.tgrelid, t.tgname
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
    END LOOP;
    -- the core's partition TRUNCATE triggers and its record of covered partitions
    IF pg_catalog.to_regprocedure('pgrollup_internal.detach_capture(text)') IS NOT NULL THEN
        PERFORM pgrollup_internal.detach_capture('reporting');
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_detach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_detach() IS 'Detach hook of the reporting module: drops its capture triggers from reporting_events, its partitions and former partitions (and the core''s partition TRUNCATE triggers for it).';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_detach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- the capture triggers on reporting_events, its partitions and former partitions
    PERFORM pgrollup_internal.drop_triggers_of('pgrollup_internal.reporting_capture()'::regprocedure);
    -- the core's partition TRUNCATE triggers and its record of covered partitions
    IF pg_catalog.to_regprocedure('pgrollup_internal.detach_capture(text)') IS NOT NULL THEN
        PERFORM pgrollup_internal.detach_capture('reporting');
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_detach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_detach() IS 'Detach hook of the reporting module: drops its capture triggers from reporting_events, its partitions and former partitions (and the core''s partition TRUNCATE triggers for it).';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_detach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fn regprocedure;
BEGIN
    FOR v_fn IN
        SELECT f FROM pg_catalog.unnest(ARRAY[pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_message()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_event()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_transition()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_truncate()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_capture_shard()'),
                                              pg_catalog.to_regprocedure('pgrollup_internal.messaging_citus_truncate()')]) AS f
         WHERE f IS NOT NULL
    LOOP
        PERFORM pgrollup_internal.drop_triggers_of(v_fn);
    END LOOP;
    -- the core's partition TRUNCATE triggers and its record of covered partitions
    IF pg_catalog.to_regprocedure('pgrollup_internal.detach_capture(text)') IS NOT NULL THEN
        PERFORM pgrollup_internal.detach_capture('messaging');
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_detach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_detach() IS 'messaging detach hook: drops every capture trigger the module put on source tables and partitions (and the core''s partition TRUNCATE triggers for it).';

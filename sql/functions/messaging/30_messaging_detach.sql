CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_detach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fn regprocedure;
BEGIN
    FOREACH v_fn IN ARRAY ARRAY['pgrollup_internal.messaging_capture_message()'::regprocedure,
                                'pgrollup_internal.messaging_capture_event()'::regprocedure,
                                'pgrollup_internal.messaging_capture_transition()'::regprocedure,
                                'pgrollup_internal.messaging_capture_truncate()'::regprocedure]
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

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_detach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_trigger record;
BEGIN
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
         WHERE t.tgfoid IN ('pgrollup_internal.messaging_capture_message()'::regprocedure,
                            'pgrollup_internal.messaging_capture_event()'::regprocedure,
                            'pgrollup_internal.messaging_capture_transition()'::regprocedure,
                            'pgrollup_internal.messaging_capture_truncate()'::regprocedure)
         ORDER BY t.tgrelid, t.tgname
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
    END LOOP;
    -- the core's partition TRUNCATE triggers and its record of covered partitions
    IF pg_catalog.to_regprocedure('pgrollup_internal.detach_capture(text)') IS NOT NULL THEN
        PERFORM pgrollup_internal.detach_capture('messaging');
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_detach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_detach() IS 'messaging detach hook: drops every capture trigger the module put on source tables and partitions (and the core''s partition TRUNCATE triggers for it).';

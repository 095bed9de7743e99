CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_by_key(p_step text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
BEGIN
    IF p_step = 'restate' THEN
        RETURN pgrollup_internal.messaging_restate();
    ELSIF p_step = 'add_events' THEN
        RETURN pgrollup_internal.messaging_add_events();
    END IF;
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('unknown messaging step %L', p_step);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_by_key(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_by_key(text) IS 'Runs a step of the messaging refresh (restate: pgrollup_internal.messaging_restate(); add_events: pgrollup_internal.messaging_add_events()) with hash and merge joins and JIT off, so that a step over few messages or events goes by key through the indexes (cost proportional to the changes, not to the table sizes).';

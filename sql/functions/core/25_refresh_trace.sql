CREATE OR REPLACE FUNCTION pgrollup_internal.refresh_trace(p_module text, p_finished boolean DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_seq   regclass := pg_catalog.to_regclass(pg_catalog.format('pgrollup_internal.%I', 'refresh_trace_' || p_module));
    v_value bigint;
BEGIN
    IF v_seq IS NULL THEN
        RETURN NULL;                       -- a module registered without its trace (never in an install)
    END IF;
    EXECUTE pg_catalog.format('SELECT CASE WHEN s.is_called THEN s.last_value END FROM %s AS s', v_seq) INTO v_value;
    IF p_finished IS NULL THEN
        RETURN v_value;                    -- read only
    END IF;
    IF p_finished THEN
        v_value := -pg_catalog.abs(COALESCE(v_value, 0));
    ELSE
        v_value := (pg_catalog.floor(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp()))::bigint << 22)
                   | pg_catalog.pg_backend_pid();
    END IF;
    -- setval is never rolled back: the trace survives a cancel of the attempt's transaction
    PERFORM pg_catalog.setval(v_seq, v_value, true);
    RETURN v_value;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.refresh_trace(text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.refresh_trace(text, boolean) IS 'Non-transactional trace of a module''s last direct refresh attempt (its sequence refresh_trace_<module>): p_finished false marks the start (epoch seconds << 22 | backend pid, positive), true marks the end (negative), NULL only reads. Returns the value.';

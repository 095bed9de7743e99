CREATE OR REPLACE FUNCTION pgrollup_internal.lock_module(p_module text, p_wait boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- transaction-scoped: released when the caller's transaction ends, also on error
    IF p_wait THEN
        PERFORM pg_catalog.pg_advisory_xact_lock(1885827701, pg_catalog.hashtext(p_module));
        RETURN true;
    END IF;
    RETURN pg_catalog.pg_try_advisory_xact_lock(1885827701, pg_catalog.hashtext(p_module));
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.lock_module(text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.lock_module(text, boolean) IS 'Takes the per-module maintenance lock (transaction advisory lock) held by refresh and backfill; with p_wait false returns false instead of waiting.';

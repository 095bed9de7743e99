CREATE OR REPLACE FUNCTION pgrollup_internal.lock_module(p_module text, p_wait boolean DEFAULT true)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_module text;
BEGIN
    -- A row lock on the module's row of pgrollup's own registry (no advisory-lock keys: those are
    -- one namespace shared by every role, so any role that can connect could take them and block
    -- every refresh). Only roles that may update pgrollup_internal.modules can take this lock,
    -- hence SECURITY DEFINER. Transaction-scoped: released when the caller's transaction ends,
    -- also on error. A module without a row (never installed) has nothing to serialize.
    IF p_wait THEN
        PERFORM 1 FROM pgrollup_internal.modules AS m WHERE m.module = p_module FOR UPDATE;
        RETURN true;
    END IF;
    SELECT m.module INTO v_module FROM pgrollup_internal.modules AS m
     WHERE m.module = p_module FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        RETURN true;
    END IF;
    RETURN NOT EXISTS (SELECT 1 FROM pgrollup_internal.modules AS m WHERE m.module = p_module);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.lock_module(text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.lock_module(text, boolean) IS 'Takes the per-module maintenance lock held by refresh, backfill and mode switches: a row lock (FOR UPDATE) on the module''s row of pgrollup_internal.modules, which no role outside pgrollup can take; transaction-scoped. With p_wait false returns false instead of waiting.';

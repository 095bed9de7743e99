CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_lock_accounts(p_accounts bigint[], p_exclusive boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan   -- write path: plan once per session, not per statement
AS $$
DECLARE
    v_key integer;
BEGIN
    -- one transaction advisory lock per account, taken in a fixed order (no deadlocks between
    -- writers touching several accounts); writers share it, backfills and zone changes hold it
    -- exclusively, so a rebuild never interleaves with a writer of the same account
    FOR v_key IN
        SELECT DISTINCT pg_catalog.hashint8(a.a) FROM pg_catalog.unnest(p_accounts) AS a(a)
         WHERE a.a IS NOT NULL ORDER BY 1
    LOOP
        IF p_exclusive THEN
            PERFORM pg_catalog.pg_advisory_xact_lock(1885827702, v_key);
        ELSE
            PERFORM pg_catalog.pg_advisory_xact_lock_shared(1885827702, v_key);
        END IF;
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_lock_accounts(bigint[], boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_lock_accounts(bigint[], boolean) IS 'Takes the per-account reporting locks (transaction advisory locks, in a fixed order): shared for writers, exclusive for backfills and timezone changes.';

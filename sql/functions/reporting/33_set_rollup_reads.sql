CREATE OR REPLACE FUNCTION pgrollup.set_rollup_reads(p_account_id bigint, p_enabled boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := pg_catalog.now();   -- a value, not a function call, in the upsert (Citus asks it of reference tables)
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_enabled IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_enabled must be true or false, not NULL';
    END IF;
    INSERT INTO pgrollup_internal.reporting_accounts AS a (account_id, rollup_reads)
    VALUES (p_account_id, p_enabled)
    ON CONFLICT (account_id) DO UPDATE SET rollup_reads = EXCLUDED.rollup_reads, updated_at = v_now;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.set_rollup_reads(bigint, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.set_rollup_reads(bigint, boolean) IS 'Turns the rollup read path of pgrollup.report_summary / report_timeseries on or off for an account (default off: raw queries). Writes do not depend on it.';

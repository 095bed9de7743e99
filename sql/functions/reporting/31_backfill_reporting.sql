CREATE OR REPLACE FUNCTION pgrollup.backfill_reporting(p_account_id bigint, p_from date DEFAULT NULL, p_to date DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    v_tz text;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_from > p_to THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_from (%s) must not be after p_to (%s)', p_from, p_to);
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = '25001',
            MESSAGE = 'pgrollup.backfill_reporting must run in a READ COMMITTED transaction (its snapshot must be taken after the module lock)';
    END IF;
    -- never races a refresh, another backfill or a timezone change (module lock); writers are
    -- neither waited for nor blocked: the restatement reads the raw slice and consumes its
    -- change-log rows in one snapshot taken after the lock
    PERFORM pgrollup_internal.lock_module('reporting', true);
    SELECT a.timezone INTO v_tz FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    IF v_tz IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('account %s has no reporting timezone: set one with pgrollup.set_reporting_timezone (p_account_id)', p_account_id);
    END IF;
    RETURN pgrollup_internal.reporting_restate(p_account_id, p_from, p_to);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.backfill_reporting(bigint, date, date) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.backfill_reporting(bigint, date, date) IS 'Rebuilds an account''s rollups for local days p_from..p_to (NULL = from the first / to the last) from raw reporting_events, atomically and idempotently; safe while events keep arriving, today included. Returns the rollup rows written. 22023 when the account has no reporting timezone.';

CREATE OR REPLACE FUNCTION pgrollup.set_reporting_timezone(p_account_id bigint, p_timezone text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    v_tz  text;
    v_old text;
    v_now timestamptz := pg_catalog.now();   -- a value, not a function call, in the upsert (Citus asks it of reference tables)
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_timezone IS NOT NULL THEN
        v_tz := pgrollup_internal.check_timezone(p_timezone, 'p_timezone');
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = '25001',
            MESSAGE = 'pgrollup.set_reporting_timezone must run in a READ COMMITTED transaction';
    END IF;
    -- serializes with refresh and backfills; writers never wait (see reporting_restate)
    PERFORM pgrollup_internal.lock_module('reporting', true);
    SELECT a.timezone INTO v_old FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    INSERT INTO pgrollup_internal.reporting_accounts AS a (account_id, timezone)
    VALUES (p_account_id, v_tz)
    ON CONFLICT (account_id) DO UPDATE SET timezone = EXCLUDED.timezone, updated_at = v_now;
    IF v_old IS DISTINCT FROM v_tz THEN
        -- restate at once: all of the account's rows in the new zone (or none without a zone)
        PERFORM pgrollup_internal.reporting_restate(p_account_id, NULL, NULL);
        UPDATE pgrollup_internal.reporting_accounts AS a SET restated_at = v_now
         WHERE a.account_id = p_account_id;
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.set_reporting_timezone(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.set_reporting_timezone(bigint, text) IS 'Sets an account''s reporting timezone (IANA name, validated; 22023 otherwise) and restates all its rollup rows in that zone at once, atomically and safely while events arrive. NULL turns rollups off for the account and removes its rows.';

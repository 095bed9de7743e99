CREATE OR REPLACE FUNCTION pgrollup.reporting_backfill_plan(p_account_id bigint, p_from date DEFAULT NULL, p_to date DEFAULT NULL,
                                                            p_timezone text DEFAULT NULL)
RETURNS TABLE(timezone text, first_day date, last_day date, days integer, events bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
    v_tz text;
    v_lo timestamptz;
    v_hi timestamptz;
BEGIN
    IF p_account_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_account_id must not be NULL';
    END IF;
    IF p_timezone IS NOT NULL THEN
        v_tz := pgrollup_internal.check_timezone(p_timezone, 'p_timezone');
    ELSE
        SELECT a.timezone INTO v_tz FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    END IF;
    IF v_tz IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('account %s has no reporting timezone: set one with pgrollup.set_reporting_timezone (p_account_id)', p_account_id);
    END IF;
    v_lo := CASE WHEN p_from IS NULL THEN '-infinity'::timestamptz ELSE pgrollup_internal.reporting_day_start(p_from, v_tz) END;
    v_hi := CASE WHEN p_to IS NULL THEN 'infinity'::timestamptz ELSE pgrollup_internal.reporting_day_start(p_to + 1, v_tz) END;
    RETURN QUERY
    SELECT v_tz,
           COALESCE(p_from, pg_catalog.min(x.d)),
           COALESCE(p_to, pg_catalog.max(x.d)),
           (COALESCE(p_to, pg_catalog.max(x.d)) - COALESCE(p_from, pg_catalog.min(x.d)) + 1)::integer,
           pg_catalog.count(*)
      FROM (SELECT (pgrollup_internal.utc(e.created_at) AT TIME ZONE v_tz)::date AS d
              FROM @source_schema@.reporting_events AS e
             WHERE e.account_id = p_account_id
               AND e.name = ANY (ARRAY(SELECT m.event_name FROM pgrollup.event_metrics AS m))
               AND e.created_at >= v_lo AND e.created_at < v_hi) AS x;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.reporting_backfill_plan(bigint, date, date, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.reporting_backfill_plan(bigint, date, date, text) IS 'What a reporting backfill (or a timezone change, with p_timezone) would rebuild for an account: the zone, the first and last local day (defaults: those with registered events), the number of days and of registered events. Changes nothing.';

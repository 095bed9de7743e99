CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_plan(p_account_id bigint, p_since timestamptz, p_until timestamptz,
                                                            p_timezone text, p_unit text,
                                                            OUT timezone text, OUT day_from date, OUT day_to date,
                                                            OUT rollup_from timestamptz, OUT rollup_to timestamptz, OUT source text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    v_account_tz text;
    v_reads      boolean;
BEGIN
    -- Decides which path answers a read: whole local days [day_from, day_to) from rollups, the
    -- instants outside [rollup_from, rollup_to) from raw events. No rollup days: rollup_from =
    -- rollup_to = p_until (the raw part is then the whole range).
    SELECT a.timezone, a.rollup_reads INTO v_account_tz, v_reads
      FROM pgrollup_internal.reporting_accounts AS a WHERE a.account_id = p_account_id;
    IF p_timezone IS NULL THEN
        timezone := COALESCE(v_account_tz, 'UTC');
    ELSIF p_timezone = v_account_tz THEN
        timezone := v_account_tz;            -- stored canonical name: no need to validate again
    ELSIF p_timezone = 'UTC' OR EXISTS (SELECT 1 FROM pgrollup_internal.reporting_accounts AS a
                                         WHERE a.timezone = p_timezone) THEN
        timezone := p_timezone;              -- known canonical: check_timezone scans the zone files (~100 ms)
    ELSE
        timezone := pgrollup_internal.check_timezone(p_timezone, 'p_timezone');
    END IF;
    rollup_from := p_until;
    rollup_to := p_until;
    source := 'raw';
    IF v_account_tz IS NOT NULL AND v_reads AND timezone = v_account_tz AND p_unit IS DISTINCT FROM 'hour' THEN
        day_from := (p_since AT TIME ZONE v_account_tz)::date;
        IF pgrollup_internal.reporting_day_start(day_from, v_account_tz) < p_since THEN
            day_from := day_from + 1;
        END IF;
        day_to := (p_until AT TIME ZONE v_account_tz)::date;
        IF day_from < day_to THEN
            rollup_from := pgrollup_internal.reporting_day_start(day_from, v_account_tz);
            rollup_to := pgrollup_internal.reporting_day_start(day_to, v_account_tz);
            source := CASE WHEN rollup_from = p_since AND rollup_to = p_until THEN 'rollup' ELSE 'hybrid' END;
            RETURN;
        END IF;
    END IF;
    day_from := NULL;
    day_to := NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_plan(bigint, timestamptz, timestamptz, text, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_plan(bigint, timestamptz, timestamptz, text, text) IS 'Read-path planner: bucket time zone, the whole local days a read can take from rollups (account has a zone, reads enabled, same zone, not hourly) and which path answers (rollup, hybrid or raw).';

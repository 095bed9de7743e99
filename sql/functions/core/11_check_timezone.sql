CREATE OR REPLACE FUNCTION pgrollup_internal.check_timezone(p_timezone text, p_argument text DEFAULT 'p_timezone')
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
BEGIN
    IF p_timezone IS NOT NULL AND p_timezone <> '' THEN
        -- the cached copy first (an index lookup), then pg_timezone_names itself (reads the zone
        -- files), each exact and then in another letter case
        SELECT t.name INTO v_name FROM pgrollup_internal.timezone_names AS t WHERE t.name = p_timezone;
        IF v_name IS NULL THEN
            SELECT min(t.name) INTO v_name FROM pgrollup_internal.timezone_names AS t
             WHERE lower(t.name) = lower(p_timezone);
        END IF;
        IF v_name IS NULL THEN
            SELECT min(z.name) INTO v_name
              FROM pg_catalog.pg_timezone_names() AS z(name, abbrev, utc_offset, is_dst)
             WHERE z.name = p_timezone OR lower(z.name) = lower(p_timezone);
        END IF;
    END IF;
    IF v_name IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = format('invalid time zone %s for %s: expected an IANA time zone name such as Asia/Kolkata or UTC (see pg_timezone_names)',
                             COALESCE(quote_literal(p_timezone), 'NULL'), p_argument);
    END IF;
    RETURN v_name;
END;
$$;
COMMENT ON FUNCTION pgrollup_internal.check_timezone(text, text) IS 'Validates an IANA time zone name (as listed in pg_timezone_names; abbreviations, offsets and POSIX strings are refused) and returns its canonical spelling; raises SQLSTATE 22023 naming the bad value and the argument.';

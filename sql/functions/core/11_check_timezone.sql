CREATE OR REPLACE FUNCTION pgrollup_internal.check_timezone(p_timezone text, p_argument text DEFAULT 'p_timezone')
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
BEGIN
    -- no zone name is longer than 64 characters: a longer value is refused without a lookup
    IF p_timezone IS NOT NULL AND p_timezone <> '' AND pg_catalog.length(p_timezone) <= 64 THEN
        -- the cached copy first (an index lookup), then pg_timezone_names itself (reads the zone
        -- files), each exact and then in another letter case
        SELECT t.name INTO v_name FROM pgrollup_internal.timezone_names AS t WHERE t.name = p_timezone;
        IF v_name IS NULL THEN
            SELECT pg_catalog.min(t.name) INTO v_name FROM pgrollup_internal.timezone_names AS t
             WHERE pg_catalog.lower(t.name) = pg_catalog.lower(p_timezone);
        END IF;
        IF v_name IS NULL THEN
            SELECT pg_catalog.min(z.name) INTO v_name
              FROM pg_catalog.pg_timezone_names() AS z(name, abbrev, utc_offset, is_dst)
             WHERE z.name = p_timezone OR pg_catalog.lower(z.name) = pg_catalog.lower(p_timezone);
        END IF;
        -- only the tz database's region names (and its links such as US/Eastern, UTC and Etc/*):
        -- not the server host's zone (localtime), tzcode's template (posixrules), the "zone not
        -- set" placeholder (Factory), nor the posix/, right/ and SystemV/ copies of the tree
        IF v_name IS NOT NULL
           AND (pg_catalog.lower(v_name) IN ('localtime', 'posixrules', 'factory')
                OR pg_catalog.lower(v_name) ~ '^(posix|right|systemv)/') THEN
            v_name := NULL;
        END IF;
    END IF;
    IF v_name IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = '22023',
            MESSAGE = pg_catalog.format('invalid time zone %s for %s: expected an IANA time zone name such as Asia/Kolkata or UTC (see pg_timezone_names)',
                                        CASE WHEN p_timezone IS NULL THEN 'NULL'
                                             WHEN pg_catalog.length(p_timezone) > 100
                                             THEN pg_catalog.quote_literal(pg_catalog.left(p_timezone, 100)) || '… ('
                                                  || pg_catalog.length(p_timezone) || ' characters)'
                                             ELSE pg_catalog.quote_literal(p_timezone) END,
                                        p_argument);
    END IF;
    RETURN v_name;
END;
$$;
COMMENT ON FUNCTION pgrollup_internal.check_timezone(text, text) IS 'Validates an IANA time zone region name (as listed in pg_timezone_names, links such as US/Eastern, UTC and Etc/* included; abbreviations, offsets, POSIX strings, localtime, posixrules, Factory and the posix/, right/, SystemV/ copies are refused) and returns its canonical spelling; raises SQLSTATE 22023 naming the argument and the bad value (its first 100 characters when longer).';

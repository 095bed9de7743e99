CREATE OR REPLACE FUNCTION pgrollup_internal.read_limit()
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((SELECT s.value::bigint FROM pgrollup_internal.settings AS s WHERE s.name = 'max_read_buckets'), 100000);
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.read_limit() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.read_limit() IS 'The most buckets or rows one read may return: the setting max_read_buckets of pgrollup_internal.settings, 100000 by default.';

CREATE OR REPLACE FUNCTION pgrollup_internal.check_read_size(p_function text, p_unit text, p_buckets numeric)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_limit bigint;
BEGIN
    -- Read functions call this with the number of buckets (hours, days, ...) a request spans,
    -- computed from its arguments alone, before any work: a request over a huge range is refused
    -- at once instead of writing gigabytes of temporary files.
    IF p_buckets IS NULL THEN
        RETURN;
    END IF;
    v_limit := pgrollup_internal.read_limit();
    IF p_buckets > v_limit THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('%s: the range spans %s %s buckets, more than the %s a read may return',
                                        p_function, pg_catalog.ceil(p_buckets)::text, p_unit, v_limit),
            HINT = 'Narrow the range or use a coarser grouping (the limit is the setting max_read_buckets in pgrollup_internal.settings).';
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.check_read_size(text, text, numeric) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.check_read_size(text, text, numeric) IS 'Refuses (22023) a read whose range spans more buckets than max_read_buckets (pgrollup_internal.settings, default 100000), before the read does any work.';

CREATE OR REPLACE FUNCTION pgrollup_internal.range_buckets(p_since timestamptz, p_until timestamptz, p_unit text)
RETURNS numeric
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- An upper bound of the local buckets of p_unit that [p_since, p_until) overlaps (whatever the
    -- zone: at most 2 more than the span divided by the shortest bucket); NULL when not computable.
    SELECT CASE WHEN p_since IS NULL OR p_until IS NULL OR p_since >= p_until THEN NULL
                WHEN NOT pg_catalog.isfinite(p_since) OR NOT pg_catalog.isfinite(p_until) THEN 'Infinity'::numeric
                ELSE (pg_catalog.date_part('epoch', p_until)::numeric - pg_catalog.date_part('epoch', p_since)::numeric)
                     / CASE p_unit WHEN 'hour' THEN 3600 WHEN 'day' THEN 82800 WHEN 'week' THEN 601200
                                   WHEN 'month' THEN 2415600 WHEN 'year' THEN 31532400 ELSE NULL END + 2 END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.range_buckets(timestamptz, timestamptz, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.range_buckets(timestamptz, timestamptz, text) IS 'Upper bound of the hour, day, week, month or year buckets a time range overlaps in any zone (shortest bucket: a 23-hour DST day); used to bound reads before they run.';

CREATE OR REPLACE FUNCTION pgrollup_internal.check_read_rows(p_function text, p_rows bigint, p_limit bigint)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Read functions that return only existing rows read at most p_limit + 1 of them (LIMIT) and
    -- call this with how many came back: more than the limit is refused (54000), the work stays bounded.
    IF p_rows > p_limit THEN
        RAISE EXCEPTION USING ERRCODE = '54000',
            MESSAGE = pg_catalog.format('%s: the request returns more than the %s rows a read may return', p_function, p_limit),
            HINT = 'Narrow the range (the limit is the setting max_read_buckets in pgrollup_internal.settings).';
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.check_read_rows(text, bigint, bigint) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.check_read_rows(text, bigint, bigint) IS 'Refuses (54000) a read that returned more than p_limit rows (the caller reads at most p_limit + 1).';

-- Local bucket (day, week starting Sunday, month, year) that contains a local date. Inlinable.
CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_bucket_date(p_date date, p_unit text)
RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE p_unit
           WHEN 'day' THEN p_date
           WHEN 'week' THEN p_date OPERATOR(pg_catalog.-) pg_catalog.date_part('dow', p_date::timestamp without time zone)::integer
           WHEN 'month' THEN pg_catalog.date_trunc('month', p_date::timestamp without time zone)::date
           WHEN 'year' THEN pg_catalog.date_trunc('year', p_date::timestamp without time zone)::date
       END;
COMMENT ON FUNCTION pgrollup_internal.reporting_bucket_date(date, text) IS 'First local date of the day, week (weeks start on Sunday), month or year bucket that contains a local date; NULL for other units.';

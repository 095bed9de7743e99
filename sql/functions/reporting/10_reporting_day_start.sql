-- Start of a local day as an instant. `d::timestamp AT TIME ZONE tz` picks the later instant when
-- local midnight is ambiguous (zones that fall back from 01:00 to 00:00, e.g. America/Havana);
-- the day really starts at the earlier one. A nonexistent midnight (spring forward at 00:00)
-- maps to the transition instant, which is the day's start. Plain SQL without SET clauses so
-- the planner can inline it; every reference is schema-qualified.
CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_day_start(p_date date, p_timezone text)
RETURNS timestamp with time zone
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT COALESCE(pg_catalog.min(c.c), pg_catalog.timezone(p_timezone, p_date::timestamp without time zone))
          FROM (VALUES (interval '0'), (interval '30 minutes'), (interval '1 hour'), (interval '2 hours')) AS v(x)
          CROSS JOIN LATERAL (SELECT pg_catalog.timezone(p_timezone, p_date::timestamp without time zone) OPERATOR(pg_catalog.-) v.x) AS c(c)
         WHERE pg_catalog.timezone(p_timezone, c.c) OPERATOR(pg_catalog.=) p_date::timestamp without time zone);
COMMENT ON FUNCTION pgrollup_internal.reporting_day_start(date, text) IS 'First instant of a local date in a time zone (correct also when local midnight is ambiguous or nonexistent).';

-- Normalise a source timestamp to timestamptz: `timestamp` source columns hold UTC.
-- Both overloads are plain one-expression SQL functions without SET clauses so the planner can
-- inline them; every reference is schema-qualified, so a hostile search_path cannot reach them.
CREATE OR REPLACE FUNCTION pgrollup_internal.utc(p_ts timestamp without time zone)
RETURNS timestamp with time zone
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.timezone('UTC'::text, p_ts);

CREATE OR REPLACE FUNCTION pgrollup_internal.utc(p_ts timestamp with time zone)
RETURNS timestamp with time zone
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_ts;

COMMENT ON FUNCTION pgrollup_internal.utc(timestamp without time zone) IS 'Reads a timestamp without time zone as UTC and returns it as timestamptz.';
COMMENT ON FUNCTION pgrollup_internal.utc(timestamp with time zone) IS 'Identity for timestamptz source columns (overload of utc(timestamp)).';

-- Normalise a source value (value, value_in_business_hours) to double precision, never failing:
-- the float8 overload (which integer and real columns resolve to) is the identity, inlined like
-- utc(); a numeric beyond double precision's range becomes +/-Infinity, one too close to zero to be
-- represented becomes 0 (a plain cast raises an error there, which would fail the application's
-- write in a capture trigger).
CREATE OR REPLACE FUNCTION pgrollup_internal.to_value(p_value double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_value;

CREATE OR REPLACE FUNCTION pgrollup_internal.to_value(p_value numeric)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_value OPERATOR(pg_catalog.=) 'NaN'::numeric THEN 'NaN'::double precision
            WHEN pg_catalog.abs(p_value) OPERATOR(pg_catalog.>=) 1.7976931348623157e308
            THEN CASE WHEN p_value OPERATOR(pg_catalog.>) 0 THEN 'Infinity'::double precision ELSE '-Infinity'::double precision END
            WHEN pg_catalog.abs(p_value) OPERATOR(pg_catalog.<) 1e-323 THEN 0::double precision
            ELSE p_value::double precision END;

COMMENT ON FUNCTION pgrollup_internal.to_value(double precision) IS 'A source value as double precision: the identity (integer and real columns resolve to this overload).';
COMMENT ON FUNCTION pgrollup_internal.to_value(numeric) IS 'A numeric source value as double precision without an error: beyond double precision''s range +/-Infinity, too close to zero 0.';

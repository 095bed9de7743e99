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

CREATE OR REPLACE FUNCTION pgrollup_internal.source_drift(p_module text, p_table text, p_relid oid)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- NULL when every column the module reads from p_table exists on relation p_relid with an
-- accepted type; otherwise one line naming each problem. Called by capture triggers once per
-- statement and by rollup_health: PL/pgSQL so both queries are planned once per session (a SQL
-- function with SET clauses is planned again on every call), and the common case is one
-- index-driven count without any text formatting.
DECLARE
    v_expected integer;
    v_good     integer;
BEGIN
    SELECT pg_catalog.count(*)::integer,
           pg_catalog.count(a.attname)::integer
      INTO v_expected, v_good
      FROM pgrollup_internal.source_columns AS c
      LEFT JOIN pg_catalog.pg_attribute AS a
        ON a.attrelid = p_relid AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped
       AND CASE c.kind
           WHEN 'id' THEN a.atttypid IN (21, 23, 20)                                 -- int2, int4, int8
           WHEN 'text' THEN a.atttypid IN (25, 1043, 1042, 19)                       -- text, varchar, bpchar, name
           WHEN 'number' THEN a.atttypid IN (21, 23, 20, 1700, 700, 701)             -- ints, numeric, float4, float8
           WHEN 'timestamp' THEN a.atttypid IN (1114, 1184)                          -- timestamp, timestamptz
           ELSE true END
     WHERE c.module = p_module AND c.table_name = p_table;
    IF v_expected = v_good THEN
        RETURN NULL;
    END IF;
    RETURN (
        SELECT pg_catalog.string_agg(
                   CASE WHEN a.attname IS NULL
                        THEN pg_catalog.format('column %s.%s is missing (renamed or dropped)', p_relid::regclass, c.column_name)
                        ELSE pg_catalog.format('column %s.%s has type %s, expected %s', p_relid::regclass, c.column_name,
                                               pg_catalog.format_type(a.atttypid, a.atttypmod), c.kind) END,
                   '; ' ORDER BY c.column_name)
          FROM pgrollup_internal.source_columns AS c
          LEFT JOIN pg_catalog.pg_attribute AS a
            ON a.attrelid = p_relid AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.module = p_module AND c.table_name = p_table
           AND (a.attname IS NULL
                OR NOT CASE c.kind
                       WHEN 'id' THEN a.atttypid IN (21, 23, 20)
                       WHEN 'text' THEN a.atttypid IN (25, 1043, 1042, 19)
                       WHEN 'number' THEN a.atttypid IN (21, 23, 20, 1700, 700, 701)
                       WHEN 'timestamp' THEN a.atttypid IN (1114, 1184)
                       ELSE true END));
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.source_drift(text, text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.source_drift(text, text, oid) IS 'Column drift of one source table or partition: NULL when every column a module reads (pgrollup_internal.source_columns) exists with an accepted type, else the problems in one line.';

CREATE OR REPLACE FUNCTION pgrollup_internal.capture_skipped(p_module text, p_table text, p_relid oid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- The guard a capture trigger calls before it reads a statement's rows: true when a column the
-- module reads from p_table has drifted on relation p_relid (renamed, dropped, retyped), after
-- recording it once per problem in pgrollup_internal.capture_failures; the trigger then returns
-- without reading anything, so the application's statement goes through. No exception block
-- (a subtransaction per statement would overflow the subtransaction cache of big transactions).
DECLARE
    v_drift text := pgrollup_internal.source_drift(p_module, p_table, p_relid);
BEGIN
    IF v_drift IS NULL THEN
        RETURN false;
    END IF;
    INSERT INTO pgrollup_internal.capture_failures (module, relation, problem, seen_at)
    SELECT p_module, p_relid::regclass::text, v_drift, pg_catalog.now()
     WHERE NOT EXISTS (SELECT 1 FROM pgrollup_internal.capture_failures AS f
                        WHERE f.module = p_module AND f.relation = p_relid::regclass::text AND f.problem = v_drift);
    RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.capture_skipped(text, text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.capture_skipped(text, text, oid) IS 'Guard for capture triggers: true (after recording the problem once in pgrollup_internal.capture_failures) when a column the module reads from the table has drifted on the relation written to, so the trigger skips capture instead of failing the statement.';

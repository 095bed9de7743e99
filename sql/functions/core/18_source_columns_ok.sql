CREATE OR REPLACE FUNCTION pgrollup_internal.source_columns_ok(p_module text, p_table text, p_relid oid)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
-- SQL-standard body: bound at creation (no search_path involved) and inlined into the calling
-- statement, so a capture trigger's check is planned once per session with its own statement
-- (a function call with SET clauses would cost as much as the capture itself)
RETURN NOT EXISTS (
    SELECT 1 FROM pgrollup_internal.source_columns AS c
      LEFT JOIN pg_catalog.pg_attribute AS a
        ON a.attrelid = p_relid AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.module = p_module AND c.table_name = p_table
       AND (a.attname IS NULL
            OR NOT CASE c.kind
                   WHEN 'id' THEN a.atttypid IN (21, 23, 20)                                 -- int2, int4, int8
                   WHEN 'text' THEN a.atttypid IN (25, 1043, 1042, 19)                       -- text, varchar, bpchar, name
                   WHEN 'number' THEN a.atttypid IN (21, 23, 20, 1700, 700, 701)             -- ints, numeric, float4, float8
                   WHEN 'timestamp' THEN a.atttypid IN (1114, 1184)                          -- timestamp, timestamptz
                   ELSE true END));
REVOKE ALL ON FUNCTION pgrollup_internal.source_columns_ok(text, text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.source_columns_ok(text, text, oid) IS 'Whether every column a module reads from a source table (pgrollup_internal.source_columns) exists on relation p_relid with an accepted type; inlined into the capture triggers'' checks.';

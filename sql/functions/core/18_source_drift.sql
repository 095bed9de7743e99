CREATE OR REPLACE FUNCTION pgrollup_internal.source_drift(p_module text, p_table text, p_relid oid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- NULL when every column the module reads from p_table exists on relation p_relid with an
    -- accepted type; otherwise one line naming each problem. Called by capture triggers once per
    -- statement (a few catalog index lookups) and by rollup_health.
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
                   WHEN 'id' THEN a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
                   WHEN 'text' THEN a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype)
                   WHEN 'number' THEN a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype,
                                                     'float4'::regtype, 'float8'::regtype)
                   WHEN 'timestamp' THEN a.atttypid IN ('timestamp'::regtype, 'timestamptz'::regtype)
                   ELSE true END);
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.source_drift(text, text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.source_drift(text, text, oid) IS 'Column drift of one source table or partition: NULL when every column a module reads (pgrollup_internal.source_columns) exists with an accepted type, else the problems in one line.';

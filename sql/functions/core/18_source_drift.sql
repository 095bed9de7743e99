CREATE OR REPLACE FUNCTION pgrollup_internal.base_type(p_type oid)
RETURNS oid
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The type a column of type p_type holds: p_type itself, or for a domain its base type (through
-- domains over domains). A domain's base type never changes (ALTER DOMAIN cannot change it).
WITH RECURSIVE d (typ, depth) AS (
    SELECT p_type, 0
    UNION ALL
    SELECT y.typbasetype, d.depth + 1
      FROM d JOIN pg_catalog.pg_type AS y ON y.oid = d.typ
     WHERE y.typtype = 'd' AND d.depth < 32
)
SELECT d.typ FROM d ORDER BY d.depth DESC LIMIT 1;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.base_type(oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.base_type(oid) IS 'The type a column of the given type holds: the type itself, or a domain''s base type (through domains over domains).';

CREATE OR REPLACE FUNCTION pgrollup_internal.kind_accepts(p_kind text, p_type oid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- Whether a column of type p_type (a domain counts as its base type) can be read as a column of
-- kind p_kind (pgrollup_internal.source_columns.kind). The one statement of the accepted types:
-- the Citus shard triggers' hot query repeats the lists as constants and asks
-- citus_shard_columns_ok, which uses this, whenever they do not match.
SELECT CASE p_kind
       WHEN 'id' THEN t.typ IN (21, 23, 20)                       -- int2, int4, int8
       WHEN 'text' THEN t.typ IN (25, 1043, 1042, 19)             -- text, varchar, bpchar, name
       WHEN 'number' THEN t.typ IN (21, 23, 20, 1700, 700, 701)   -- ints, numeric, float4, float8
       WHEN 'timestamp' THEN t.typ IN (1114, 1184)                -- timestamp, timestamptz
       ELSE true END
  FROM (SELECT pgrollup_internal.base_type(p_type) AS typ) AS t;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.kind_accepts(text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.kind_accepts(text, oid) IS 'Whether a column of the given type (a domain counts as its base type) is accepted for a column of the given kind (id, text, number, timestamp): the one statement of the accepted types.';

CREATE OR REPLACE FUNCTION pgrollup_internal.source_drift(p_module text, p_table text, p_relid oid)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- NULL when every column the module reads from p_table exists on relation p_relid with an
-- accepted type (kind_accepts); otherwise one line naming each problem. The columns come from the
-- relation's row type as the server knows it now (the relation cache), not from pg_attribute read through the
-- query's snapshot: in REPEATABLE READ that snapshot can predate a migration that committed before
-- the statement locked the table, while a capture trigger's own SQL is parsed against the new
-- columns. Dynamic SQL (planned on every call): capture triggers call it only on their slow path
-- (see capture_columns_ok), health and refresh once per table.
DECLARE
    v_rel   text;
    v_cols  jsonb := '{}'::jsonb;
    v_names text[];
    v_types oid[];
BEGIN
    -- (has_table_privilege is NULL for a relation that does not exist, without an error)
    IF p_relid IS NOT NULL AND pg_catalog.has_table_privilege(p_relid, 'SELECT') IS NOT NULL THEN
        v_rel := p_relid::regclass::text;
        EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(r) FROM (SELECT (NULL::%s).*) AS r', v_rel)
           INTO v_cols;
    END IF;
    v_names := ARRAY(SELECT c.column_name FROM pgrollup_internal.source_columns AS c
                      WHERE c.module = p_module AND c.table_name = p_table AND v_cols ? c.column_name
                      ORDER BY c.column_name);
    IF pg_catalog.cardinality(v_names) > 0 THEN
        EXECUTE pg_catalog.format('SELECT ARRAY[%s]::pg_catalog.oid[] FROM (SELECT (NULL::%s).*) AS r',
                                  (SELECT pg_catalog.string_agg(pg_catalog.format('pg_catalog.pg_typeof(r.%I)::pg_catalog.oid', u.n), ', ' ORDER BY u.i)
                                     FROM pg_catalog.unnest(v_names) WITH ORDINALITY AS u(n, i)),
                                  v_rel)
           INTO v_types;
    END IF;
    RETURN (
        SELECT pg_catalog.string_agg(x.problem, '; ' ORDER BY x.column_name)
          FROM (SELECT c.column_name,
                       CASE WHEN t.typ IS NULL
                            THEN pg_catalog.format('column %s.%s is missing (renamed or dropped)',
                                                   COALESCE(v_rel, p_relid::regclass::text), c.column_name)
                            WHEN NOT pgrollup_internal.kind_accepts(c.kind, t.typ)
                            THEN pg_catalog.format('column %s.%s has type %s, expected %s', v_rel, c.column_name,
                                                   pg_catalog.format_type(t.typ, NULL), c.kind) END AS problem
                  FROM pgrollup_internal.source_columns AS c
                  LEFT JOIN ROWS FROM (pg_catalog.unnest(v_names), pg_catalog.unnest(v_types)) AS t(name, typ) ON t.name = c.column_name
                 WHERE c.module = p_module AND c.table_name = p_table) AS x
         WHERE x.problem IS NOT NULL);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.source_drift(text, text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.source_drift(text, text, oid) IS 'Column drift of one source table or partition, from its row type as the server knows it now (not through the query''s snapshot): NULL when every column a module reads (pgrollup_internal.source_columns) exists with an accepted type, else the problems in one line.';

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

CREATE OR REPLACE FUNCTION pgrollup_internal.capture_columns_ok(p_module text, p_table text, p_source regclass)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- The fast path of the capture triggers' column check. Declared IMMUTABLE on purpose (it reads the
-- catalog): a capture trigger calls it with constant arguments, among them the source table's OID
-- as a regclass constant (bound at install by bind_capture), so the planner folds the call into
-- its result once and the trigger's cached plan keeps it. A regclass constant is a dependency of
-- that plan: any change of the source table's definition (ALTER TABLE, which also covers its
-- partitions: their columns are the root's) invalidates it, and the next statement plans it, so
-- calls it, again. The check itself is source_drift's (the relation cache, current as of the
-- statement's lock). Nothing else may call it.
BEGIN
    RETURN pgrollup_internal.source_drift(p_module, p_table, p_source::oid) IS NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.capture_columns_ok(text, text, regclass) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.capture_columns_ok(text, text, regclass) IS 'Plan-time column check of the capture triggers (IMMUTABLE on purpose, folded into their cached plans, which depend on the source table and are planned again after any change of it): true when source_drift finds nothing on the source table.';

CREATE OR REPLACE FUNCTION pgrollup_internal.bind_capture(p_function regprocedure, p_source regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Writes the source table's OID into a capture trigger function: every '<digits>'::pg_catalog.regclass
-- constant of its definition becomes '<OID of p_source>' (the function files hold '0', which no
-- relation has: until bound, every statement takes the slow path). Called by the modules' attach
-- hooks at install; idempotent.
DECLARE
    v_def   text := pg_catalog.pg_get_functiondef(p_function);
    v_bound text;
BEGIN
    v_bound := pg_catalog.regexp_replace(v_def, '''[0-9]+''::pg_catalog\.regclass',
                                         pg_catalog.format('%L::pg_catalog.regclass', COALESCE(p_source::oid, 0::oid)::text), 'g');
    IF v_bound IS DISTINCT FROM v_def THEN
        EXECUTE v_bound;
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.bind_capture(regprocedure, regclass) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.bind_capture(regprocedure, regclass) IS 'Binds a capture trigger function to its source table: replaces the OID in its regclass constants (''0'' in the function files) with the table''s, so its column check can be folded into its cached plans; called by the attach hooks.';

CREATE OR REPLACE FUNCTION pgrollup_internal.capture_note_drift(p_module text, p_table text, p_relid oid)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- A capture trigger's fast path found drift (capture_columns_ok is false): record it unless a
-- record of this relation is there already, so a drifted table costs its writers one look at this
-- small table per statement, not a check each time. The record stays until a full restatement.
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.capture_failures AS f
                    WHERE f.module = p_module AND f.relation = p_relid::regclass::text) THEN
        PERFORM pgrollup_internal.capture_skipped(p_module, p_table, p_relid);
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.capture_note_drift(text, text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.capture_note_drift(text, text, oid) IS 'Records a column drift a capture trigger''s fast path found (once per relation, through capture_skipped); the trigger then skips capture and lets the statement through.';

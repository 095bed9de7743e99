CREATE OR REPLACE FUNCTION pgrollup_internal.citus_shard_map(p_shardid bigint)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_map jsonb;
BEGIN
    -- Run on a Citus node that holds the shard p_shardid of one of pgrollup's distributed tables:
    -- for every distributed table colocated with it (pgrollup's and the sources it follows) and
    -- every reference table of the pgrollup schemas, the local shard that holds the same keys (the
    -- colocated shard, the replica), and for each constraint of pgrollup's tables the shard's
    -- constraint name (Citus appends the shard id to both).
    -- Citus metadata exists only where Citus is installed: looked up dynamically.
    EXECUTE $q$
        WITH anchor AS (
            SELECT p.colocationid, s.shardminvalue
              FROM pg_catalog.pg_dist_shard AS s
              JOIN pg_catalog.pg_dist_partition AS p ON p.logicalrelid = s.logicalrelid
             WHERE s.shardid = $1
        ), shards AS (
            SELECT s.logicalrelid, s.shardid, n.nspname IN ('pgrollup', 'pgrollup_internal') AS ours
              FROM pg_catalog.pg_dist_shard AS s
              JOIN pg_catalog.pg_dist_partition AS p ON p.logicalrelid = s.logicalrelid
              JOIN pg_catalog.pg_class AS c ON c.oid = s.logicalrelid
              JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
             CROSS JOIN anchor AS a
             WHERE (p.colocationid = a.colocationid AND s.shardminvalue = a.shardminvalue)
                OR (n.nspname IN ('pgrollup', 'pgrollup_internal') AND p.partmethod = 'n' AND p.repmodel = 't')
        )
        SELECT pg_catalog.jsonb_object_agg(k, v)
          FROM (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS k,
                       pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || x.shardid) AS v
                  FROM shards AS x
                  JOIN pg_catalog.pg_class AS c ON c.oid = x.logicalrelid
                  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                UNION ALL
                -- the same with the schema quoted, as the installer writes the source schema into
                -- pgrollup's functions ("public".outbound_messages)
                SELECT '"' || pg_catalog.replace(n.nspname, '"', '""') || '".' || pg_catalog.quote_ident(c.relname),
                       pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || x.shardid)
                  FROM shards AS x
                  JOIN pg_catalog.pg_class AS c ON c.oid = x.logicalrelid
                  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                 WHERE NOT x.ours
                UNION ALL
                SELECT pg_catalog.quote_ident(o.conname), pg_catalog.quote_ident(o.conname || '_' || x.shardid)
                  FROM shards AS x
                  JOIN pg_catalog.pg_constraint AS o ON o.conrelid = x.logicalrelid
                 WHERE x.ours) AS m$q$
       INTO v_map USING p_shardid;
    RETURN v_map;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_shard_map(bigint) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_shard_map(bigint) IS 'On a Citus node holding shard p_shardid of a pgrollup table: {"schema.table": "schema.table_<shardid>", "constraint": "constraint_<shardid>"} for every table colocated with it (pgrollup''s and the sources) and every pgrollup reference table (their local shards; constraints of pgrollup''s tables), the names pgrollup_internal.citus_bind substitutes.';

CREATE OR REPLACE FUNCTION pgrollup_internal.citus_bind(p_function regprocedure, p_map jsonb, p_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fn   record;
    v_src  text;
    v_key  text;
    v_set  text;
BEGIN
    -- A session-local copy pg_temp.<p_name>(...) of the PL/pgSQL function p_function (same
    -- arguments, result and settings), with every name of p_map replaced by its value: the
    -- single-node code run as it is on one node's shards, which are plain tables there (no
    -- distributed planning, nothing leaves the node). Names are replaced whole (word boundaries),
    -- longest first.
    SELECT p.prosrc, pg_catalog.pg_get_function_arguments(p.oid) AS args,
           pg_catalog.pg_get_function_result(p.oid) AS result, p.proconfig
      INTO v_fn
      FROM pg_catalog.pg_proc AS p WHERE p.oid = p_function;
    v_src := v_fn.prosrc;
    FOR v_key IN SELECT k FROM pg_catalog.jsonb_object_keys(p_map) AS k ORDER BY pg_catalog.length(k) DESC, k LOOP
        v_src := pg_catalog.regexp_replace(
            v_src,
            CASE WHEN v_key ~ '^\w' THEN '\m' ELSE '' END   -- (a key may start with a quote)
            || pg_catalog.regexp_replace(v_key, '([.\[\]()*+?^$|{}\\])', '\\\1', 'g') || '\M',
            pg_catalog.replace(p_map ->> v_key, '\', '\\'), 'g');
    END LOOP;
    -- the function's own settings (search_path, TimeZone, planner settings), as it has them (a
    -- list setting's value is stored as it was written: it is not quoted whole)
    SELECT COALESCE(pg_catalog.string_agg(
               CASE WHEN x.name = 'search_path' THEN pg_catalog.format(' SET search_path = %s', x.value)
                    ELSE pg_catalog.format(' SET %I = %L', x.name, x.value) END, ''), '')
      INTO v_set
      FROM (SELECT pg_catalog.split_part(c, '=', 1) AS name, pg_catalog.substr(c, pg_catalog.strpos(c, '=') + 1) AS value
              FROM pg_catalog.unnest(v_fn.proconfig) AS c) AS x;
    EXECUTE pg_catalog.format('CREATE OR REPLACE FUNCTION pg_temp.%I(%s) RETURNS %s LANGUAGE plpgsql VOLATILE%s AS %L',
                              p_name, v_fn.args, v_fn.result, v_set, v_src);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_bind(regprocedure, jsonb, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_bind(regprocedure, jsonb, text) IS 'Creates pg_temp.<p_name>(...), a session-local copy of a pgrollup PL/pgSQL function (same arguments, result and settings) with the names of p_map (see citus_shard_map) replaced: runs the single-node code on one Citus node''s local shards.';

CREATE OR REPLACE FUNCTION pgrollup_internal.citus_unreachable_nodes()
RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_nodes text[];
BEGIN
    -- On a Citus coordinator: the worker nodes ('host:port (error)') that do not answer within 5
    -- seconds, without raising (run_command_on_workers reports each node's failure); NULL where
    -- Citus is not installed or every node answers.
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_node') IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pg_catalog.set_config('citus.node_connection_timeout', '5000', true);
    EXECUTE $q$SELECT pg_catalog.array_agg(w.nodename || ':' || w.nodeport || ' (' || pg_catalog.split_part(w.result, E'\n', 1) || ')'
                                           ORDER BY w.nodename, w.nodeport)
                 FROM pg_catalog.run_command_on_workers('SELECT 1', true) AS w
                WHERE NOT w.success$q$
       INTO v_nodes;
    RETURN v_nodes;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_unreachable_nodes() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_unreachable_nodes() IS 'Citus: the worker nodes that do not answer within 5 seconds (''host:port (error)''), NULL when all answer or Citus is not installed; never raises. Used by rollup_health.';

CREATE OR REPLACE FUNCTION pgrollup_internal.citus_colocated_shard(p_table regclass, p_shard_table name)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_shard text;
BEGIN
    -- On a Citus node, in a capture trigger fired on the shard p_shard_table (a source shard,
    -- '<table>_<shardid>'): the qualified name of the shard of p_table (a pgrollup change log)
    -- colocated with it, when that shard is on this node; NULL on the coordinator's table or when
    -- it is not here. Citus metadata exists only where Citus is installed: looked up dynamically.
    EXECUTE $q$
        SELECT pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || l.shardid)
          FROM pg_catalog.pg_dist_shard AS s
          JOIN pg_catalog.pg_dist_shard AS l
            ON l.logicalrelid = $1 AND l.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue
          JOIN pg_catalog.pg_class AS c ON c.oid = l.logicalrelid
          JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
         WHERE s.shardid = pg_catalog.substring($2, '_(\d+)$')::bigint$q$
       INTO v_shard USING p_table, p_shard_table::text;
    IF v_shard IS NULL OR pg_catalog.to_regclass(v_shard) IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN v_shard;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_colocated_shard(regclass, name) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_colocated_shard(regclass, name) IS 'Citus, in a capture trigger on a source shard: the qualified name of the shard of p_table colocated with the shard p_shard_table (''<table>_<shardid>''), NULL when there is none on this node (the coordinator''s table). Capture triggers cache it per session and shard.';

CREATE OR REPLACE FUNCTION pgrollup_internal.citus_shard_columns_ok(p_shard regclass, p_columns jsonb)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ok boolean;
BEGIN
    -- On a Citus node, in a capture trigger fired on a source shard in a REPEATABLE READ or
    -- SERIALIZABLE transaction: true when every column of p_columns ({"column": "kind"}, the kinds
    -- of pgrollup_internal.source_columns: id, number, text, timestamp) exists on the shard with an
    -- accepted type (kind_accepts). The columns come from the shard's row type as the server knows
    -- it now (the relation cache), not from pg_attribute read through the transaction's snapshot:
    -- that snapshot can predate a migration that committed before the statement locked the shard, while the
    -- trigger's own SQL is parsed against the new columns. Two statements planned at each call:
    -- the triggers use a cheaper pg_attribute query at READ COMMITTED, where every query of theirs
    -- takes a snapshot after the statement's lock.
    EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.?&) $1 FROM (SELECT (NULL::%s).*) AS r', p_shard)
       INTO v_ok USING ARRAY(SELECT pg_catalog.jsonb_object_keys(p_columns));
    IF v_ok THEN
        EXECUTE pg_catalog.format(
            'SELECT %s FROM (SELECT (NULL::%s).*) AS r',
            (SELECT pg_catalog.string_agg(pg_catalog.format('pgrollup_internal.kind_accepts(%L, pg_catalog.pg_typeof(r.%I)::pg_catalog.oid)',
                                                            e.value, e.key), ' AND ')
               FROM pg_catalog.jsonb_each_text(p_columns) AS e),
            p_shard)
           INTO v_ok;
    END IF;
    RETURN v_ok IS TRUE;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_shard_columns_ok(regclass, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_shard_columns_ok(regclass, jsonb) IS 'Citus, in a capture trigger on a source shard at REPEATABLE READ or SERIALIZABLE: true when every column of p_columns ({"column": "kind"}) exists on the shard with an accepted type, read from its row type as the server knows it now, not through the transaction''s snapshot.';

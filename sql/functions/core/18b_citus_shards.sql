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

CREATE OR REPLACE FUNCTION pgrollup_internal.citus_shard_columns_folded(p_shard regclass, p_columns jsonb)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- citus_shard_columns_ok, declared IMMUTABLE on purpose (it reads the catalog): the fast path of a
-- capture trigger's function bound by citus_bind_capture calls it with constant arguments, among
-- them the shard as a regclass constant, so the planner folds the call into its result once and
-- the cached plan keeps it. The regclass constant is a dependency of that plan: any change of the
-- shard's definition (an ALTER TABLE of the distributed table, which Citus runs on every shard)
-- invalidates it, and the next statement plans it, so calls it, again. Nothing else may call it.
BEGIN
    RETURN pgrollup_internal.citus_shard_columns_ok(p_shard, p_columns);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_shard_columns_folded(regclass, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_shard_columns_folded(regclass, jsonb) IS 'Citus: citus_shard_columns_ok declared IMMUTABLE, so that the static branches citus_bind_capture writes into a capture trigger''s function fold the column check of their shard into their cached plan (planned again after any ALTER TABLE of the shard). Called by those branches only.';

-- its first form took the columns as an argument; they come from source_columns now
DROP FUNCTION IF EXISTS pgrollup_internal.citus_bind_capture(regprocedure, regclass, regclass, jsonb, text);

CREATE OR REPLACE FUNCTION pgrollup_internal.citus_bind_capture(p_function regprocedure, p_module text, p_source regclass,
                                                              p_log regclass, p_insert text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_def    text := pg_catalog.pg_get_functiondef(p_function);
    v_begin  text;
    v_end    text;
    v_names  text[];
    v_leaves text[];
    v_code   text := '';
    v_new    text;
    v_prop   text;
    v_columns jsonb;
BEGIN
    -- On a Citus coordinator: writes into a capture trigger function (in its body, between the
    -- comment lines '-- pgrollup:citus-shards-begin <source table>' and '-- pgrollup:citus-shards-end
    -- <source table>') one static branch per shard of p_source, for INSERT:
    -- which shard fired the trigger is found with one array lookup on the shard's name and a
    -- binary search over the branches; the branch checks the shard's columns (those the module
    -- reads, from pgrollup_internal.source_columns; folded into its
    -- cached plan, see citus_shard_columns_folded) and that the colocated shard of the change log
    -- p_log is on this node, then runs p_insert (PL/pgSQL statements, a format() string: %1$s the
    -- log shard's name, %2$s that name as a literal) as static SQL, planned once per session and
    -- shard; p_insert returns, or leaves the rest to the general path. Any other case (another
    -- statement, a shard created after the last bind, a drifted column) goes on to the function's
    -- general path, which plans its statement at each call. Citus propagates the new definition
    -- to every node (a distributed function). Returns whether the definition changed; idempotent.
    SELECT pg_catalog.jsonb_object_agg(sc.column_name, sc.kind ORDER BY sc.column_name) INTO v_columns
      FROM pgrollup_internal.source_columns AS sc
      JOIN pg_catalog.pg_class AS c ON c.relname = sc.table_name AND c.oid = p_source
     WHERE sc.module = p_module;
    EXECUTE $q$
        SELECT pg_catalog.array_agg(c.relname || '_' || s.shardid ORDER BY s.shardid),
               pg_catalog.array_agg(pg_catalog.format(
                   E'IF pgrollup_internal.citus_shard_columns_folded(%L::pg_catalog.regclass, %L::jsonb)\n'
                    '           AND pg_catalog.to_regclass(%L) IS NOT NULL THEN\n'
                    '            %s\n'
                    '        END IF;',
                   pg_catalog.format('%I.%I', n.nspname, c.relname || '_' || s.shardid), $3::text,
                   pg_catalog.format('%I.%I', ln.nspname, lc.relname || '_' || l.shardid),
                   pg_catalog.format($4, pg_catalog.format('%I.%I', ln.nspname, lc.relname || '_' || l.shardid),
                                     pg_catalog.quote_literal(pg_catalog.format('%I.%I', ln.nspname, lc.relname || '_' || l.shardid))))
                   ORDER BY s.shardid)
          FROM pg_catalog.pg_dist_shard AS s
          JOIN pg_catalog.pg_class AS c ON c.oid = s.logicalrelid
          JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
          JOIN pg_catalog.pg_dist_shard AS l
            ON l.logicalrelid = $2 AND l.shardminvalue OPERATOR(pg_catalog.=) s.shardminvalue
          JOIN pg_catalog.pg_class AS lc ON lc.oid = l.logicalrelid
          JOIN pg_catalog.pg_namespace AS ln ON ln.oid = lc.relnamespace
         WHERE s.logicalrelid = $1$q$
       INTO v_names, v_leaves USING p_source, p_log, v_columns, p_insert;
    SELECT '-- pgrollup:citus-shards-begin ' || c.relname, '-- pgrollup:citus-shards-end ' || c.relname
      INTO v_begin, v_end
      FROM pg_catalog.pg_class AS c WHERE c.oid = p_source;
    IF pg_catalog.strpos(v_def, v_begin) = 0 OR pg_catalog.strpos(v_def, v_end) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('%s has no shard markers for %s', p_function, p_source);
    END IF;
    IF v_names IS NOT NULL THEN
        v_code := pg_catalog.format(E'\n    IF TG_OP = \'INSERT\' THEN\n'
                                     '        v_shard := pg_catalog.array_position(%L::pg_catalog.text[], TG_TABLE_NAME::pg_catalog.text);\n'
                                     '        IF v_shard IS NOT NULL THEN\n'
                                     '        %s\n'
                                     '        END IF;\n'
                                     '    END IF;\n    ',
                                    v_names, pgrollup_internal.citus_capture_tree(v_leaves, 1, pg_catalog.cardinality(v_leaves)));
    END IF;
    v_new := pg_catalog.substr(v_def, 1, pg_catalog.strpos(v_def, v_begin) + pg_catalog.length(v_begin) - 1)
             || v_code || pg_catalog.substr(v_def, pg_catalog.strpos(v_def, v_end));
    IF v_new = v_def THEN
        RETURN false;
    END IF;
    -- propagated to every node whatever this transaction set before (a node refresh turns DDL
    -- propagation off for its own temporary tables)
    v_prop := pg_catalog.current_setting('citus.enable_ddl_propagation');
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'on', true);
    EXECUTE v_new;
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', v_prop, true);
    RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_bind_capture(regprocedure, text, regclass, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_bind_capture(regprocedure, text, regclass, regclass, text) IS 'Citus, on the coordinator: writes into a capture trigger function one static INSERT branch per shard of the source p_source (its shard''s columns, those module p_module reads per source_columns, checked in the branch''s cached plan, the PL/pgSQL statements p_insert writing into the colocated shard of the log p_log, planned once per session and shard), between the markers of its body for that source; a shard without a branch takes the function''s general path. Returns whether the definition changed.';

CREATE OR REPLACE FUNCTION pgrollup_internal.citus_rebind_capture(p_module text, p_bind regprocedure)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_changed boolean;
BEGIN
    -- After a Citus refresh of module p_module, on the coordinator: runs its bind function p_bind
    -- (reporting_citus_bind_capture, messaging_citus_bind_capture), so that shards created since
    -- the last bind (a shard split) get their static capture branch. A failure here leaves those
    -- shards on the general path, which captures them as exactly: a WARNING, not a failed refresh.
    EXECUTE pg_catalog.format('SELECT %s()', p_bind::oid::pg_catalog.regproc) INTO v_changed;
    RETURN v_changed;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING '%: capture branches of new shards not written: %', p_module, SQLERRM;
    RETURN false;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_rebind_capture(text, regprocedure) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_rebind_capture(text, regprocedure) IS 'Citus, on the coordinator, after a refresh of module p_module: runs its bind function p_bind (citus_bind_capture for each of its sources), so that shards created since the last bind get their static capture branch; a failure is a WARNING (those shards keep the general path), not a failed refresh. Returns whether the capture function changed.';

CREATE OR REPLACE FUNCTION pgrollup_internal.citus_capture_tree(p_leaves text[], p_lo integer, p_hi integer)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mid integer := (p_lo + p_hi) / 2;
    v_pad text := pg_catalog.repeat('    ', 2);
BEGIN
    -- citus_bind_capture's search over its branches p_leaves[p_lo:p_hi] by v_shard (the position
    -- of the branch): nested IF statements, one comparison per level
    IF p_lo = p_hi THEN
        RETURN p_leaves[p_lo];
    END IF;
    RETURN pg_catalog.format(E'IF v_shard <= %s THEN\n%s%s\n%sELSE\n%s%s\n%sEND IF;',
                             v_mid, v_pad, pgrollup_internal.citus_capture_tree(p_leaves, p_lo, v_mid), v_pad,
                             v_pad, pgrollup_internal.citus_capture_tree(p_leaves, v_mid + 1, p_hi), v_pad);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_capture_tree(text[], integer, integer) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_capture_tree(text[], integer, integer) IS 'Citus: the PL/pgSQL text of citus_bind_capture''s search over its per-shard branches p_leaves[p_lo:p_hi] by the variable v_shard (nested IF statements, one comparison per level).';

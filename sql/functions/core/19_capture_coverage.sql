CREATE OR REPLACE FUNCTION pgrollup_internal.source_tree(p_root regclass)
RETURNS TABLE (relid regclass, level integer, isleaf boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
-- A source table and every table below it, at any depth: its partitions (declarative
-- partitioning) and its inheritance children (CREATE TABLE ... INHERITS, the partitioning of
-- older applications), both recorded in pg_inherits. A SELECT, UPDATE or DELETE of the table reads
-- and writes all of them, so capture covers all of them. Like pg_partition_tree (which lists
-- partitions only): the table itself at level 0, each member once, at its shallowest level.
WITH RECURSIVE tree (relid, level) AS (
    SELECT p_root::oid, 0
    UNION
    SELECT i.inhrelid, t.level + 1
      FROM tree AS t
      JOIN pg_catalog.pg_inherits AS i ON i.inhparent = t.relid
     WHERE t.level < 64
)
SELECT m.relid::regclass, m.level,
       NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits AS i WHERE i.inhparent = m.relid)
  FROM (SELECT t.relid, pg_catalog.min(t.level) AS level FROM tree AS t GROUP BY t.relid) AS m
 WHERE p_root IS NOT NULL
 ORDER BY m.level, m.relid;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.source_tree(regclass) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.source_tree(regclass) IS 'A source table (level 0) and every table below it at any depth, partitions and inheritance children alike (pg_inherits), each once at its shallowest level, with whether it has none below it; what capture covers.';

CREATE OR REPLACE FUNCTION pgrollup_internal.source_inherits_from(p_rel oid, p_root oid)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Whether relation p_rel is below p_root in an inheritance tree (an inheritance child at any
    -- depth, or a partition), walking up pg_inherits from p_rel. The capture triggers' way to take
    -- their fast path on the children of a source table partitioned by inheritance, whose
    -- inherited columns are the table's, which no ALTER TABLE of the child alone can rename, drop or
    -- retype. PL/pgSQL so the query is planned once per session (a SQL function was planned at
    -- every statement). pg_inherits is read through the query's snapshot, which at READ COMMITTED
    -- follows the statement's lock; at REPEATABLE READ and SERIALIZABLE it may predate a NO
    -- INHERIT, so there the answer is false and the trigger takes the full check.
    IF pg_catalog.current_setting('transaction_isolation') NOT IN ('read committed', 'read uncommitted') THEN
        RETURN false;
    END IF;
    RETURN EXISTS (
        WITH RECURSIVE up (relid, depth) AS (
            SELECT p_rel, 0
            UNION ALL
            SELECT i.inhparent, u.depth + 1
              FROM up AS u
              JOIN pg_catalog.pg_inherits AS i ON i.inhrelid = u.relid
             WHERE u.depth < 64 AND u.relid <> p_root
        )
        SELECT 1 FROM up WHERE up.relid = p_root AND up.depth > 0);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.source_inherits_from(oid, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.source_inherits_from(oid, oid) IS 'Whether a relation is below a source table in its inheritance tree (child at any depth, or partition), at READ COMMITTED only (false otherwise: pg_inherits is read through the query''s snapshot); lets the capture triggers take their fast path on inheritance children.';

CREATE OR REPLACE FUNCTION pgrollup_internal.create_capture_trigger(p_rel regclass, p_name text, p_event text,
                                                                    p_function text, p_old_table text, p_new_table text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_proc regprocedure := pg_catalog.to_regprocedure(p_function || '()');
    v_ref  text := '';
BEGIN
    IF v_proc IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42883', MESSAGE = pg_catalog.format('capture trigger function %s() does not exist', p_function);
    END IF;
    IF p_event NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = pg_catalog.format('invalid trigger event %L', p_event);
    END IF;
    IF p_old_table IS NOT NULL THEN
        v_ref := pg_catalog.format(' OLD TABLE AS %I', p_old_table);
    END IF;
    IF p_new_table IS NOT NULL THEN
        v_ref := v_ref || pg_catalog.format(' NEW TABLE AS %I', p_new_table);
    END IF;
    IF v_ref <> '' THEN
        v_ref := ' REFERENCING' || v_ref;
    END IF;
    -- p_event is one of four keywords (checked above); the rest is quoted by format
    EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER %s ON %s%s FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                              p_name, p_event, p_rel, v_ref, v_proc::oid::regproc);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.create_capture_trigger(regclass, text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.create_capture_trigger(regclass, text, text, text, text, text) IS 'Creates one statement-level AFTER capture trigger (with its transition tables) on a source table or partition.';

CREATE OR REPLACE FUNCTION pgrollup_internal.drop_triggers_of(p_function regprocedure, p_name text DEFAULT NULL,
                                                              p_partitions_only boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_trigger record;
    v_n bigint := 0;
BEGIN
    -- every trigger calling p_function (named p_name, when given; on partitions only, when asked),
    -- on whatever relation it is
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
          JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
         WHERE t.tgfoid = p_function AND NOT t.tgisinternal
           AND (p_name IS NULL OR t.tgname = p_name)
           AND (NOT p_partitions_only OR c.relispartition)
         ORDER BY t.tgrelid, t.tgname
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.drop_triggers_of(regprocedure, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.drop_triggers_of(regprocedure, text, boolean) IS 'Drops the triggers that call a function (optionally only those of one name, or only on partitions) from every relation; returns how many. Used by the modules'' attach and detach hooks.';

CREATE OR REPLACE FUNCTION pgrollup_internal.capture_partition_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_slices jsonb;
BEGIN
    -- on a Citus shard (no pgrollup tables there): let the write through; see capture_problems()
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- on the Citus coordinator the TRUNCATE of a distributed partition fires this on the shell
    -- table too: its rows are on the workers, where this trigger does nothing (health reports it)
    IF pgrollup_internal.citus_placement(TG_RELID) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    -- BEFORE TRUNCATE of a partition (TG_ARGV: module, source table): its rows are still there;
    -- note the slices they contribute to, which the module's next refresh restates. Never fails the
    -- application's statement: without a slices function or with column drift, everything is
    -- restated instead.
    v_slices := pgrollup_internal.relation_slices(TG_ARGV[0], TG_ARGV[1], TG_RELID);
    IF v_slices = '[]'::jsonb THEN
        RETURN NULL;                           -- an empty partition: nothing to restate
    END IF;
    INSERT INTO pgrollup_internal.partition_restates (module, relation, slices)
    VALUES (TG_ARGV[0], TG_RELID::regclass::text, v_slices);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.capture_partition_truncate() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.capture_partition_truncate() IS 'BEFORE TRUNCATE trigger on each partition of a source table (arguments: module, source table): queues the slices the partition''s rows contribute to in pgrollup_internal.partition_restates, for the module''s next refresh to restate. Never fails the statement.';

CREATE OR REPLACE FUNCTION pgrollup_internal.restate_slices(p_module text, p_slices jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fn regprocedure;
    v_n  bigint;
BEGIN
    SELECT pg_catalog.to_regprocedure(m.restate_function || '(jsonb)') INTO v_fn
      FROM pgrollup_internal.modules AS m WHERE m.module = p_module;
    IF v_fn IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE pg_catalog.format('SELECT %s($1)', v_fn::oid::regproc) INTO v_n USING p_slices;
    -- everything restated from source with no column drift left: statements whose capture was
    -- skipped are accounted for, so their record goes
    IF p_slices IS NULL AND NOT EXISTS (
           SELECT 1
             FROM pgrollup_internal.modules AS m
             JOIN pgrollup_internal.source_columns AS c ON c.module = m.module
            WHERE m.module = p_module
              AND pgrollup_internal.source_drift(p_module, c.table_name,
                      pg_catalog.to_regclass(pg_catalog.format('%I.%I', m.source_schema, c.table_name))::oid) IS NOT NULL) THEN
        DELETE FROM pgrollup_internal.capture_failures AS f WHERE f.module = p_module;
    END IF;
    RETURN COALESCE(v_n, 0);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.restate_slices(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.restate_slices(text, jsonb) IS 'Calls a module''s restate hook for some slices (NULL: everything, after which the module''s capture failures are cleared when no column drift is left); 0 when the module has none.';

CREATE OR REPLACE FUNCTION pgrollup_internal.relation_slices(p_module text, p_table text, p_relid oid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_fn regprocedure;
    v_slices jsonb;
BEGIN
    SELECT pg_catalog.to_regprocedure(m.slices_function || '(text,oid)') INTO v_fn
      FROM pgrollup_internal.modules AS m WHERE m.module = p_module;
    IF v_fn IS NULL OR pgrollup_internal.source_drift(p_module, p_table, p_relid) IS NOT NULL THEN
        RETURN NULL;                           -- unknown: everything
    END IF;
    EXECUTE pg_catalog.format('SELECT %s($1, $2)', v_fn::oid::regproc) INTO v_slices USING p_table, p_relid;
    RETURN COALESCE(v_slices, '[]'::jsonb);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.relation_slices(text, text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.relation_slices(text, text, oid) IS 'The slices the rows of one source table member contribute to, from the module''s slices hook; NULL (everything) when unknown.';

-- (an earlier two-argument version; the call below would be ambiguous next to it)
DROP FUNCTION IF EXISTS pgrollup_internal.cover_partitions(text, boolean);

CREATE OR REPLACE FUNCTION pgrollup_internal.cover_partitions(p_module text, p_nowait boolean DEFAULT true, p_repair boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Keeps capture in step with the partition trees of a module's source tables (called by every
-- refresh of the module and by its attach hook at install and mode switches; the caller holds the
-- module lock). Statement triggers fire only for the table a statement names, and partitions do
-- not inherit them, so every member of the tree carries the triggers its root carries:
--  * a new member without them gets them (p_nowait: with a short lock_timeout; a busy partition,
--    or one pgrollup may not put triggers on, is skipped with a warning and stays reported by
--    health); a known member that lost one gets it back only with p_repair (install);
--    a new member that already holds rows (ATTACH of a filled table, direct writes before its
--    triggers existed) has the slices it holds restated;
--  * a member that left the tree is restated: a detached table by the slices it holds (and loses
--    pgrollup's triggers), a dropped one by restating everything;
--  * TRUNCATEs of partitions queued by pgrollup_internal.capture_partition_truncate are restated;
--  * a source table dropped and recreated (new OID) is covered again only by attach (install), which
--    then restates everything; until then health reports it.
-- Returns the number of restatements done.
DECLARE
    v_schema    text;
    v_table     text;
    v_root      oid;
    v_old_root  oid;
    v_first     boolean;
    v_member    record;
    v_spec      record;
    v_gone      record;
    v_queued    record;
    v_has_slices boolean;
    v_missing   boolean;
    v_restated  bigint := 0;
    v_timeout   text := pg_catalog.current_setting('lock_timeout');
BEGIN
    SELECT m.source_schema, m.slices_function IS NOT NULL INTO v_schema, v_has_slices
      FROM pgrollup_internal.modules AS m WHERE m.module = p_module;
    FOR v_table IN
        SELECT DISTINCT c.table_name FROM pgrollup_internal.capture_triggers AS c
         WHERE c.module = p_module ORDER BY 1
    LOOP
        v_root := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, v_table));
        SELECT p.relid INTO v_old_root FROM pgrollup_internal.source_partitions AS p
         WHERE p.module = p_module AND p.table_name = v_table AND p.is_root;
        -- no source table, or not captured in this mode (the root carries none of the triggers; a
        -- recreated table has none until install attaches them again)
        CONTINUE WHEN v_root IS NULL;
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pgrollup_internal.capture_triggers AS c
                                    JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = v_root AND t.tgname = c.trigger_name
                                   WHERE c.module = p_module AND c.table_name = v_table);
        v_first := v_old_root IS NULL;     -- first coverage (install): the module builds from source anyway
        IF v_old_root IS DISTINCT FROM v_root THEN
            IF NOT v_first THEN
                -- dropped and recreated: what was captured from the old table is gone with it
                DELETE FROM pgrollup_internal.source_partitions AS p
                 WHERE p.module = p_module AND p.table_name = v_table;
                v_restated := v_restated + 1;
                PERFORM pgrollup_internal.restate_slices(p_module, NULL);
                v_first := true;           -- everything was restated: no member needs it again
            END IF;
            INSERT INTO pgrollup_internal.source_partitions (module, table_name, relid, relation, is_root)
            VALUES (p_module, v_table, v_root, v_root::regclass::text, true)
            ON CONFLICT (module, relid) DO UPDATE SET relation = excluded.relation, is_root = true;
        END IF;

        FOR v_member IN
            SELECT t.relid::oid AS relid, t.relid AS rel
              FROM pgrollup_internal.source_tree(v_root::regclass) AS t
              JOIN pg_catalog.pg_class AS k ON k.oid = t.relid
             WHERE t.relid <> v_root::regclass AND k.relkind IN ('r', 'p')
             ORDER BY t.level, t.relid
        LOOP
            v_missing := false;
            -- a covered partition that lost a trigger (dropped or disabled by hand) is not repaired
            -- silently by a refresh: what was written meanwhile is missing, health says so, and
            -- the repair is install (which re-creates it) and a backfill
            CONTINUE WHEN NOT p_repair AND EXISTS (SELECT 1 FROM pgrollup_internal.source_partitions AS p
                                                WHERE p.module = p_module AND p.relid = v_member.relid);
            BEGIN
                IF p_nowait THEN
                    PERFORM pg_catalog.set_config('lock_timeout', '200ms', true);
                END IF;
                FOR v_spec IN
                    SELECT c.* FROM pgrollup_internal.capture_triggers AS c
                     WHERE c.module = p_module AND c.table_name = v_table AND NOT c.root_only
                       AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_root AND t.tgname = c.trigger_name)
                       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_member.relid AND t.tgname = c.trigger_name)
                     ORDER BY c.trigger_name
                LOOP
                    PERFORM pgrollup_internal.create_capture_trigger(v_member.rel, v_spec.trigger_name, v_spec.event,
                                                                     v_spec.function_name, v_spec.old_table, v_spec.new_table);
                END LOOP;
                IF v_has_slices AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t
                                                 WHERE t.tgrelid = v_member.relid AND t.tgname = 'pgrollup_partition_truncate') THEN
                    EXECUTE pg_catalog.format('CREATE TRIGGER pgrollup_partition_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT '
                                              'EXECUTE FUNCTION pgrollup_internal.capture_partition_truncate(%L, %L)',
                                              v_member.rel, p_module, v_table);
                END IF;
                PERFORM pg_catalog.set_config('lock_timeout', v_timeout, true);
            EXCEPTION WHEN lock_not_available OR insufficient_privilege OR object_in_use THEN
                v_missing := true;
                PERFORM pg_catalog.set_config('lock_timeout', v_timeout, true);
                RAISE WARNING 'pgrollup: could not put % capture triggers on partition % yet (%): the next refresh retries; until then health reports it',
                              p_module, v_member.rel, SQLERRM;
            END;
            CONTINUE WHEN v_missing;
            IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.source_partitions AS p
                            WHERE p.module = p_module AND p.relid = v_member.relid) THEN
                INSERT INTO pgrollup_internal.source_partitions (module, table_name, relid, relation, is_root)
                VALUES (p_module, v_table, v_member.relid, v_member.rel::text, false);
                -- rows it held before its triggers existed (a filled table attached, direct writes):
                -- restate the slices they contribute to (rows that came through the parent were
                -- captured already; restating them again changes nothing)
                IF NOT v_first THEN
                    IF pg_catalog.pg_relation_size(v_member.rel) > 0 OR EXISTS (
                           SELECT 1 FROM pgrollup_internal.source_tree(v_member.rel) AS t
                            WHERE t.isleaf AND pg_catalog.pg_relation_size(t.relid) > 0) THEN
                        v_restated := v_restated + 1;
                        PERFORM pgrollup_internal.restate_slices(p_module,
                            pgrollup_internal.relation_slices(p_module, v_table, v_member.relid));
                    END IF;
                END IF;
            END IF;
        END LOOP;

        -- members that left the tree: DETACH PARTITION (the table is still there) or DROP
        FOR v_gone IN
            SELECT p.relid, p.relation FROM pgrollup_internal.source_partitions AS p
             WHERE p.module = p_module AND p.table_name = v_table AND NOT p.is_root
               AND NOT EXISTS (SELECT 1 FROM pgrollup_internal.source_tree(v_root::regclass) AS t WHERE t.relid::oid = p.relid)
             ORDER BY p.relid
        LOOP
            v_restated := v_restated + 1;
            IF EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k WHERE k.oid = v_gone.relid) THEN
                PERFORM pgrollup_internal.restate_slices(p_module,
                    pgrollup_internal.relation_slices(p_module, v_table, v_gone.relid));
                -- no longer a source: pgrollup's triggers go
                FOR v_spec IN
                    SELECT t.tgname FROM pg_catalog.pg_trigger AS t
                     WHERE t.tgrelid = v_gone.relid
                       AND (t.tgname = 'pgrollup_partition_truncate'
                            OR t.tgname IN (SELECT c.trigger_name FROM pgrollup_internal.capture_triggers AS c
                                             WHERE c.module = p_module AND c.table_name = v_table))
                LOOP
                    EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_spec.tgname, v_gone.relid::regclass);
                END LOOP;
            ELSE
                PERFORM pgrollup_internal.restate_slices(p_module, NULL);   -- dropped: what it held is unknown
            END IF;
            DELETE FROM pgrollup_internal.source_partitions AS p
             WHERE p.module = p_module AND p.relid = v_gone.relid;
        END LOOP;
    END LOOP;

    -- TRUNCATEs of partitions since the last run
    FOR v_queued IN
        WITH q AS (DELETE FROM pgrollup_internal.partition_restates AS r WHERE r.module = p_module
                   RETURNING r.restate_id, r.slices)
        SELECT q.slices FROM q ORDER BY q.restate_id
    LOOP
        v_restated := v_restated + 1;
        PERFORM pgrollup_internal.restate_slices(p_module, v_queued.slices);
    END LOOP;
    RETURN v_restated;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.cover_partitions(text, boolean, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.cover_partitions(text, boolean, boolean) IS 'Keeps a module''s capture in step with the partition trees of its source tables: puts the root''s capture triggers on new partitions (p_nowait: skipping busy ones; p_repair: also on known partitions that lost one), restates what partitions held before they were covered, after a DETACH, DROP or TRUNCATE, and forgets detached ones. Called by refresh and attach with the module lock held; returns the number of restatements.';

CREATE OR REPLACE FUNCTION pgrollup_internal.attach_capture(p_module text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema text;
    v_spec   record;
    v_root   regclass;
BEGIN
    -- the module's declared capture triggers (pgrollup_internal.capture_triggers) on each source
    -- table, then on every partition of it; idempotent
    PERFORM pgrollup_internal.lock_module(p_module, true);   -- never races a refresh covering partitions
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = p_module;
    FOR v_spec IN
        SELECT c.* FROM pgrollup_internal.capture_triggers AS c
         WHERE c.module = p_module ORDER BY c.table_name, c.trigger_name
    LOOP
        v_root := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, v_spec.table_name));
        IF v_root IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '42P01',
                MESSAGE = pg_catalog.format('%s: source table %I.%I does not exist', p_module, v_schema, v_spec.table_name);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = v_root AND t.tgname = v_spec.trigger_name) THEN
            PERFORM pgrollup_internal.create_capture_trigger(v_root, v_spec.trigger_name, v_spec.event,
                                                             v_spec.function_name, v_spec.old_table, v_spec.new_table);
        END IF;
    END LOOP;
    -- partitions: busy ones are skipped (and reported) rather than failing the install; the next
    -- refresh covers them
    PERFORM pgrollup_internal.cover_partitions(p_module, true, true);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.attach_capture(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.attach_capture(text) IS 'Creates a module''s declared capture triggers on its source tables (waiting for locks) and on every partition of them (skipping busy ones, which the next refresh covers), idempotently; called by the module''s attach hook.';

CREATE OR REPLACE FUNCTION pgrollup_internal.detach_capture(p_module text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_trigger record;
BEGIN
    -- every trigger of the module's declared names and functions, and the core's partition
    -- TRUNCATE triggers for this module, on whatever relation it is (partitions and detached tables
    -- included)
    FOR v_trigger IN
        SELECT DISTINCT c.trigger_name, pg_catalog.to_regprocedure(c.function_name || '()') AS fn
          FROM pgrollup_internal.capture_triggers AS c WHERE c.module = p_module
    LOOP
        IF v_trigger.fn IS NOT NULL THEN
            PERFORM pgrollup_internal.drop_triggers_of(v_trigger.fn, v_trigger.trigger_name);
        END IF;
    END LOOP;
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid::regclass AS rel
          FROM pg_catalog.pg_trigger AS t
         WHERE t.tgfoid = 'pgrollup_internal.capture_partition_truncate()'::regprocedure
           AND pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), '\000', 1) = p_module
    LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger.tgname, v_trigger.rel);
    END LOOP;
    DELETE FROM pgrollup_internal.source_partitions AS p WHERE p.module = p_module;
    DELETE FROM pgrollup_internal.partition_restates AS r WHERE r.module = p_module;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.detach_capture(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.detach_capture(text) IS 'Drops every capture trigger of a module (declared in pgrollup_internal.capture_triggers, and the core''s partition TRUNCATE triggers for it) from source tables, partitions and detached tables, and forgets the covered partitions.';

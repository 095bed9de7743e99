CREATE OR REPLACE FUNCTION pgrollup_internal.capture_problems(p_module text, p_mode text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- PL/pgSQL so the query below is planned once per session (rollup_health is polled).
    -- Findings ('critical:...' / 'warning:...') about a module's capture, for rollup_health: the
    -- source tables, their partitions and triggers as the module declared them
    -- (pgrollup_internal.capture_triggers, for the modes listed there), column drift, statements
    -- whose capture was skipped, and source rows set aside. Catalog lookups only.
    RETURN (
    WITH tabs AS (
        SELECT c.table_name,
               pg_catalog.to_regclass(pg_catalog.format('%I.%I', m.source_schema, c.table_name)) AS root,
               pg_catalog.format('%I.%I', m.source_schema, c.table_name) AS qualified
          FROM pgrollup_internal.modules AS m
          JOIN pgrollup_internal.capture_triggers AS c ON c.module = m.module
         WHERE m.module = p_module AND (c.modes IS NULL OR p_mode = ANY (c.modes))
         GROUP BY c.table_name, m.source_schema
    ), members AS (
        -- the table itself and its partitions and inheritance children (source_tree)
        SELECT t.table_name, t.root, t.root AS relid, true AS is_root
          FROM tabs AS t WHERE t.root IS NOT NULL
        UNION ALL
        SELECT t.table_name, t.root, p.relid, false
          FROM tabs AS t
         CROSS JOIN LATERAL pgrollup_internal.source_tree(t.root) AS p
          JOIN pg_catalog.pg_class AS k ON k.oid = p.relid
         WHERE t.root IS NOT NULL AND p.relid <> t.root AND k.relkind IN ('r', 'p')
    ), expected AS (
        SELECT mb.table_name, mb.relid, mb.is_root, c.trigger_name
          FROM members AS mb
          JOIN pgrollup_internal.capture_triggers AS c
            ON c.module = p_module AND c.table_name = mb.table_name
           AND (c.modes IS NULL OR p_mode = ANY (c.modes)) AND (mb.is_root OR NOT c.root_only)
        UNION ALL
        SELECT mb.table_name, mb.relid, false, 'pgrollup_partition_truncate'
          FROM members AS mb
         WHERE NOT mb.is_root
           AND EXISTS (SELECT 1 FROM pgrollup_internal.modules AS m WHERE m.module = p_module AND m.slices_function IS NOT NULL)
    ), trig AS (
        SELECT e.relid, e.is_root,
               pg_catalog.string_agg(e.trigger_name, ', ' ORDER BY e.trigger_name) FILTER (WHERE g.oid IS NULL) AS missing,
               pg_catalog.string_agg(e.trigger_name, ', ' ORDER BY e.trigger_name) FILTER (WHERE g.tgenabled = 'D') AS disabled
          FROM expected AS e
          LEFT JOIN pg_catalog.pg_trigger AS g ON g.tgrelid = e.relid AND g.tgname = e.trigger_name
         GROUP BY e.relid, e.is_root
    ), findings AS (
        SELECT 'critical:source table ' || t.qualified || ' is missing: recreate it, re-run pgrollup install, then backfill' AS f
          FROM tabs AS t WHERE t.root IS NULL
        UNION ALL
        SELECT 'critical:source table ' || t.qualified || ' was dropped and recreated (its capture triggers went with it): re-run pgrollup install (it restates everything)'
          FROM tabs AS t
          JOIN pgrollup_internal.source_partitions AS p ON p.module = p_module AND p.table_name = t.table_name AND p.is_root
         WHERE t.root IS NOT NULL AND p.relid <> t.root::oid
        UNION ALL
        SELECT 'critical:' || d.drift || ': capture of that table is skipped; fix the column (or re-run pgrollup install after the application migration), then backfill'
          FROM tabs AS t
         CROSS JOIN LATERAL (SELECT pgrollup_internal.source_drift(p_module, t.table_name, t.root) AS drift) AS d
         WHERE t.root IS NOT NULL AND d.drift IS NOT NULL
        UNION ALL
        -- a source the application distributed with Citus after install (citus.enable_unsafe_triggers):
        -- Citus copied the capture triggers to the shards, where pgrollup's tables are not; each
        -- capture trigger then returns at once (one catalog-cache lookup per statement), so the
        -- application's writes go through uncaptured, and this finding says so
        SELECT 'critical:source table ' || mb.relid::regclass::text || ' is ' || z.kind
               || ': pgrollup''s triggers capture nothing on its shards and writes to it are not counted;'
               || CASE WHEN p_module = 'reporting' AND z.kind = 'a Citus distributed table (by account_id)'
                       THEN ' re-run pgrollup install (it moves reporting''s tables next to the shards, docs/SCALE-OUT.md), then backfill what was written meanwhile'
                       WHEN p_module = 'messaging' AND z.kind = 'a Citus distributed table (by tenant_id)'
                            AND EXISTS (SELECT 1 FROM pg_catalog.pg_class AS k
                                         WHERE k.oid = mb.relid AND k.relkind = 'r' AND NOT k.relispartition)
                       THEN ' re-run pgrollup install once all three messaging sources are distributed by tenant_id and colocated (it moves messaging''s tables next to the shards and rebuilds them, docs/SCALE-OUT.md)'
                       ELSE ' pgrollup does not capture this Citus layout: run pgrollup uninstall (it removes the triggers from every shard)' END
          FROM members AS mb
         CROSS JOIN LATERAL (SELECT pgrollup_internal.citus_placement(mb.relid) AS kind) AS z
         WHERE z.kind IS NOT NULL
           -- except reporting's own Citus layout (pgrollup_internal.reporting_citus_layout), whose
           -- row-level trigger is declared in capture_triggers and checked like the others
           AND NOT (p_module = 'reporting' AND z.kind = 'a Citus distributed table (by account_id)'
                    AND pgrollup_internal.citus_placement(pg_catalog.to_regclass('pgrollup_internal.reporting_changes')) IS NOT NULL)
           -- and messaging's (pgrollup_internal.messaging_citus_layout)
           AND NOT (p_module = 'messaging' AND z.kind = 'a Citus distributed table (by tenant_id)'
                    AND pgrollup_internal.citus_placement(pg_catalog.to_regclass('pgrollup_internal.msg_changes')) IS NOT NULL)
        UNION ALL
        -- reporting or messaging on Citus: a worker that does not answer holds shards whose refresh fails (and
        -- is retried) and whose accounts cannot be read until it is back
        SELECT 'critical:Citus node ' || n.node || ' does not answer; the refresh of its shards fails and is retried, '
               || 'reads of their accounts or tenants fail until it is back'
          FROM pg_catalog.unnest(CASE WHEN (p_module = 'reporting'
                                            AND pgrollup_internal.citus_placement(pg_catalog.to_regclass('pgrollup_internal.reporting_changes')) IS NOT NULL)
                                        OR (p_module = 'messaging'
                                            AND pgrollup_internal.citus_placement(pg_catalog.to_regclass('pgrollup_internal.msg_changes')) IS NOT NULL)
                                      THEN pgrollup_internal.citus_unreachable_nodes() END) AS n(node)
        UNION ALL
        SELECT 'critical:capture triggers missing on ' || r.relid::regclass::text || ' (' || r.missing || ')'
               || CASE WHEN r.is_root THEN ': writes are not captured; re-run pgrollup install, then backfill'
                       ELSE ': partition not covered by capture; the next refresh covers it (if this stays, pgrollup may lack the TRIGGER privilege on it or it is always locked), or re-run pgrollup install' END
          FROM trig AS r WHERE r.missing IS NOT NULL
        UNION ALL
        SELECT 'critical:capture triggers disabled on ' || r.relid::regclass::text || ' (' || r.disabled || '): ALTER TABLE '
               || r.relid::regclass::text || ' ENABLE TRIGGER ...; then backfill what was written meanwhile'
          FROM trig AS r WHERE r.disabled IS NOT NULL
        UNION ALL
        SELECT 'critical:capture skipped on ' || f.relation || ' since ' || pg_catalog.min(f.seen_at)::text || ' (' || f.problem
               || '): fix the column or re-run pgrollup install, then backfill (a full backfill clears this)'
          FROM pgrollup_internal.capture_failures AS f
         WHERE f.module = p_module
         GROUP BY f.relation, f.problem
        UNION ALL
        SELECT 'warning:' || r.rows::text || ' source row(s) set aside since ' || r.first_seen::text || ' (' || r.reason
               || '): they count toward nothing; fix those rows (the next refresh counts them) or backfill'
          FROM pgrollup_internal.rows_set_aside AS r
         WHERE r.module = p_module AND r.rows > 0
    )
    SELECT COALESCE(pg_catalog.array_agg(x.f ORDER BY x.f), '{}'::text[]) FROM findings AS x);
END;
$$;
-- executable by everyone, like module_health: rollup_health calls it with the reader's privileges
-- (it reveals only findings that rollup_health shows anyway)
GRANT EXECUTE ON FUNCTION pgrollup_internal.capture_problems(text, text) TO PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.capture_problems(text, text) IS 'Findings about a module''s capture for rollup_health (''critical:...'' or ''warning:...''): missing source tables, tables dropped and recreated, column drift, missing or disabled capture triggers on a source table or any partition, uncovered partitions, statements whose capture was skipped, and source rows set aside, each with its repair.';

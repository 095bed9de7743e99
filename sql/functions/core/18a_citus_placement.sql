CREATE OR REPLACE FUNCTION pgrollup_internal.citus_placement(p_rel regclass)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_kind text;
BEGIN
    -- pg_dist_partition exists only where Citus is installed: looked up dynamically
    IF p_rel IS NULL OR pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE $q$
        SELECT CASE WHEN d.partmethod = 'h'
                    THEN 'a Citus distributed table (by ' || pg_catalog.column_to_column_name(d.logicalrelid, d.partkey) || ')'
                    WHEN d.partmethod = 'n' AND d.repmodel = 't' THEN 'a Citus reference table'
                    ELSE 'a Citus table' END
          FROM pg_catalog.pg_dist_partition AS d
         WHERE d.logicalrelid = $1$q$
       INTO v_kind USING p_rel;
    RETURN v_kind;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.citus_placement(regclass) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.citus_placement(regclass) IS 'How Citus holds a relation (''a Citus distributed table (by <column>)'', ''a Citus reference table'', ''a Citus table''), or NULL when it is not a Citus table or Citus is not installed. Used by rollup_health and the reporting module''s Citus layout.';

CREATE OR REPLACE FUNCTION pgrollup_internal.module_health(p_module text)
RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamptz)
LANGUAGE plpgsql STABLE
ROWS 1   -- one row per module: keeps rollup_health's plan estimate (and JIT) small
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format('SELECT h.mode::text, h.pending_changes::bigint, h.stale_since::timestamptz FROM %s() AS h',
                                           pgrollup_internal.module_function(p_module, 'health')::oid::regproc);
END;
$$;
COMMENT ON FUNCTION pgrollup_internal.module_health(text) IS 'Calls a module''s health hook: its mode, pending changes and the time since which committed source changes may be missing from its rollups.';

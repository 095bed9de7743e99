CREATE OR REPLACE FUNCTION pgrollup_internal.module_call(p_module text, p_kind text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE pg_catalog.format('SELECT %s()', pgrollup_internal.module_function(p_module, p_kind)::oid::regproc);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.module_call(text, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.module_call(text, text) IS 'Calls a module''s attach or detach hook (used by the installer, uninstall and mode switches).';

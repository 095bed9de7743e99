CREATE OR REPLACE FUNCTION pgrollup_internal.module_function(p_module text, p_kind text)
RETURNS regprocedure
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_name text;
    v_proc regprocedure;
BEGIN
    SELECT CASE p_kind
               WHEN 'refresh' THEN m.refresh_function
               WHEN 'health' THEN m.health_function
               WHEN 'attach' THEN m.attach_function
               WHEN 'detach' THEN m.detach_function
           END
      INTO v_name
      FROM pgrollup_internal.modules AS m
     WHERE m.module = p_module;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('unknown module %L: installed modules are %s', p_module,
                (SELECT COALESCE(pg_catalog.string_agg(m.module, ', ' ORDER BY m.module), 'none')
                   FROM pgrollup_internal.modules AS m));
    END IF;
    v_proc := pg_catalog.to_regprocedure(v_name || '()');
    IF v_proc IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42883',
            MESSAGE = pg_catalog.format('module %s: %s function %s() does not exist (reinstall with pgrollup install)', p_module, p_kind, v_name);
    END IF;
    RETURN v_proc;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.module_function(text, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.module_function(text, text) IS 'Resolves one of a module''s registered hook functions (refresh, health, attach, detach) to its regprocedure; 22023 for an unknown module.';

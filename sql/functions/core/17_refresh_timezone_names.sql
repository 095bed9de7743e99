CREATE OR REPLACE FUNCTION pgrollup_internal.refresh_timezone_names()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_added bigint;
BEGIN
    INSERT INTO pgrollup_internal.timezone_names (name)
    SELECT z.name FROM pg_catalog.pg_timezone_names() AS z(name, abbrev, utc_offset, is_dst)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_added = ROW_COUNT;
    DELETE FROM pgrollup_internal.timezone_names AS t
     WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names() AS z(name, abbrev, utc_offset, is_dst)
                        WHERE z.name = t.name);
    RETURN v_added;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.refresh_timezone_names() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.refresh_timezone_names() IS 'Re-copies pg_timezone_names into pgrollup_internal.timezone_names (after a tzdata update); called by pgrollup install.';

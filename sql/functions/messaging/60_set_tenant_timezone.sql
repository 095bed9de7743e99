CREATE OR REPLACE FUNCTION pgrollup.set_tenant_timezone(p_tenant_id bigint, p_timezone text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_new text;
    v_old text;
    v_now timestamptz := pg_catalog.now();   -- a value, not a function call, in the upsert (Citus asks it of reference tables)
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_tenant_id must not be NULL';
    END IF;
    v_new := CASE WHEN p_timezone IS NULL THEN 'UTC' ELSE pgrollup_internal.check_timezone(p_timezone, 'p_timezone') END;
    SELECT z.timezone INTO v_old FROM pgrollup_internal.msg_tenants AS z WHERE z.tenant_id = p_tenant_id FOR UPDATE;
    IF p_timezone IS NULL THEN
        DELETE FROM pgrollup_internal.msg_tenants AS z WHERE z.tenant_id = p_tenant_id;
    ELSE
        INSERT INTO pgrollup_internal.msg_tenants AS z (tenant_id, timezone, updated_at) VALUES (p_tenant_id, v_new, v_now)
        ON CONFLICT (tenant_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at;
    END IF;
    IF COALESCE(v_old, 'UTC') IS DISTINCT FROM v_new THEN
        -- the next refresh restates the tenant's whole history in the new zone
        INSERT INTO pgrollup_internal.msg_changes (tenant_id) VALUES (p_tenant_id);
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.set_tenant_timezone(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.set_tenant_timezone(bigint, text) IS 'Sets the IANA time zone of a messaging tenant (local hours and dates of its rollups); NULL resets it to the default UTC. Invalid zones raise SQLSTATE 22023. The whole history of the tenant is restated at the next pgrollup.refresh().';

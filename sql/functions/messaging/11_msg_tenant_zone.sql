CREATE OR REPLACE FUNCTION pgrollup_internal.msg_tenant_zone(p_tenant_id bigint)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((SELECT z.timezone FROM pgrollup_internal.msg_tenants AS z WHERE z.tenant_id = p_tenant_id), 'UTC');
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.msg_tenant_zone(bigint) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.msg_tenant_zone(bigint) IS 'Time zone of a messaging tenant (UTC when none is set); a primary-key lookup.';

CREATE OR REPLACE FUNCTION pgrollup_internal.msg_tenant_zone(p_tenant_id bigint)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((SELECT z.timezone FROM pgrollup_internal.msg_tenants AS z WHERE z.tenant_id = p_tenant_id), 'UTC');
$$;
-- executable by everyone: views run functions with the reader's privileges (it reveals a zone name only)
GRANT EXECUTE ON FUNCTION pgrollup_internal.msg_tenant_zone(bigint) TO PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.msg_tenant_zone(bigint) IS 'Time zone of a messaging tenant (UTC when none is set); a primary-key lookup.';

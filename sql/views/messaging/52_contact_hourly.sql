CREATE OR REPLACE FUNCTION pgrollup.contact_hourly(p_tenant_id bigint, p_contact_id bigint, p_since timestamptz, p_until timestamptz)
RETURNS SETOF pgrollup.metrics_contact_hourly
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_limit bigint := pgrollup_internal.read_limit();
    v_rows  bigint;
BEGIN
    IF p_tenant_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_tenant_id must not be NULL';
    END IF;
    IF p_contact_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_contact_id must not be NULL';
    END IF;
    IF p_since IS NULL OR p_until IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_since and p_until must not be NULL';
    END IF;
    RETURN QUERY
    SELECT v.* FROM pgrollup.metrics_contact_hourly AS v
     WHERE v.tenant_id = p_tenant_id AND v.contact_id = p_contact_id
       AND v.hour >= p_since AND v.hour < p_until
     ORDER BY v.hour, v.channel
     LIMIT v_limit + 1;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM pgrollup_internal.check_read_rows('contact_hourly', v_rows, v_limit);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.contact_hourly(bigint, bigint, timestamptz, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.contact_hourly(bigint, bigint, timestamptz, timestamptz) IS 'Dashboard slice of pgrollup.metrics_contact_hourly: one tenant and contact, local hours with p_since <= hour < p_until, ordered by hour and channel. Index-backed. More than max_read_buckets rows (100000 by default) are refused with 54000 (at most that many are read).';

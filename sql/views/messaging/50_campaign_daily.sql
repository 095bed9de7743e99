-- Read functions live with the views: their result types are the views' row types.
CREATE OR REPLACE FUNCTION pgrollup.campaign_daily(p_tenant_id bigint, p_from date, p_to date, p_campaign_id bigint DEFAULT NULL)
RETURNS SETOF pgrollup.metrics_campaign_daily
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
    IF p_from IS NULL OR p_to IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_from and p_to must not be NULL';
    END IF;
    IF p_campaign_id IS NULL THEN
        RETURN QUERY
        SELECT v.* FROM pgrollup.metrics_campaign_daily AS v
         WHERE v.tenant_id = p_tenant_id AND v.date >= p_from AND v.date <= p_to
         ORDER BY v.date, v.campaign_id
         LIMIT v_limit + 1;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        PERFORM pgrollup_internal.check_read_rows('campaign_daily', v_rows, v_limit);
    ELSE
        RETURN QUERY
        SELECT v.* FROM pgrollup.metrics_campaign_daily AS v
         WHERE v.tenant_id = p_tenant_id AND v.campaign_id = p_campaign_id
           AND v.date >= p_from AND v.date <= p_to
         ORDER BY v.date
         LIMIT v_limit + 1;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        PERFORM pgrollup_internal.check_read_rows('campaign_daily', v_rows, v_limit);
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.campaign_daily(bigint, date, date, bigint) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.campaign_daily(bigint, date, date, bigint) IS 'Dashboard slice of pgrollup.metrics_campaign_daily: one tenant, local dates p_from..p_to inclusive, optionally one campaign; ordered by date and campaign. Index-backed. More than max_read_buckets rows (100000 by default) are refused with 54000 (at most that many are read).';

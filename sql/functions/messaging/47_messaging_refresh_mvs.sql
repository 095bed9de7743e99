CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_refresh_mvs()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
    IF pg_catalog.to_regclass('pgrollup_internal.msg_mv_message') IS NULL THEN
        PERFORM pgrollup_internal.messaging_create_mvs();
        PERFORM pgrollup_internal.messaging_route();
    ELSE
        -- order matters: campaign_daily reads its status from msg_mv_transitions
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_transitions;
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_message;
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_contact_hourly;
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_campaign_daily;
        REFRESH MATERIALIZED VIEW CONCURRENTLY pgrollup_internal.msg_mv_tenant_daily;
    END IF;
    RETURN (SELECT pg_catalog.count(*) FROM pgrollup_internal.msg_mv_message);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh_mvs() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_refresh_mvs() IS 'materialized_view mode: REFRESH MATERIALIZED VIEW CONCURRENTLY of every messaging materialized view (creates them when absent); returns the number of messages.';

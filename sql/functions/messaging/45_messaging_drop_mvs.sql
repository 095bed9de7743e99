CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_drop_mvs()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
BEGIN
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_contact_hourly;
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_campaign_daily;
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_tenant_daily;
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_message;
    DROP MATERIALIZED VIEW IF EXISTS pgrollup_internal.msg_mv_transitions;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_drop_mvs() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_drop_mvs() IS 'Drops the materialized views of the messaging materialized_view mode (the public views must not point at them).';

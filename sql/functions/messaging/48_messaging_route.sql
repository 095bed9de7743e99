CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_route()
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Points the internal router views (read by the public pgrollup.metrics_* views) at the incremental
-- rollups (pgrollup_internal.msg_inc_*) or at the materialized views (msg_mv_*) of the current mode.
DECLARE
    v_prefix text := 'msg_inc_';
    v_counts text := 'sends, delivered, opens, clicks, bounces, unsubscribes, unique_opens, unique_clicks';
BEGIN
    -- the materialized views also keep serving after a switch to incremental mode until the first
    -- refresh has built the incremental state (writers are never held for that build)
    IF (pgrollup_internal.messaging_mode() = 'materialized_view'
        OR EXISTS (SELECT 1 FROM pgrollup_internal.settings AS s
                    WHERE s.name = 'messaging.build_pending' AND s.value = 'true'))
       AND pg_catalog.to_regclass('pgrollup_internal.msg_mv_message') IS NOT NULL THEN
        v_prefix := 'msg_mv_';
    END IF;
    EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW pgrollup_internal.msg_route_contact_hourly AS SELECT tenant_id, contact_id, channel, hour, %s FROM pgrollup_internal.%I',
                              v_counts, v_prefix || 'contact_hourly');
    EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW pgrollup_internal.msg_route_campaign_daily AS SELECT tenant_id, campaign_id, date, %s, status FROM pgrollup_internal.%I',
                              v_counts, v_prefix || 'campaign_daily');
    EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW pgrollup_internal.msg_route_tenant_daily AS SELECT tenant_id, date, %s FROM pgrollup_internal.%I',
                              v_counts, v_prefix || 'tenant_daily');
    EXECUTE pg_catalog.format('CREATE OR REPLACE VIEW pgrollup_internal.msg_route_message AS SELECT message_id, tenant_id, campaign_id, contact_id, channel, sent_at, delivered, opens, clicks, bounces, unsubscribes, first_opened_at, first_clicked_at FROM pgrollup_internal.%I',
                              v_prefix || 'message');
    COMMENT ON VIEW pgrollup_internal.msg_route_contact_hourly IS 'Router behind pgrollup.metrics_contact_hourly: the incremental rollup or the materialized view, per messaging mode.';
    COMMENT ON VIEW pgrollup_internal.msg_route_campaign_daily IS 'Router behind pgrollup.metrics_campaign_daily: the incremental rollup or the materialized view, per messaging mode.';
    COMMENT ON VIEW pgrollup_internal.msg_route_tenant_daily IS 'Router behind pgrollup.metrics_tenant_daily: the incremental rollup or the materialized view, per messaging mode.';
    COMMENT ON VIEW pgrollup_internal.msg_route_message IS 'Router behind pgrollup.metrics_message: the per-message state or the materialized view, per messaging mode.';
    RETURN v_prefix;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_route() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_route() IS 'Points the router views behind the public messaging views at the storage of the current mode (incremental rollups or materialized views).';

CREATE OR REPLACE FUNCTION pgrollup.set_messaging_mode(p_mode text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    v_current text;
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('incremental', 'materialized_view') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('invalid p_mode %s: expected incremental or materialized_view',
                                        COALESCE(pg_catalog.quote_literal(p_mode), 'NULL'));
    END IF;
    PERFORM pgrollup_internal.lock_module('messaging', true);   -- never races a refresh or backfill
    v_current := pgrollup_internal.messaging_mode();
    IF v_current = p_mode THEN
        PERFORM pgrollup_internal.messaging_attach();   -- make sure the triggers match the mode
        PERFORM pgrollup_internal.messaging_route();
        RETURN;
    END IF;
    UPDATE pgrollup_internal.settings AS s SET value = p_mode WHERE s.name = 'messaging.mode';
    UPDATE pgrollup_internal.settings AS s SET value = pg_catalog.now()::text WHERE s.name = 'messaging.mode_since';
    IF p_mode = 'materialized_view' THEN
        PERFORM pgrollup_internal.messaging_create_mvs();
        PERFORM pgrollup_internal.messaging_route();
        PERFORM pgrollup_internal.messaging_detach();
        -- incremental state is rebuilt from source when switching back
        DELETE FROM pgrollup_internal.msg_changes;
        DELETE FROM pgrollup_internal.msg_contact_hourly;
        DELETE FROM pgrollup_internal.msg_campaign_daily;
        DELETE FROM pgrollup_internal.msg_tenant_daily;
        DELETE FROM pgrollup_internal.msg_contrib;
        DELETE FROM pgrollup_internal.msg_state;
        DELETE FROM pgrollup_internal.msg_transitions;
    ELSE
        -- triggers first (CREATE TRIGGER waits for in-flight writers), then rebuild from source
        PERFORM pgrollup_internal.messaging_attach();
        PERFORM pgrollup_internal.messaging_rebuild();
        PERFORM pgrollup_internal.messaging_route();
        PERFORM pgrollup_internal.messaging_drop_mvs();
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.set_messaging_mode(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.set_messaging_mode(text) IS 'Switches the messaging module between incremental (capture triggers on the source tables, refresh applies only what changed; default) and materialized_view (no triggers; refresh runs REFRESH MATERIALIZED VIEW CONCURRENTLY). Switching builds the target mode from source at once; the public views and read functions are the same in both modes.';

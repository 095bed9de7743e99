CREATE OR REPLACE FUNCTION pgrollup.set_messaging_mode(p_mode text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    v_current text;
    v_lock_timeout text;
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('incremental', 'materialized_view') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('invalid p_mode %s: expected incremental or materialized_view',
                                        COALESCE(pg_catalog.quote_literal(p_mode), 'NULL'));
    END IF;
    IF p_mode = 'materialized_view'
       AND pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'materialized_view mode is not supported on Citus: the messaging sources are distributed, and so is the incremental state that the refresh keeps on the workers';
    END IF;
    PERFORM pgrollup_internal.lock_module('messaging', true);   -- never races a refresh or backfill
    v_current := pgrollup_internal.messaging_mode();
    IF v_current = p_mode THEN
        PERFORM pgrollup_internal.messaging_attach();   -- make sure the triggers match the mode
        PERFORM pgrollup_internal.messaging_route();
        RETURN;
    END IF;
    -- the triggers' short lock on each source table: at most 5 s (or the caller's shorter
    -- lock_timeout), never queued behind a long application transaction while blocking its writers
    v_lock_timeout := pg_catalog.current_setting('lock_timeout');
    IF v_lock_timeout = '0' THEN
        PERFORM pg_catalog.set_config('lock_timeout', '5s', true);
    END IF;
    UPDATE pgrollup_internal.settings AS s SET value = p_mode WHERE s.name = 'messaging.mode';
    UPDATE pgrollup_internal.settings AS s SET value = pg_catalog.now()::text WHERE s.name = 'messaging.mode_since';
    DELETE FROM pgrollup_internal.settings AS s WHERE s.name = 'messaging.build_pending';
    IF p_mode = 'materialized_view' THEN
        -- the materialized views are built from source (reads only: writers go on), then the
        -- triggers go (a short lock on each source table, bounded by lock_timeout)
        IF pg_catalog.to_regclass('pgrollup_internal.msg_mv_message') IS NULL THEN
            PERFORM pgrollup_internal.messaging_create_mvs();
        ELSE
            -- back before the incremental build ran: readers still read these, bring them up to date
            PERFORM pgrollup_internal.messaging_refresh_mvs();
        END IF;
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
        -- Only the capture triggers are created here (a short lock on each source table, bounded
        -- by lock_timeout): from this commit on every change is captured. The incremental state is
        -- built from source by the next refresh (a full-rebuild request in the change log), while
        -- writers go on; until then readers keep reading the materialized views.
        PERFORM pgrollup_internal.messaging_attach();
        INSERT INTO pgrollup_internal.settings (name, value) VALUES ('messaging.build_pending', 'true');
        INSERT INTO pgrollup_internal.msg_changes (message_id, transition_id, tenant_id) VALUES (NULL, NULL, NULL);
        PERFORM pgrollup_internal.messaging_route();
    END IF;
    PERFORM pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.set_messaging_mode(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.set_messaging_mode(text) IS 'Switches the messaging module between incremental (capture triggers on the source tables, refresh applies only what changed; default) and materialized_view (no triggers; refresh runs REFRESH MATERIALIZED VIEW CONCURRENTLY). Switching never holds writers beyond a short lock on each source table (lock_timeout 5s unless the caller set a shorter one): to materialized_view it builds the materialized views at once (reading source only); to incremental it attaches the capture triggers and the next pgrollup.refresh(''messaging'') builds the incremental state while writers go on, readers keeping the materialized views until then. The public views and read functions are the same in both modes.';

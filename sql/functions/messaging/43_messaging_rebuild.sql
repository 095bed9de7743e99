CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_rebuild()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
-- Full rebuild of the incremental state from source. Callers hold the module lock. The change log
-- is consumed first (one snapshot); rows committed later stay for the next refresh, which restates
-- their messages again (harmless: restatement is idempotent).
DECLARE
    v_n bigint;
BEGIN
    DELETE FROM pgrollup_internal.msg_changes;
    PERFORM pgrollup_internal.messaging_sync_transitions(NULL, NULL, true);
    DELETE FROM pgrollup_internal.msg_contact_hourly;
    DELETE FROM pgrollup_internal.msg_campaign_daily;
    DELETE FROM pgrollup_internal.msg_tenant_daily;
    DELETE FROM pgrollup_internal.msg_contrib;
    DELETE FROM pgrollup_internal.msg_state;
    DELETE FROM pgrollup_internal.msg_set_aside AS a WHERE a.source_table <> 'campaign_transitions';
    PERFORM pgrollup_internal.messaging_check_orphans(NULL);
    PERFORM pgrollup_internal.messaging_keys_table();
    INSERT INTO pg_temp.pgr_msg_keys (message_id)
    SELECT o.id FROM @source_schema@.outbound_messages AS o;
    v_n := pgrollup_internal.messaging_restate();
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_rebuild() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_rebuild() IS 'Rebuilds every messaging rollup, the per-message state and the transition copy from source (incremental mode); returns the number of messages. Callers hold the module lock.';

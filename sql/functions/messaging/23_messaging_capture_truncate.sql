CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- On a Citus worker this trigger runs on a shard of a source table that the application
    -- distributed after install (with citus.enable_unsafe_triggers): pgrollup's tables are not
    -- there. The write goes through uncaptured, and rollup_health on the coordinator reports the
    -- table as one pgrollup cannot capture. (One catalog-cache lookup per statement.)
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- a row with every key NULL: the next refresh rebuilds everything from source
    INSERT INTO pgrollup_internal.msg_changes (message_id, transition_id, tenant_id) VALUES (NULL, NULL, NULL);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_truncate() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_truncate() IS 'Capture trigger for TRUNCATE of a messaging source table: asks the next refresh for a full rebuild.';

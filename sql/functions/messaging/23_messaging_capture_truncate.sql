CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- on a Citus shard (no pgrollup tables there): let the write through; see capture_problems()
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

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_truncate()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a row with every key NULL: the next refresh rebuilds everything from source
    INSERT INTO pgrollup_internal.msg_changes (message_id, transition_id, tenant_id) VALUES (NULL, NULL, NULL);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_truncate() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_truncate() IS 'Capture trigger for TRUNCATE of a messaging source table: asks the next refresh for a full rebuild.';

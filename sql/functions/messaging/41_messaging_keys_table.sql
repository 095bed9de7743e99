CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_keys_table()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.pgr_msg_keys;
    CREATE TEMP TABLE pgr_msg_keys (message_id bigint PRIMARY KEY) ON COMMIT DROP;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_keys_table() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_keys_table() IS 'Creates (empty) the transaction-local work table pg_temp.pgr_msg_keys of messages to restate.';

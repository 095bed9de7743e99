CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_mode()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT COALESCE((SELECT s.value FROM pgrollup_internal.settings AS s WHERE s.name = 'messaging.mode'), 'incremental');
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_mode() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_mode() IS 'Current messaging mode: incremental (capture triggers, change log) or materialized_view.';

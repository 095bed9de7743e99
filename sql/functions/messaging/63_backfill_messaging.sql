CREATE OR REPLACE FUNCTION pgrollup.backfill_messaging(p_tenant_id bigint DEFAULT NULL, p_from date DEFAULT NULL, p_to date DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
    v_n bigint;
BEGIN
    IF p_from IS NOT NULL AND p_to IS NOT NULL AND p_from > p_to THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_from %s is after p_to %s', p_from, p_to);
    END IF;
    -- the module lock: never races a refresh, another backfill or a mode switch; the source is read
    -- in snapshots taken after it, and writes committed meanwhile stay in the change log
    PERFORM pgrollup_internal.lock_module('messaging', true);
    IF pgrollup_internal.messaging_mode() = 'materialized_view' THEN
        RETURN pgrollup_internal.messaging_refresh_mvs();
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NOT NULL THEN
        -- Citus: the tenant (or every tenant) is logged for restatement, which the next refresh
        -- applies on the workers, each shard group where it is (the workers cannot see this
        -- transaction's rows before it commits; pgrollup backfill refreshes right after)
        RETURN pgrollup_internal.messaging_citus_queue(p_tenant_id);
    END IF;
    IF p_tenant_id IS NULL AND p_from IS NULL AND p_to IS NULL THEN
        v_n := pgrollup_internal.messaging_rebuild();
        PERFORM pgrollup_internal.messaging_note_set_aside();
        -- every rollup restated from source: statements whose capture was skipped (column drift)
        -- are accounted for, so their record is cleared once no drift is left
        IF pgrollup_internal.messaging_drift() IS NULL THEN
            DELETE FROM pgrollup_internal.capture_failures AS f WHERE f.module = 'messaging';
        END IF;
        RETURN v_n;
    END IF;
    IF p_tenant_id IS NOT NULL THEN
        PERFORM pgrollup_internal.messaging_sync_transitions(NULL, p_tenant_id, false);
    ELSE
        PERFORM pgrollup_internal.messaging_sync_transitions(NULL, NULL, true);
    END IF;
    PERFORM pgrollup_internal.messaging_backfill_keys(p_tenant_id, p_from, p_to);
    v_n := pgrollup_internal.messaging_restate();
    PERFORM pgrollup_internal.messaging_note_set_aside();
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.backfill_messaging(bigint, date, date) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.backfill_messaging(bigint, date, date) IS 'Restates a slice of the messaging rollups from the source tables: one tenant (NULL = all) and local dates p_from..p_to inclusive (NULL = open); every message contributing to the slice is recomputed. Run it after editing pgrollup.message_event_metrics, and without arguments after a capture failure (column drift): a full backfill with no drift left clears the capture-failure record. Atomic, serialized with refreshes, safe while writes continue. Returns the number of messages restated (in materialized_view mode: refreshes the materialized views and returns the number of messages). On Citus it logs every key of the tenant (or of every tenant, whatever the dates) for the next refresh, which restates them on the workers, and returns the rows logged.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_refresh_log()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET client_min_messages = warning
AS $$
-- The incremental refresh proper (called by pgrollup_internal.messaging_refresh with the module
-- lock held, after the mode and drift checks): consumes the change log and applies it. Reads and
-- writes the module's per-tenant tables, the sources and the registry only, so that it can run as
-- it is on one Citus shard group. Errors propagate.
DECLARE
    v_changes bigint;
BEGIN
    -- consume the change log in one snapshot: rows committed after this statement stay for the next run
    DROP TABLE IF EXISTS pg_temp.pgr_msg_log;
    CREATE TEMP TABLE pgr_msg_log (message_id bigint, transition_id bigint, tenant_id bigint, event_ids bigint[]) ON COMMIT DROP;
    WITH consumed AS (
        DELETE FROM pgrollup_internal.msg_changes
        RETURNING message_id, transition_id, tenant_id, event_ids, event_id, message_ids
    )
    INSERT INTO pg_temp.pgr_msg_log (message_id, transition_id, tenant_id, event_ids)
    SELECT c.message_id, c.transition_id, c.tenant_id,
           CASE WHEN c.event_id IS NOT NULL THEN ARRAY[c.event_id] ELSE c.event_ids END   -- one inserted event
      FROM consumed AS c
     WHERE c.message_ids IS NULL
    UNION ALL
    -- the events of a big INSERT, as if each had its own row (restated when event_ids was cleared)
    SELECT u.message_id, NULL, c.tenant_id, CASE WHEN u.event_id IS NOT NULL THEN ARRAY[u.event_id] END
      FROM consumed AS c
     CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(c.message_ids), pg_catalog.unnest(c.event_ids)) AS u(message_id, event_id)
     WHERE c.message_ids IS NOT NULL AND u.message_id IS NOT NULL;
    GET DIAGNOSTICS v_changes = ROW_COUNT;
    IF v_changes = 0 THEN
        RETURN 0;
    END IF;

    IF EXISTS (SELECT 1 FROM pg_temp.pgr_msg_log AS l
                WHERE l.message_id IS NULL AND l.transition_id IS NULL AND l.tenant_id IS NULL
                  AND l.event_ids IS NULL) THEN
        PERFORM pgrollup_internal.messaging_rebuild();   -- after install, TRUNCATE, mode switch
        PERFORM pgrollup_internal.messaging_note_set_aside();
        RETURN v_changes;
    END IF;

    -- events without a message_id (inserted, or updated / deleted from or to one): set aside or cleared
    IF EXISTS (SELECT 1 FROM pg_temp.pgr_msg_log AS l WHERE l.message_id IS NULL AND l.event_ids IS NOT NULL) THEN
        PERFORM pgrollup_internal.messaging_check_orphans(
            ARRAY(SELECT DISTINCT u.event_id
                    FROM pg_temp.pgr_msg_log AS l
                   CROSS JOIN LATERAL pg_catalog.unnest(l.event_ids) AS u(event_id)
                   WHERE l.message_id IS NULL AND l.event_ids IS NOT NULL));
    END IF;

    PERFORM pgrollup_internal.messaging_sync_transitions(
        ARRAY(SELECT DISTINCT l.transition_id FROM pg_temp.pgr_msg_log AS l WHERE l.transition_id IS NOT NULL));

    -- messages to restate from source: every change other than inserted events
    PERFORM pgrollup_internal.messaging_keys_table();
    INSERT INTO pg_temp.pgr_msg_keys (message_id)
    SELECT DISTINCT l.message_id FROM pg_temp.pgr_msg_log AS l WHERE l.message_id IS NOT NULL AND l.event_ids IS NULL;
    -- a tenant whose zone changed: a row naming the tenant and nothing else
    IF EXISTS (SELECT 1 FROM pg_temp.pgr_msg_log AS l
                WHERE l.tenant_id IS NOT NULL AND l.message_id IS NULL AND l.transition_id IS NULL AND l.event_ids IS NULL) THEN
        INSERT INTO pg_temp.pgr_msg_keys (message_id)   -- a tenant whose zone changed: its whole history
        SELECT s.message_id
          FROM (SELECT DISTINCT l.tenant_id FROM pg_temp.pgr_msg_log AS l
                 WHERE l.tenant_id IS NOT NULL AND l.message_id IS NULL AND l.transition_id IS NULL AND l.event_ids IS NULL) AS t
          JOIN pgrollup_internal.msg_state AS s ON s.tenant_id = t.tenant_id
        ON CONFLICT (message_id) DO NOTHING;
    END IF;
    -- messages whose only changes are inserted events: just those events are added (the messages
    -- without a per-message state to add them to are moved to pgr_msg_keys there)
    DROP TABLE IF EXISTS pg_temp.pgr_msg_fast;
    CREATE TEMP TABLE pgr_msg_fast (message_id bigint, event_id bigint) ON COMMIT DROP;
    INSERT INTO pg_temp.pgr_msg_fast (message_id, event_id)
    SELECT DISTINCT l.message_id, u.event_id
      FROM pg_temp.pgr_msg_log AS l
     CROSS JOIN LATERAL pg_catalog.unnest(l.event_ids) AS u(event_id)
     WHERE l.event_ids IS NOT NULL AND l.message_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_temp.pgr_msg_keys AS k WHERE k.message_id = l.message_id);
    PERFORM pgrollup_internal.messaging_add_events();
    PERFORM pgrollup_internal.messaging_restate();
    PERFORM pgrollup_internal.messaging_note_set_aside();
    RETURN v_changes;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh_log() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_refresh_log() IS 'messaging incremental refresh proper: consumes the change log in one snapshot, rebuilds everything when asked (a row with every key NULL), adds the inserted events of messages that changed in no other way, restates the other touched messages and the tenants whose zone changed. Returns the change-log rows consumed. Callers hold the module lock.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_refresh()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET client_min_messages = warning
AS $$
-- messaging refresh hook (called by pgrollup.refresh with the module lock held, inside a
-- subtransaction: any error undoes everything below, change log included). Errors propagate.
DECLARE
    v_changes bigint;
    v_drift   text;
    v_switch  boolean;
BEGIN
    IF pgrollup_internal.messaging_mode() = 'materialized_view' THEN
        DELETE FROM pgrollup_internal.msg_changes;   -- nothing is tracked in this mode
        PERFORM pgrollup_internal.messaging_refresh_mvs();
        RETURN 0;
    END IF;

    -- a source column messaging reads was renamed, dropped or retyped: fail loudly (the change log
    -- stays; health names the column; the repair is to fix it, re-run install and backfill)
    v_drift := pgrollup_internal.messaging_drift();
    IF v_drift IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42703',
            MESSAGE = pg_catalog.format('messaging source drift: %s', v_drift),
            HINT = 'Fix the column (or re-run pgrollup install after the application migration), then run pgrollup.backfill_messaging().';
    END IF;

    -- the change log distributed by Citus: every node refreshes its own shards
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NOT NULL THEN
        RETURN pgrollup_internal.messaging_refresh_citus();
    END IF;

    -- a switch to incremental mode waiting for its build: the switch committed its request for a
    -- rebuild with the module lock, held here too, so the refresh below rebuilds everything
    v_switch := EXISTS (SELECT 1 FROM pgrollup_internal.settings AS s
                         WHERE s.name = 'messaging.build_pending' AND s.value = 'true');
    v_changes := pgrollup_internal.messaging_refresh_log();
    IF v_switch THEN
        -- the switch to incremental mode is complete: readers move to the incremental state
        DELETE FROM pgrollup_internal.settings AS s WHERE s.name = 'messaging.build_pending';
        PERFORM pgrollup_internal.messaging_route();
        PERFORM pgrollup_internal.messaging_drop_mvs();
    END IF;
    RETURN v_changes;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_refresh() IS 'messaging refresh hook: in incremental mode consumes the change log, adds the inserted events of messages that changed in no other way, and restates the other touched messages (cost follows the number of changes); in materialized_view mode refreshes the materialized views concurrently. Returns the change-log rows applied. Raises on error.';

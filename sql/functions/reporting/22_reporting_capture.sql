CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_capture()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan   -- write path: plan once per session, not per statement
SET enable_seqscan = off   -- reporting_pending looks empty to the planner but holds dead rows until vacuumed: use its txid index
AS $$
DECLARE
    v_deferred boolean;
    v_marker   boolean;
BEGIN
    -- Statement-level AFTER trigger with transition tables: one batch per statement, whatever the
    -- number of rows. Only rows of registered event names of accounts with a zone matter. Rows go
    -- straight from the transition table into the change log (deferred mode) or into this
    -- transaction's buffer (immediate mode) in one statement.
    IF TG_OP = 'TRUNCATE' THEN
        -- no transition table for TRUNCATE: every event is gone, so is every rollup
        PERFORM pgrollup_internal.lock_module('reporting', true);
        DELETE FROM pgrollup.reporting_events_rollups;
        DELETE FROM pgrollup_internal.reporting_handoffs;
        DELETE FROM pgrollup_internal.reporting_monthly_rollups;
        DELETE FROM pgrollup_internal.reporting_handoff_repeats;
        DELETE FROM pgrollup_internal.reporting_changes;
        UPDATE pgrollup_internal.reporting_pending AS p SET sign = 0     -- this transaction's earlier writes
         WHERE p.txid = pg_catalog.pg_current_xact_id();
        RETURN NULL;
    END IF;
    -- the touched accounts' shared locks first (a backfill or timezone change of an account holds
    -- it exclusively), then, in the statements below (read after the locks), which of them have a zone
    IF TG_OP = 'INSERT' THEN
        PERFORM pgrollup_internal.reporting_lock_accounts(ARRAY(SELECT DISTINCT n.account_id::bigint FROM pgrollup_new AS n), false);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pgrollup_internal.reporting_lock_accounts(ARRAY(SELECT DISTINCT o.account_id::bigint FROM pgrollup_old AS o), false);
    ELSE
        PERFORM pgrollup_internal.reporting_lock_accounts(ARRAY(SELECT n.account_id::bigint FROM pgrollup_new AS n
                                                                UNION
                                                                SELECT o.account_id::bigint FROM pgrollup_old AS o), false);
    END IF;
    v_deferred := EXISTS (SELECT 1 FROM pgrollup_internal.settings AS s
                           WHERE s.name = 'reporting_mode' AND s.value = 'deferred');
    -- immediate mode: the transaction's first buffered row is its marker, whose deferred
    -- constraint trigger applies the whole buffer in one sorted batch at COMMIT. Rollup rows are
    -- therefore locked only while the transaction commits, and a transaction writing many
    -- statements cannot deadlock with another one on rollup rows.
    v_marker := NOT v_deferred AND NOT EXISTS (SELECT 1 FROM pgrollup_internal.reporting_pending AS p
                                                WHERE p.txid = pg_catalog.pg_current_xact_id());
    IF TG_OP = 'INSERT' THEN
        WITH r AS NOT MATERIALIZED (   -- one copy per target below, only the mode's runs
            SELECT n.account_id, pgrollup_internal.utc(n.created_at), n.name, n.user_id, n.inbox_id, n.conversation_id, n.value, n.value_in_business_hours, 1 AS sign
              FROM pgrollup_new AS n
             WHERE n.account_id IN (SELECT a.account_id FROM pgrollup_internal.reporting_accounts AS a
                                     WHERE a.timezone IS NOT NULL)
               AND n.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
        ), c AS (
            INSERT INTO pgrollup_internal.reporting_changes
                   (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
            SELECT * FROM r WHERE v_deferred
        )
        INSERT INTO pgrollup_internal.reporting_pending
               (is_marker, account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT v_marker AND pg_catalog.row_number() OVER () = 1, r.* FROM r WHERE NOT v_deferred;
    ELSIF TG_OP = 'DELETE' THEN
        WITH r AS NOT MATERIALIZED (   -- one copy per target below, only the mode's runs
            SELECT o.account_id, pgrollup_internal.utc(o.created_at), o.name, o.user_id, o.inbox_id, o.conversation_id, o.value, o.value_in_business_hours, -1 AS sign
              FROM pgrollup_old AS o
             WHERE o.account_id IN (SELECT a.account_id FROM pgrollup_internal.reporting_accounts AS a
                                     WHERE a.timezone IS NOT NULL)
               AND o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
        ), c AS (
            INSERT INTO pgrollup_internal.reporting_changes
                   (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
            SELECT * FROM r WHERE v_deferred
        )
        INSERT INTO pgrollup_internal.reporting_pending
               (is_marker, account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT v_marker AND pg_catalog.row_number() OVER () = 1, r.* FROM r WHERE NOT v_deferred;
    ELSE
        -- rows whose relevant columns did not change (e.g. only updated_at) are skipped
        WITH r AS NOT MATERIALIZED (   -- one copy per target below, only the mode's runs
            SELECT o.account_id, pgrollup_internal.utc(o.created_at), o.name, o.user_id, o.inbox_id, o.conversation_id, o.value, o.value_in_business_hours, -1 AS sign
              FROM pgrollup_old AS o
             WHERE o.account_id IN (SELECT a.account_id FROM pgrollup_internal.reporting_accounts AS a
                                     WHERE a.timezone IS NOT NULL)
               AND o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
               AND NOT EXISTS (
                   SELECT 1 FROM pgrollup_new AS n
                    WHERE n.id = o.id
                      AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                           n.value, n.value_in_business_hours)
                          IS NOT DISTINCT FROM
                          (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                           o.value, o.value_in_business_hours))
            UNION ALL
            SELECT n.account_id, pgrollup_internal.utc(n.created_at), n.name, n.user_id, n.inbox_id, n.conversation_id, n.value, n.value_in_business_hours, 1
              FROM pgrollup_new AS n
             WHERE n.account_id IN (SELECT a.account_id FROM pgrollup_internal.reporting_accounts AS a
                                     WHERE a.timezone IS NOT NULL)
               AND n.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
               AND NOT EXISTS (
                   SELECT 1 FROM pgrollup_old AS o
                    WHERE o.id = n.id
                      AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                           n.value, n.value_in_business_hours)
                          IS NOT DISTINCT FROM
                          (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                           o.value, o.value_in_business_hours))
        ), c AS (
            INSERT INTO pgrollup_internal.reporting_changes
                   (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
            SELECT * FROM r WHERE v_deferred
        )
        INSERT INTO pgrollup_internal.reporting_pending
               (is_marker, account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT v_marker AND pg_catalog.row_number() OVER () = 1, r.* FROM r WHERE NOT v_deferred;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_capture() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_capture() IS 'Capture trigger function on reporting_events (statement level, transition tables pgrollup_new / pgrollup_old): writes changed events of registered names of accounts with a zone to the change log (deferred mode) or to the transaction''s buffer (immediate mode), under the accounts'' shared locks.';

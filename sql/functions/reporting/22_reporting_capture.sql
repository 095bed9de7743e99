CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_capture()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan   -- write path: plan once per session, not per statement
AS $$
DECLARE
    v_rows     pgrollup_internal.reporting_delta[];
    v_accounts bigint[];
BEGIN
    -- Statement-level AFTER trigger with transition tables: one batch per statement, whatever the
    -- number of rows. Only rows of registered event names of accounts with a zone matter.
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
    -- the accounts touched, then their shared locks (a backfill or timezone change of an account
    -- holds it exclusively), then, read after the locks, which of them have a zone: only their
    -- rows are captured
    IF TG_OP = 'INSERT' THEN
        v_accounts := ARRAY(SELECT DISTINCT n.account_id::bigint FROM pgrollup_new AS n WHERE n.account_id IS NOT NULL);
    ELSIF TG_OP = 'DELETE' THEN
        v_accounts := ARRAY(SELECT DISTINCT o.account_id::bigint FROM pgrollup_old AS o WHERE o.account_id IS NOT NULL);
    ELSE
        v_accounts := ARRAY(SELECT n.account_id::bigint FROM pgrollup_new AS n WHERE n.account_id IS NOT NULL
                            UNION
                            SELECT o.account_id::bigint FROM pgrollup_old AS o WHERE o.account_id IS NOT NULL);
    END IF;
    IF pg_catalog.cardinality(v_accounts) = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM pgrollup_internal.reporting_lock_accounts(v_accounts, false);
    v_accounts := ARRAY(SELECT a.account_id FROM pgrollup_internal.reporting_accounts AS a
                         WHERE a.account_id = ANY (v_accounts) AND a.timezone IS NOT NULL);
    IF pg_catalog.cardinality(v_accounts) = 0 THEN
        RETURN NULL;
    END IF;

    IF TG_OP = 'INSERT' THEN
        v_rows := ARRAY(
            SELECT ROW(n.account_id, pgrollup_internal.utc(n.created_at), n.name, n.user_id, n.inbox_id,
                       n.conversation_id, n.value, n.value_in_business_hours, 1)::pgrollup_internal.reporting_delta
              FROM pgrollup_new AS n
             WHERE n.account_id IN (SELECT a.a FROM pg_catalog.unnest(v_accounts) AS a(a))
               AND n.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m));
    ELSIF TG_OP = 'DELETE' THEN
        v_rows := ARRAY(
            SELECT ROW(o.account_id, pgrollup_internal.utc(o.created_at), o.name, o.user_id, o.inbox_id,
                       o.conversation_id, o.value, o.value_in_business_hours, -1)::pgrollup_internal.reporting_delta
              FROM pgrollup_old AS o
             WHERE o.account_id IN (SELECT a.a FROM pg_catalog.unnest(v_accounts) AS a(a))
               AND o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m));
    ELSIF TG_OP = 'UPDATE' THEN
        -- rows whose relevant columns did not change (e.g. only updated_at) are skipped
        v_rows := ARRAY(
            SELECT ROW(o.account_id, pgrollup_internal.utc(o.created_at), o.name, o.user_id, o.inbox_id,
                       o.conversation_id, o.value, o.value_in_business_hours, -1)::pgrollup_internal.reporting_delta
              FROM pgrollup_old AS o
             WHERE o.account_id IN (SELECT a.a FROM pg_catalog.unnest(v_accounts) AS a(a))
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
            SELECT ROW(n.account_id, pgrollup_internal.utc(n.created_at), n.name, n.user_id, n.inbox_id,
                       n.conversation_id, n.value, n.value_in_business_hours, 1)::pgrollup_internal.reporting_delta
              FROM pgrollup_new AS n
             WHERE n.account_id IN (SELECT a.a FROM pg_catalog.unnest(v_accounts) AS a(a))
               AND n.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
               AND NOT EXISTS (
                   SELECT 1 FROM pgrollup_old AS o
                    WHERE o.id = n.id
                      AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                           n.value, n.value_in_business_hours)
                          IS NOT DISTINCT FROM
                          (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                           o.value, o.value_in_business_hours)));
    END IF;
    IF pg_catalog.cardinality(v_rows) > 0 THEN
        PERFORM pgrollup_internal.reporting_ingest(v_rows);
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_capture() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_capture() IS 'Capture trigger function on reporting_events (statement level, transition tables pgrollup_new / pgrollup_old): feeds changed events of registered names to pgrollup_internal.reporting_ingest.';

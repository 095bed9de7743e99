CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_capture()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_problem text;
BEGIN
    -- on a Citus shard (no pgrollup tables there): let the write through; see capture_problems()
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- Statement-level AFTER trigger with transition tables: one append to the change log per
    -- statement, whatever the number of rows. Only the registry is read: no lock, no shared row,
    -- no account setting (apply discards the changes of accounts without a zone and sets aside
    -- what it cannot attribute), so the application's write never waits on pgrollup nor fails
    -- because of a value it holds. No exception block here: a subtransaction per statement would
    -- cost every writing transaction an XID per statement.
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pgrollup_internal.lock_module('reporting', true);
        -- on the source table itself only (a partition's TRUNCATE is queued by the core's
        -- partition trigger and restated by the next refresh). No transition table for TRUNCATE:
        -- every event is gone, so is every rollup (the source's ACCESS EXCLUSIVE lock means no
        -- writer of it is in progress)
        DELETE FROM pgrollup_internal.reporting_daily_rollups;
        DELETE FROM pgrollup_internal.reporting_handoffs;
        DELETE FROM pgrollup_internal.reporting_monthly_rollups;
        DELETE FROM pgrollup_internal.reporting_handoff_repeats;
        DELETE FROM pgrollup_internal.reporting_changes;
        RETURN NULL;
    END IF;
    -- a column it reads renamed, dropped or retyped by an application migration: record it for
    -- health and let the statement through without reading any column. source_drift() is the
    -- authority and writes the message, but as a SQL function it is planned on every call
    -- (about 0.1-0.5 ms, as much as the INSERT itself); this plan-cached range scan of the
    -- relation's attributes checks the columns read below (the rows of
    -- pgrollup_internal.source_columns for reporting, with the types their kinds accept) and
    -- calls it only when one looks wrong.
    IF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute AS a
         WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
           AND CASE WHEN a.attname = ANY ('{id,account_id,user_id,inbox_id,conversation_id}'::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{int2,int4,int8}'::pg_catalog.regtype[]::pg_catalog.oid[])
                    WHEN a.attname = ANY ('{value,value_in_business_hours}'::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{int2,int4,int8,numeric,float4,float8}'::pg_catalog.regtype[]::pg_catalog.oid[])
                    WHEN a.attname = 'name'
                    THEN a.atttypid = ANY ('{text,varchar,bpchar,name}'::pg_catalog.regtype[]::pg_catalog.oid[])
                    WHEN a.attname = 'created_at'
                    THEN a.atttypid = ANY ('{timestamp,timestamptz}'::pg_catalog.regtype[]::pg_catalog.oid[])
                    ELSE false END) <> 9 THEN
        v_problem := pgrollup_internal.source_drift('reporting', 'reporting_events', TG_RELID);
    END IF;
    IF v_problem IS NOT NULL THEN
        INSERT INTO pgrollup_internal.capture_failures (module, relation, problem)
        VALUES ('reporting', TG_RELID::regclass::text, v_problem);
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT n.account_id::bigint, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id::bigint,
               n.inbox_id::bigint, n.conversation_id::bigint, n.value::double precision,
               n.value_in_business_hours::double precision, 1
          FROM pgrollup_new AS n
         WHERE n.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m);
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT o.account_id::bigint, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id::bigint,
               o.inbox_id::bigint, o.conversation_id::bigint, o.value::double precision,
               o.value_in_business_hours::double precision, -1
          FROM pgrollup_old AS o
         WHERE o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m);
    ELSE
        -- rows whose relevant columns did not change (e.g. only updated_at) are skipped
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT o.account_id::bigint, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id::bigint,
               o.inbox_id::bigint, o.conversation_id::bigint, o.value::double precision,
               o.value_in_business_hours::double precision, -1
          FROM pgrollup_old AS o
         WHERE o.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
           AND NOT EXISTS (
               SELECT 1 FROM pgrollup_new AS n
                WHERE n.id = o.id
                  AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                       n.value, n.value_in_business_hours)
                      IS NOT DISTINCT FROM
                      (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                       o.value, o.value_in_business_hours))
        UNION ALL
        SELECT n.account_id::bigint, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id::bigint,
               n.inbox_id::bigint, n.conversation_id::bigint, n.value::double precision,
               n.value_in_business_hours::double precision, 1
          FROM pgrollup_new AS n
         WHERE n.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
           AND NOT EXISTS (
               SELECT 1 FROM pgrollup_old AS o
                WHERE o.id = n.id
                  AND (n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id,
                       n.value, n.value_in_business_hours)
                      IS NOT DISTINCT FROM
                      (o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id,
                       o.value, o.value_in_business_hours));
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_capture() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_capture() IS 'Capture trigger function on reporting_events (statement level, transition tables pgrollup_new / pgrollup_old): appends the changed events of registered names, of any account, to the change log; no lock, no shared row. When a column it reads has drifted it records a capture failure and lets the statement through; TRUNCATE of the table clears every rollup, TRUNCATE of one partition restates the zoned accounts.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_transition()
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
    -- do no harm: when a column this trigger reads was renamed, dropped or retyped, the problem is
    -- recorded and the application's statement goes through (health turns critical; the repair is
    -- to fix the column or re-run install, then backfill)
    -- (the common case is this plan-cached catalog check, planned once per session with the
    -- trigger; a function call per statement would cost as much as the capture itself, and a SQL
    -- function with a subquery is not inlined. The guard that records the problem runs only when
    -- a column looks wrong.)
    IF EXISTS (SELECT 1 FROM pgrollup_internal.source_columns AS c
                LEFT JOIN pg_catalog.pg_attribute AS a
                  ON a.attrelid = TG_RELID AND a.attname = c.column_name AND a.attnum > 0 AND NOT a.attisdropped
               WHERE c.module = 'messaging' AND c.table_name = 'campaign_transitions'
                 AND (a.attname IS NULL
                      OR NOT CASE c.kind
                             WHEN 'id' THEN a.atttypid IN (21, 23, 20)
                             WHEN 'text' THEN a.atttypid IN (25, 1043, 1042, 19)
                             WHEN 'number' THEN a.atttypid IN (21, 23, 20, 1700, 700, 701)
                             WHEN 'timestamp' THEN a.atttypid IN (1114, 1184)
                             ELSE true END))
       AND pgrollup_internal.capture_skipped('messaging', 'campaign_transitions', TG_RELID) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pgrollup_internal.msg_changes (transition_id)
        SELECT DISTINCT n.id FROM pgr_new AS n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO pgrollup_internal.msg_changes (transition_id)
        SELECT n.id
          FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id
         WHERE o.id IS NULL
            OR ROW(o.tenant_id, o.campaign_id, o.to_status, o.transitioned_at)
               IS DISTINCT FROM ROW(n.tenant_id, n.campaign_id, n.to_status, n.transitioned_at)
        UNION
        SELECT o.id
          FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id
         WHERE n.id IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.msg_changes (transition_id)
        SELECT DISTINCT o.id FROM pgr_old AS o;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_transition() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_transition() IS 'Capture trigger (statement level, transition tables) on campaign_transitions and its partitions: appends the ids of inserted, deleted and updated transitions to the messaging change log. When a column it reads has drifted it records a capture failure instead and never fails the statement.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_message()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- on a Citus worker (no pgrollup tables there): as in reporting_capture
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL THEN
        RETURN NULL;
    END IF;
    -- column drift: recorded, and the statement goes through (the column check of reporting_capture)
    -- the source table, a partition or an inheritance child of it: as in reporting_capture
    IF TG_RELID = '0'::pg_catalog.regclass::oid
       OR pg_catalog.pg_partition_root(TG_RELID::regclass)::oid = '0'::pg_catalog.regclass::oid
       OR pgrollup_internal.source_inherits_from(TG_RELID, '0'::pg_catalog.regclass::oid) THEN
        IF NOT pgrollup_internal.capture_columns_ok('messaging', 'outbound_messages', '0'::pg_catalog.regclass) THEN
            PERFORM pgrollup_internal.capture_note_drift('messaging', 'outbound_messages', TG_RELID);
            RETURN NULL;
        END IF;
    ELSE
        -- any other relation: as in reporting_capture
        IF pgrollup_internal.capture_skipped('messaging', 'outbound_messages', TG_RELID) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- statement-level, transition tables pgr_new / pgr_old; append-only (writers never wait on each other)
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT DISTINCT n.id FROM pgr_new AS n;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT n.id
          FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id
         WHERE o.id IS NULL
            OR ROW(o.tenant_id, o.campaign_id, o.contact_id, o.channel, o.sent_at)
               IS DISTINCT FROM ROW(n.tenant_id, n.campaign_id, n.contact_id, n.channel, n.sent_at)
        UNION
        SELECT o.id
          FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id
         WHERE n.id IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgrollup_internal.msg_changes (message_id)
        SELECT DISTINCT o.id FROM pgr_old AS o;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_message() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_message() IS 'Capture trigger (statement level, transition tables) on outbound_messages and its partitions: appends the ids of inserted, deleted and materially updated messages to the messaging change log. When a column it reads has drifted it records a capture failure instead and never fails the statement.';

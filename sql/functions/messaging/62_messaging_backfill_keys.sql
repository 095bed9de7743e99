CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_backfill_keys(p_tenant_id bigint, p_from date, p_to date)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET client_min_messages = warning
AS $$
-- Fills pg_temp.pgr_msg_keys with every message that contributes (as applied, or as in source now)
-- to a bucket of the slice: tenant (NULL = all) and local dates p_from..p_to (NULL = open).
DECLARE
    v_lo timestamptz := CASE WHEN p_from IS NULL THEN '-infinity'::timestamptz
                             ELSE (p_from::timestamp AT TIME ZONE 'UTC') - interval '1 day' END;
    v_hi timestamptz := CASE WHEN p_to IS NULL THEN 'infinity'::timestamptz
                             ELSE ((p_to + 1)::timestamp AT TIME ZONE 'UTC') + interval '1 day' END;
    v_from date := COALESCE(p_from, '-infinity'::date);
    v_to   date := COALESCE(p_to, 'infinity'::date);
    v_n bigint;
BEGIN
    PERFORM pgrollup_internal.messaging_keys_table();
    IF p_from IS NULL AND p_to IS NULL THEN
        INSERT INTO pg_temp.pgr_msg_keys (message_id)
        SELECT s.message_id FROM pgrollup_internal.msg_state AS s
         WHERE p_tenant_id IS NULL OR s.tenant_id = p_tenant_id
        UNION
        SELECT o.id FROM @source_schema@.outbound_messages AS o
         WHERE p_tenant_id IS NULL OR o.tenant_id = p_tenant_id;
    ELSE
        INSERT INTO pg_temp.pgr_msg_keys (message_id)
        SELECT s.message_id                              -- as applied
          FROM pgrollup_internal.msg_state AS s
         WHERE (p_tenant_id IS NULL OR s.tenant_id = p_tenant_id)
           AND EXISTS (SELECT 1 FROM pgrollup_internal.msg_contrib AS c
                        WHERE c.message_id = s.message_id AND c.local_date BETWEEN v_from AND v_to)
        UNION
        SELECT o.id                                      -- sent in the slice
          FROM @source_schema@.outbound_messages AS o
          LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = o.tenant_id
         WHERE (p_tenant_id IS NULL OR o.tenant_id = p_tenant_id)
           AND o.sent_at >= v_lo AND o.sent_at < v_hi
           AND (pgrollup_internal.utc(o.sent_at) AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date BETWEEN v_from AND v_to
        UNION
        SELECT o.id                                      -- with a mapped event in the slice
          FROM @source_schema@.message_events AS e
          JOIN pgrollup.message_event_metrics AS r ON r.event_type = e.event_type
          JOIN @source_schema@.outbound_messages AS o ON o.id = e.message_id
          LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = o.tenant_id
         WHERE (p_tenant_id IS NULL OR o.tenant_id = p_tenant_id)
           AND e.occurred_at >= v_lo AND e.occurred_at < v_hi
           AND (pgrollup_internal.utc(e.occurred_at) AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date BETWEEN v_from AND v_to;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_backfill_keys(bigint, date, date) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_backfill_keys(bigint, date, date) IS 'Lists in pg_temp.pgr_msg_keys the messages whose applied or current contribution falls in a backfill slice (tenant, local dates).';

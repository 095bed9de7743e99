CREATE OR REPLACE FUNCTION pgrollup.messaging_backfill_plan(p_tenant_id bigint DEFAULT NULL, p_from date DEFAULT NULL, p_to date DEFAULT NULL)
RETURNS TABLE(tenant_id bigint, timezone text, first_date date, last_date date, days integer, messages bigint)
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
#variable_conflict use_column
BEGIN
    IF p_from IS NOT NULL AND p_to IS NOT NULL AND p_from > p_to THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_from %s is after p_to %s', p_from, p_to);
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NOT NULL THEN
        -- Citus: a backfill restates whole tenants (pgrollup_internal.messaging_citus_queue), each
        -- on its shard group; the messages are counted per tenant on the shards
        RETURN QUERY
        WITH k AS (
            SELECT o.tenant_id::bigint AS tenant_id, pg_catalog.count(*) AS messages,
                   pg_catalog.min(LEAST(pgrollup_internal.utc(o.sent_at), pgrollup_internal.utc(o.created_at))) AS lo,
                   pg_catalog.max(GREATEST(pgrollup_internal.utc(o.sent_at), pgrollup_internal.utc(o.created_at))) AS hi
              FROM @source_schema@.outbound_messages AS o
             WHERE p_tenant_id IS NULL OR o.tenant_id = p_tenant_id
             GROUP BY o.tenant_id
        ), t AS (
            SELECT k.tenant_id, COALESCE(z.timezone, 'UTC') AS timezone,
                   COALESCE(p_from, (k.lo AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date) AS first_date,
                   COALESCE(p_to, (k.hi AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date) AS last_date,
                   k.messages
              FROM k LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = k.tenant_id
        )
        SELECT t.tenant_id, t.timezone, t.first_date, t.last_date,
               CASE WHEN t.first_date IS NULL OR t.last_date IS NULL THEN 0 ELSE (t.last_date - t.first_date + 1) END,
               t.messages
          FROM t ORDER BY t.tenant_id;
        RETURN;
    END IF;
    PERFORM pgrollup_internal.messaging_backfill_keys(p_tenant_id, p_from, p_to);
    RETURN QUERY
    WITH k AS (
        SELECT COALESCE(o.tenant_id::bigint, s.tenant_id) AS tenant_id,
               LEAST(pgrollup_internal.utc(o.sent_at), pgrollup_internal.utc(o.created_at)) AS at
          FROM pg_temp.pgr_msg_keys AS k
          LEFT JOIN @source_schema@.outbound_messages AS o ON o.id = k.message_id
          LEFT JOIN pgrollup_internal.msg_state AS s ON s.message_id = k.message_id
    ), t AS (
        SELECT k.tenant_id, COALESCE(z.timezone, 'UTC') AS timezone,
               COALESCE(p_from, pg_catalog.min((k.at AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date)) AS first_date,
               COALESCE(p_to, pg_catalog.max((k.at AT TIME ZONE COALESCE(z.timezone, 'UTC'))::date)) AS last_date,
               pg_catalog.count(*) AS messages
          FROM k LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = k.tenant_id
         GROUP BY k.tenant_id, z.timezone
    )
    SELECT t.tenant_id, t.timezone, t.first_date, t.last_date,
           CASE WHEN t.first_date IS NULL OR t.last_date IS NULL THEN 0 ELSE (t.last_date - t.first_date + 1) END,
           t.messages
      FROM t ORDER BY t.tenant_id;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.messaging_backfill_plan(bigint, date, date) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.messaging_backfill_plan(bigint, date, date) IS 'Plan of pgrollup.backfill_messaging for the same arguments, changing nothing: per tenant its zone, local date range, days and messages that would be restated (on Citus, where a backfill restates whole tenants: every message of each tenant).';

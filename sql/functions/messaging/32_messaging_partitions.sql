CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_partition_slices(p_table text, p_relid oid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Slices hook of the messaging module (see pgrollup_internal.cover_partitions): the tenants whose
-- rollups the rows of one member of a source table (a partition, or a detached former one) count
-- toward, as [{"key": tenant_id}, ...]. Events count toward their message's tenant, as applied or
-- as in source now.
DECLARE
    v_slices jsonb;
BEGIN
    IF p_table = 'message_events' THEN
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''key'', x.tenant_id) ORDER BY x.tenant_id)
               FROM (SELECT s.tenant_id FROM %1$s AS e JOIN pgrollup_internal.msg_state AS s ON s.message_id = e.message_id
                     UNION
                     SELECT o.tenant_id::bigint FROM %1$s AS e JOIN %2$I.outbound_messages AS o ON o.id = e.message_id
                      WHERE o.tenant_id IS NOT NULL) AS x',
            p_relid::regclass, (SELECT m.source_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging'))
           INTO v_slices;
    ELSIF p_table IN ('outbound_messages', 'campaign_transitions') THEN
        EXECUTE pg_catalog.format(
            'SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''key'', x.tenant_id) ORDER BY x.tenant_id)
               FROM (SELECT DISTINCT t.tenant_id::bigint AS tenant_id FROM %s AS t WHERE t.tenant_id IS NOT NULL) AS x',
            p_relid::regclass)
           INTO v_slices;
    ELSE
        RETURN NULL;
    END IF;
    RETURN COALESCE(v_slices, '[]'::jsonb);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_partition_slices(text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_partition_slices(text, oid) IS 'messaging slices hook: the tenants the rows of one source table member (partition or detached table) count toward, as a jsonb array of {"key": tenant_id}.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_restate_slices(p_slices jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Restate hook of the messaging module: every listed tenant's whole history (NULL: everything),
-- through pgrollup.backfill_messaging, which holds the module lock and reads the source after it.
DECLARE
    v_tenant bigint;
    v_n bigint := 0;
BEGIN
    IF p_slices IS NULL THEN
        RETURN pgrollup.backfill_messaging(NULL, NULL, NULL);
    END IF;
    FOR v_tenant IN
        SELECT DISTINCT (s.value ->> 'key')::bigint FROM pg_catalog.jsonb_array_elements(p_slices) AS s(value)
         WHERE s.value ->> 'key' IS NOT NULL ORDER BY 1
    LOOP
        v_n := v_n + pgrollup.backfill_messaging(v_tenant, NULL, NULL);
    END LOOP;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_restate_slices(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_restate_slices(jsonb) IS 'messaging restate hook: restates the whole history of each tenant listed as {"key": tenant_id} in p_slices (NULL: every tenant) with pgrollup.backfill_messaging; returns the messages restated.';

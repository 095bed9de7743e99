CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_sync_transitions(p_ids bigint[] DEFAULT NULL, p_tenant_id bigint DEFAULT NULL, p_all boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
-- Copies campaign_transitions rows into pgrollup_internal.msg_transitions: the listed ids, one
-- tenant's rows, or all of them (p_all).
DECLARE
    v_n bigint;
    v_ids bigint[];
BEGIN
    IF p_all THEN
        DELETE FROM pgrollup_internal.msg_transitions;
        INSERT INTO pgrollup_internal.msg_transitions (id, tenant_id, campaign_id, transitioned_at, to_status)
        SELECT t.id, t.tenant_id, t.campaign_id, pgrollup_internal.utc(t.transitioned_at), t.to_status
          FROM @source_schema@.campaign_transitions AS t
         WHERE t.tenant_id IS NOT NULL AND t.campaign_id IS NOT NULL AND t.transitioned_at IS NOT NULL AND t.to_status IS NOT NULL;
    ELSIF p_tenant_id IS NOT NULL THEN
        DELETE FROM pgrollup_internal.msg_transitions AS m WHERE m.tenant_id = p_tenant_id;
        INSERT INTO pgrollup_internal.msg_transitions (id, tenant_id, campaign_id, transitioned_at, to_status)
        SELECT t.id, t.tenant_id, t.campaign_id, pgrollup_internal.utc(t.transitioned_at), t.to_status
          FROM @source_schema@.campaign_transitions AS t
         WHERE t.tenant_id = p_tenant_id
           AND t.campaign_id IS NOT NULL AND t.transitioned_at IS NOT NULL AND t.to_status IS NOT NULL
        ON CONFLICT ON CONSTRAINT msg_transitions_pkey DO UPDATE
           SET tenant_id = excluded.tenant_id, campaign_id = excluded.campaign_id,
               transitioned_at = excluded.transitioned_at, to_status = excluded.to_status;
    ELSIF p_ids IS NOT NULL AND pg_catalog.cardinality(p_ids) > 0 THEN
        DELETE FROM pgrollup_internal.msg_transitions AS m WHERE m.id = ANY (p_ids);
        INSERT INTO pgrollup_internal.msg_transitions (id, tenant_id, campaign_id, transitioned_at, to_status)
        SELECT t.id, t.tenant_id, t.campaign_id, pgrollup_internal.utc(t.transitioned_at), t.to_status
          FROM @source_schema@.campaign_transitions AS t
         WHERE t.id = ANY (p_ids)
           AND t.tenant_id IS NOT NULL AND t.campaign_id IS NOT NULL AND t.transitioned_at IS NOT NULL AND t.to_status IS NOT NULL;
    ELSE
        RETURN 0;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    -- do no harm: transitions with a NULL in a column the status lookup needs count toward nothing
    -- and are set aside (kept in step with the rows synchronized here)
    IF p_all THEN
        DELETE FROM pgrollup_internal.msg_set_aside AS a WHERE a.source_table = 'campaign_transitions';
        INSERT INTO pgrollup_internal.msg_set_aside (source_table, row_id, message_id, reason, tenant_id)
        SELECT 'campaign_transitions', t.id, NULL, v.reason, t.tenant_id
          FROM @source_schema@.campaign_transitions AS t
         CROSS JOIN LATERAL (VALUES (t.tenant_id IS NULL, 'campaign_transitions.tenant_id is NULL'),
                                    (t.campaign_id IS NULL, 'campaign_transitions.campaign_id is NULL'),
                                    (t.to_status IS NULL, 'campaign_transitions.to_status is NULL'),
                                    (t.transitioned_at IS NULL, 'campaign_transitions.transitioned_at is NULL')) AS v(bad, reason)
         WHERE (t.tenant_id IS NULL OR t.campaign_id IS NULL OR t.to_status IS NULL OR t.transitioned_at IS NULL)
           AND v.bad;
    ELSE
        v_ids := CASE WHEN p_tenant_id IS NOT NULL
                      THEN ARRAY(SELECT t.id::bigint FROM @source_schema@.campaign_transitions AS t WHERE t.tenant_id = p_tenant_id)
                      ELSE p_ids END;
        DELETE FROM pgrollup_internal.msg_set_aside AS a
         WHERE a.source_table = 'campaign_transitions' AND a.row_id = ANY (v_ids);
        INSERT INTO pgrollup_internal.msg_set_aside (source_table, row_id, message_id, reason, tenant_id)
        SELECT 'campaign_transitions', t.id, NULL, v.reason, t.tenant_id
          FROM @source_schema@.campaign_transitions AS t
         CROSS JOIN LATERAL (VALUES (t.tenant_id IS NULL, 'campaign_transitions.tenant_id is NULL'),
                                    (t.campaign_id IS NULL, 'campaign_transitions.campaign_id is NULL'),
                                    (t.to_status IS NULL, 'campaign_transitions.to_status is NULL'),
                                    (t.transitioned_at IS NULL, 'campaign_transitions.transitioned_at is NULL')) AS v(bad, reason)
         WHERE t.id = ANY (v_ids)
           AND (t.tenant_id IS NULL OR t.campaign_id IS NULL OR t.to_status IS NULL OR t.transitioned_at IS NULL)
           AND v.bad;
    END IF;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_sync_transitions(bigint[], bigint, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_sync_transitions(bigint[], bigint, boolean) IS 'Copies campaign_transitions rows (listed ids, one tenant, or all) from source into pgrollup_internal.msg_transitions, where the campaign status per local date is looked up.';

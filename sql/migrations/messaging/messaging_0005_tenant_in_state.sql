-- depends: messaging_0004_lean_log
-- Every per-message table names its tenant: msg_contrib and msg_set_aside gain tenant_id (msg_state
-- and msg_transitions have it). On one node nothing changes in how rows are keyed; on Citus, where
-- every key of a distributed table must hold the distribution column, these tables can be
-- distributed by tenant_id next to the messaging sources and the same refresh code run on each
-- shard group (the refresh names its conflict targets by constraint, so the keys may differ).
ALTER TABLE pgrollup_internal.msg_contrib ADD COLUMN tenant_id bigint;
UPDATE pgrollup_internal.msg_contrib AS c
   SET tenant_id = s.tenant_id
  FROM pgrollup_internal.msg_state AS s
 WHERE s.message_id = c.message_id;
-- a contribution without its message's state cannot be attributed: everything is rebuilt from
-- source at the next refresh instead (a row with every key NULL asks for it)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pgrollup_internal.msg_contrib AS c WHERE c.tenant_id IS NULL) THEN
        DELETE FROM pgrollup_internal.msg_contrib AS c WHERE c.tenant_id IS NULL;
        INSERT INTO pgrollup_internal.msg_changes (message_id, transition_id, tenant_id) VALUES (NULL, NULL, NULL);
    END IF;
END;
$$;
ALTER TABLE pgrollup_internal.msg_contrib ALTER COLUMN tenant_id SET NOT NULL;
COMMENT ON COLUMN pgrollup_internal.msg_contrib.tenant_id IS 'Tenant of the message (as in msg_state).';

ALTER TABLE pgrollup_internal.msg_set_aside ADD COLUMN tenant_id bigint;
COMMENT ON COLUMN pgrollup_internal.msg_set_aside.tenant_id IS 'Tenant of the source row when it has one (NULL for a row without tenant, or whose table has no tenant_id column); filled when the row is next examined.';

-- depends: messaging_0006_log_without_check
-- On Citus (messaging_citus_layout) the change log is distributed by tenant_id, so every row names
-- its key's tenant there; on one node the column keeps its meaning.
COMMENT ON COLUMN pgrollup_internal.msg_changes.tenant_id IS 'On one node: a tenant whose time zone changed, on a row with no other key (its whole history is restated). On Citus, where the log is distributed by tenant_id: the tenant of the row''s key on every row, and a zone change is a row with no other key.';

-- depends: messaging_0003_capture_guard
-- The change log is written by every writer of the source tables and read whole by each refresh:
-- it keeps no identity key (a sequence and a B-tree every writer appends to at the same page), so
-- a writing statement pays one heap row per touched message and nothing more.
ALTER TABLE pgrollup_internal.msg_changes DROP COLUMN change_id;
COMMENT ON TABLE pgrollup_internal.msg_changes IS 'messaging change log (append-only for writers, no index): keys touched since the last refresh, consumed whole by each refresh. A row with every key NULL asks for a full rebuild.';

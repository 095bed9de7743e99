-- depends: messaging_0005_tenant_in_state
-- The change log, leaner for single-row writers.
-- Its CHECK constraint (at most one key per row) cost every writing statement of the
-- source tables a parse and plan of its expression: the executor reads a table's CHECK
-- constraints from their stored text each time it starts an INSERT into it. Only pgrollup's own
-- capture triggers and functions write the log, each with one key per row (a row with no key asks
-- for a full rebuild).
ALTER TABLE pgrollup_internal.msg_changes DROP CONSTRAINT IF EXISTS msg_changes_check;
-- An inserted event is logged as one row with its id in a plain column (no array to build per
-- row, no grouping per statement); event_ids stays for rows logged before and for events without
-- a message.
ALTER TABLE pgrollup_internal.msg_changes ADD COLUMN event_id bigint;
COMMENT ON COLUMN pgrollup_internal.msg_changes.event_id IS 'An event inserted into message message_id: the refresh adds just this event (as if listed in event_ids). NULL on every other row.';
COMMENT ON COLUMN pgrollup_internal.msg_changes.message_id IS 'A message whose row or events changed: its contribution is recomputed from source, unless every pending row of the message has event_id or event_ids.';
COMMENT ON COLUMN pgrollup_internal.msg_changes.event_ids IS 'Ids of inserted events: of events without a message_id (message_id NULL; also from updates and deletes), and of events inserted for message_id by earlier versions. NULL means restate. A restatement that has read the message''s events sets event_ids and event_id to NULL on the rows still pending.';

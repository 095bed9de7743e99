-- depends: messaging_0001_init
-- Inserted events of existing messages without restating the message: the capture trigger's
-- INSERT branch logs, per statement and message, the ids of the new mapped events. A refresh
-- adds those events' contributions directly when they are all that changed about the message.
ALTER TABLE pgrollup_internal.msg_changes ADD COLUMN event_ids bigint[];
COMMENT ON TABLE pgrollup_internal.msg_changes IS 'messaging change log (append-only for writers): keys touched since the last refresh. A row with every key NULL asks for a full rebuild.';
COMMENT ON COLUMN pgrollup_internal.msg_changes.message_id IS 'A message whose row or events changed: its contribution is recomputed from source, unless every row of the message has event_ids.';
COMMENT ON COLUMN pgrollup_internal.msg_changes.event_ids IS 'Set only by an INSERT into message_events: ids of the mapped events that statement inserted for message_id. When every pending row of a message has them, a refresh adds those events to the message''s applied contribution instead of restating it; NULL means restate. A restatement that has read the message''s events sets it to NULL on the rows still pending.';
-- The restatement's by-key wrapper became pgrollup_internal.messaging_by_key(step), shared with the
-- inserted-events path (functions are re-created after the migrations).
DROP FUNCTION IF EXISTS pgrollup_internal.messaging_restate_by_key();

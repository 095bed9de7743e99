-- depends: messaging_0007_tenant_on_citus
-- A statement that inserts many events logs them as a few rows of parallel arrays (message ids and
-- event ids) instead of one row per event: one log row per up to 65,536 events.
ALTER TABLE pgrollup_internal.msg_changes ADD COLUMN message_ids bigint[];
-- stored uncompressed (pglz on a 65,536-element array cost a big INSERT more than its per-row log did)
ALTER TABLE pgrollup_internal.msg_changes ALTER COLUMN message_ids SET STORAGE EXTERNAL, ALTER COLUMN event_ids SET STORAGE EXTERNAL;
COMMENT ON COLUMN pgrollup_internal.msg_changes.message_ids IS 'Set only by an INSERT into message_events of more than 16 rows: the messages of the events listed at the same positions in event_ids (message_id is NULL on such a row; at most 65,536 events per row). The refresh adds each event to its message as if it had its own row. When event_ids is NULL on such a row (a restatement that read some of these messages set it so), every message listed is restated.';
COMMENT ON COLUMN pgrollup_internal.msg_changes.event_ids IS 'Ids of inserted events: of events without a message_id (message_id NULL and message_ids NULL; also from updates and deletes), of the events of message_ids (same positions), and of events inserted for message_id by earlier versions. NULL means restate. A restatement that has read a message''s events sets event_ids and event_id to NULL on the rows still pending that name it.';

-- depends: messaging_0002_insert_only_events core_0003_capture_guard
-- Do no harm: the source columns messaging reads (the capture triggers check them before reading
-- a statement's rows; health reports drift), and the source rows a refresh set aside because it
-- cannot attribute them (a NULL in a column a rollup key or bucket is made of).
INSERT INTO pgrollup_internal.source_columns (module, table_name, column_name, kind) VALUES
    ('messaging', 'outbound_messages', 'id', 'id'),
    ('messaging', 'outbound_messages', 'tenant_id', 'id'),
    ('messaging', 'outbound_messages', 'campaign_id', 'id'),
    ('messaging', 'outbound_messages', 'contact_id', 'id'),
    ('messaging', 'outbound_messages', 'channel', 'text'),
    ('messaging', 'outbound_messages', 'sent_at', 'timestamp'),
    ('messaging', 'message_events', 'id', 'id'),
    ('messaging', 'message_events', 'message_id', 'id'),
    ('messaging', 'message_events', 'event_type', 'text'),
    ('messaging', 'message_events', 'occurred_at', 'timestamp'),
    ('messaging', 'campaign_transitions', 'id', 'id'),
    ('messaging', 'campaign_transitions', 'tenant_id', 'id'),
    ('messaging', 'campaign_transitions', 'campaign_id', 'id'),
    ('messaging', 'campaign_transitions', 'to_status', 'text'),
    ('messaging', 'campaign_transitions', 'transitioned_at', 'timestamp')
ON CONFLICT (module, table_name, column_name) DO UPDATE SET kind = excluded.kind;

CREATE TABLE pgrollup_internal.msg_set_aside (
    source_table  text NOT NULL,
    row_id        bigint NOT NULL,
    message_id    bigint,
    reason        text NOT NULL,
    seen_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (source_table, row_id, reason)
);
CREATE INDEX msg_set_aside_message_idx ON pgrollup_internal.msg_set_aside (message_id) WHERE message_id IS NOT NULL;
COMMENT ON TABLE pgrollup_internal.msg_set_aside IS 'messaging: source rows currently set aside (they count toward nothing) because a column a rollup needs is NULL; kept by restatements and refreshes, summarized per reason into pgrollup_internal.rows_set_aside. A row leaves when its source row is fixed or deleted (its change is captured and restated).';
COMMENT ON COLUMN pgrollup_internal.msg_set_aside.source_table IS 'Source table of the row: outbound_messages, message_events or campaign_transitions.';
COMMENT ON COLUMN pgrollup_internal.msg_set_aside.row_id IS 'id of the source row.';
COMMENT ON COLUMN pgrollup_internal.msg_set_aside.message_id IS 'Message the row belongs to (restating it re-examines the row); NULL for events without a message and for transitions.';
COMMENT ON COLUMN pgrollup_internal.msg_set_aside.reason IS 'Why it is set aside, naming table.column.';
COMMENT ON COLUMN pgrollup_internal.msg_set_aside.seen_at IS 'When a refresh or backfill first set it aside.';

CREATE OR REPLACE VIEW pgrollup.metrics_message AS
SELECT r.message_id, r.tenant_id, r.campaign_id, r.contact_id, r.channel, r.sent_at,
       r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.first_opened_at, r.first_clicked_at
  FROM pgrollup_internal.msg_route_message AS r;
COMMENT ON VIEW pgrollup.metrics_message IS 'One row per existing outbound message with its counts over all its mapped events and its first open and click. Current as of the last pgrollup.refresh(''messaging'').';
COMMENT ON COLUMN pgrollup.metrics_message.message_id IS 'outbound_messages.id.';
COMMENT ON COLUMN pgrollup.metrics_message.tenant_id IS 'Tenant of the message.';
COMMENT ON COLUMN pgrollup.metrics_message.campaign_id IS 'Campaign of the message, NULL when none.';
COMMENT ON COLUMN pgrollup.metrics_message.contact_id IS 'Contact the message was sent to.';
COMMENT ON COLUMN pgrollup.metrics_message.channel IS 'Channel of the message.';
COMMENT ON COLUMN pgrollup.metrics_message.sent_at IS 'When the message was sent (UTC instant), NULL while unsent.';
COMMENT ON COLUMN pgrollup.metrics_message.delivered IS 'Delivered events of the message.';
COMMENT ON COLUMN pgrollup.metrics_message.opens IS 'Open events of the message (all of them).';
COMMENT ON COLUMN pgrollup.metrics_message.clicks IS 'Click events of the message (all of them).';
COMMENT ON COLUMN pgrollup.metrics_message.bounces IS 'Bounce events of the message.';
COMMENT ON COLUMN pgrollup.metrics_message.unsubscribes IS 'Unsubscribe events of the message.';
COMMENT ON COLUMN pgrollup.metrics_message.first_opened_at IS 'Earliest occurred_at among the message''s open events, NULL when never opened.';
COMMENT ON COLUMN pgrollup.metrics_message.first_clicked_at IS 'Earliest occurred_at among the message''s click events, NULL when never clicked.';

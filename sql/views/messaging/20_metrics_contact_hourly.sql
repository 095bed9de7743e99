CREATE OR REPLACE VIEW pgrollup.metrics_contact_hourly AS
SELECT r.tenant_id, r.contact_id, r.channel, r.hour,
       r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks
  FROM pgrollup_internal.msg_route_contact_hourly AS r;
COMMENT ON VIEW pgrollup.metrics_contact_hourly IS 'Messaging metrics per tenant, contact, channel and local hour in the tenant''s zone (hours with activity only). Current as of the last pgrollup.refresh(''messaging''). For one contact use pgrollup.contact_hourly().';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.tenant_id IS 'Tenant (outbound_messages.tenant_id).';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.contact_id IS 'Contact the messages were sent to.';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.channel IS 'Channel of the messages (outbound_messages.channel).';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.hour IS 'Start of the local hour in the tenant''s zone, as an instant (date_trunc(''hour'', ts, zone)); in zones with sub-hour offsets it is not a UTC hour.';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.sends IS 'Messages sent (sent_at) in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.delivered IS 'Delivered events (event types mapped to delivered in pgrollup.message_event_metrics) in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.opens IS 'Open events in the bucket (every open counts).';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.clicks IS 'Click events in the bucket (every click counts).';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.bounces IS 'Bounce events in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.unsubscribes IS 'Unsubscribe events in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.unique_opens IS 'Messages whose first open falls in the bucket (each message counts once, at its earliest open).';
COMMENT ON COLUMN pgrollup.metrics_contact_hourly.unique_clicks IS 'Messages whose first click falls in the bucket (each message counts once, at its earliest click).';

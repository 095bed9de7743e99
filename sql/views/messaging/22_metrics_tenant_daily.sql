CREATE OR REPLACE VIEW pgrollup.metrics_tenant_daily AS
SELECT r.tenant_id, r.date,
       r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks
  FROM pgrollup_internal.msg_route_tenant_daily AS r;
COMMENT ON VIEW pgrollup.metrics_tenant_daily IS 'Messaging metrics per tenant and local date in the tenant''s zone (days with activity only; all messages, with or without campaign). Current as of the last pgrollup.refresh(''messaging''). For a dashboard slice use pgrollup.tenant_daily().';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.tenant_id IS 'Tenant (outbound_messages.tenant_id).';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.date IS 'Local date in the tenant''s zone (23 or 25 hours long on DST days).';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.sends IS 'Messages sent (sent_at) in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.delivered IS 'Delivered events (event types mapped to delivered in pgrollup.message_event_metrics) in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.opens IS 'Open events in the bucket (every open counts).';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.clicks IS 'Click events in the bucket (every click counts).';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.bounces IS 'Bounce events in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.unsubscribes IS 'Unsubscribe events in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.unique_opens IS 'Messages whose first open falls in the bucket (each message counts once, at its earliest open).';
COMMENT ON COLUMN pgrollup.metrics_tenant_daily.unique_clicks IS 'Messages whose first click falls in the bucket (each message counts once, at its earliest click).';

CREATE OR REPLACE VIEW pgrollup.metrics_campaign_daily AS
SELECT r.tenant_id, r.campaign_id, r.date,
       r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks,
       r.status
  FROM pgrollup_internal.msg_route_campaign_daily AS r;
COMMENT ON VIEW pgrollup.metrics_campaign_daily IS 'Messaging metrics per tenant, campaign and local date in the tenant''s zone, with the campaign''s status on that date (days with activity only; messages without a campaign are excluded). Current as of the last pgrollup.refresh(''messaging''). For a dashboard slice use pgrollup.campaign_daily().';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.tenant_id IS 'Tenant (outbound_messages.tenant_id).';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.campaign_id IS 'Campaign (outbound_messages.campaign_id, never NULL here).';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.date IS 'Local date in the tenant''s zone (23 or 25 hours long on DST days).';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.sends IS 'Messages sent (sent_at) in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.delivered IS 'Delivered events (event types mapped to delivered in pgrollup.message_event_metrics) in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.opens IS 'Open events in the bucket (every open counts).';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.clicks IS 'Click events in the bucket (every click counts).';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.bounces IS 'Bounce events in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.unsubscribes IS 'Unsubscribe events in the bucket.';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.unique_opens IS 'Messages whose first open falls in the bucket (each message counts once, at its earliest open).';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.unique_clicks IS 'Messages whose first click falls in the bucket (each message counts once, at its earliest click).';
COMMENT ON COLUMN pgrollup.metrics_campaign_daily.status IS 'to_status of the campaign''s latest campaign_transitions row strictly before the end of this local date (ties broken by the higher id); NULL when there is none.';

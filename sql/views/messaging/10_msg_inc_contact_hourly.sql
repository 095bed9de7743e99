CREATE OR REPLACE VIEW pgrollup_internal.msg_inc_contact_hourly AS
SELECT r.tenant_id, r.contact_id, r.channel, r.hour,
       r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks
  FROM pgrollup_internal.msg_contact_hourly AS r;
COMMENT ON VIEW pgrollup_internal.msg_inc_contact_hourly IS 'messaging incremental mode: contact-hourly rollup in the public column order.';

CREATE OR REPLACE VIEW pgrollup_internal.msg_inc_message AS
SELECT s.message_id, s.tenant_id, s.campaign_id, s.contact_id, s.channel, s.sent_at,
       s.delivered, s.opens, s.clicks, s.bounces, s.unsubscribes, s.first_opened_at, s.first_clicked_at
  FROM pgrollup_internal.msg_state AS s;
COMMENT ON VIEW pgrollup_internal.msg_inc_message IS 'messaging incremental mode: per-message state in the public column order.';

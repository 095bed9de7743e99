-- The status of a campaign on a local date is looked up at read time in the transition copy (one
-- index probe per row: (tenant_id, campaign_id, transitioned_at DESC, id DESC)), so a new
-- transition changes the status of every later date without rewriting rollup rows.
CREATE OR REPLACE VIEW pgrollup_internal.msg_inc_campaign_daily AS
SELECT r.tenant_id, r.campaign_id, r.date,
       r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks,
       st.to_status AS status
  FROM pgrollup_internal.msg_campaign_daily AS r
  LEFT JOIN LATERAL (
        SELECT t.to_status
          FROM pgrollup_internal.msg_transitions AS t
         WHERE t.tenant_id = r.tenant_id AND t.campaign_id = r.campaign_id
           AND t.transitioned_at < ((r.date + 1)::timestamp AT TIME ZONE pgrollup_internal.msg_tenant_zone(r.tenant_id))
         ORDER BY t.transitioned_at DESC, t.id DESC
         LIMIT 1) AS st ON true;
COMMENT ON VIEW pgrollup_internal.msg_inc_campaign_daily IS 'messaging incremental mode: campaign-daily rollup with the campaign status of each local date.';

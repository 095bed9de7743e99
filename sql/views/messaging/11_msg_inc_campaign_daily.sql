-- The status of a campaign on a local date is looked up at read time in the transition copy (one
-- index probe per row: (tenant_id, campaign_id, transitioned_at DESC, id DESC)), so a new
-- transition changes the status of every later date without rewriting rollup rows. The tenant's
-- zone comes from a join with msg_tenants (by primary key), not from a function: a function that
-- reads a table runs once per row, and on Citus it would be a query inside a shard's query, which
-- Citus refuses.
CREATE OR REPLACE VIEW pgrollup_internal.msg_inc_campaign_daily AS
SELECT r.tenant_id, r.campaign_id, r.date,
       r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks,
       st.to_status AS status
  FROM pgrollup_internal.msg_campaign_daily AS r
  LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = r.tenant_id
  LEFT JOIN LATERAL (
        SELECT t.to_status
          FROM pgrollup_internal.msg_transitions AS t
         WHERE t.tenant_id = r.tenant_id AND t.campaign_id = r.campaign_id
           AND t.transitioned_at < ((r.date + 1)::timestamp AT TIME ZONE COALESCE(z.timezone, 'UTC'))
         ORDER BY t.transitioned_at DESC, t.id DESC
         LIMIT 1) AS st ON true;
COMMENT ON VIEW pgrollup_internal.msg_inc_campaign_daily IS 'messaging incremental mode: campaign-daily rollup with the campaign status of each local date.';
-- (earlier versions looked the zone up with this function)
DROP FUNCTION IF EXISTS pgrollup_internal.msg_tenant_zone(bigint);

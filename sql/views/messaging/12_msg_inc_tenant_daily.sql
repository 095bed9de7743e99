CREATE OR REPLACE VIEW pgrollup_internal.msg_inc_tenant_daily AS
SELECT r.tenant_id, r.date,
       r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks
  FROM pgrollup_internal.msg_tenant_daily AS r;
COMMENT ON VIEW pgrollup_internal.msg_inc_tenant_daily IS 'messaging incremental mode: tenant-daily rollup in the public column order.';

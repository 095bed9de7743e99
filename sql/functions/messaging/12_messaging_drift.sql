CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_drift()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- drift of the three source tables (not of their partitions: a partition always has its
    -- parent's columns); a dropped table is drift too
    SELECT pg_catalog.string_agg(COALESCE(pgrollup_internal.source_drift('messaging', t.tbl, r.relid),
                                          CASE WHEN r.relid IS NULL THEN pg_catalog.format('table %I.%I is missing', m.source_schema, t.tbl) END),
                                 '; ' ORDER BY t.tbl)
      FROM pgrollup_internal.modules AS m
     CROSS JOIN (VALUES ('campaign_transitions'), ('message_events'), ('outbound_messages')) AS t(tbl)
     CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', m.source_schema, t.tbl))::oid AS relid) AS r
     WHERE m.module = 'messaging';
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_drift() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_drift() IS 'Column drift of the messaging source tables (pgrollup_internal.source_drift of each, or a missing table), NULL when none.';

-- depends: reporting_0006_realtime
-- The change log's comments say what capture writes: inserts of every name (reading the registry
-- per statement would cost the writer a scan of it), updates and deletes of registered names; the
-- refresh, the reads and restatements count registered names only.
COMMENT ON TABLE pgrollup_internal.reporting_changes IS 'Change log of reporting_events: append-only signed rows written by the capture trigger, +1 for every inserted event whatever its name, -1/+1 for updated and deleted events of registered names (no index, no sequence: a writer pays one heap row per event). The refresh, the reads and restatements count registered names only. Reads fold the rows not applied yet into the applied rollups; pgrollup.refresh(''reporting'') applies them in batches and removes them; backfills consume the rows of the slice they rebuild.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.name IS 'reporting_events.name (inserts: any name; updates and deletes: a registered name).';

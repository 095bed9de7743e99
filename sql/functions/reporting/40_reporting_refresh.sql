CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_refresh_log()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_blocks bigint;
    v_block  bigint := 0;
    v_step   constant bigint := 1024;   -- blocks per batch: 8 MB of log, some 60k changes
    v_n      bigint;
    v_total  bigint := 0;
BEGIN
    -- Runs under the module lock (pgrollup.refresh), in the caller's transaction: a failure
    -- rolls every batch back and leaves the log intact. The log is consumed in ranges of heap
    -- blocks (TID range scans, each block read once): each DELETE ... RETURNING moves the rows of
    -- its blocks committed before its snapshot into the staging table, which is applied
    -- set-based; later rows stay for the next run. Memory stays bounded by one batch whatever
    -- the size of the log. Idle: one look at an empty log.
    IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.reporting_changes) THEN
        RETURN 0;
    END IF;
    v_blocks := pg_catalog.pg_relation_size('pgrollup_internal.reporting_changes'::regclass)
                / pg_catalog.current_setting('block_size')::bigint;
    WHILE v_block < v_blocks LOOP
        TRUNCATE pgrollup_internal.reporting_batch;
        WITH d AS (
            DELETE FROM pgrollup_internal.reporting_changes AS c
             WHERE c.ctid >= pg_catalog.format('(%s,0)', v_block)::tid
               AND c.ctid < pg_catalog.format('(%s,0)', v_block + v_step)::tid
            RETURNING c.account_id, c.created_at, c.name, c.user_id, c.inbox_id, c.conversation_id,
                      c.value, c.value_bh, c.sign
        )
        INSERT INTO pgrollup_internal.reporting_batch
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT * FROM d;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_block := v_block + v_step;
        CONTINUE WHEN v_n = 0;
        -- changes that cannot be attributed to a rollup key are counted, not applied
        INSERT INTO pgrollup_internal.rows_set_aside AS s (module, reason, rows, first_seen, last_seen)
        SELECT 'reporting', x.reason, pg_catalog.count(*), pg_catalog.now(), pg_catalog.now()
          FROM (SELECT CASE WHEN b.account_id IS NULL THEN 'reporting_events.account_id is NULL'
                            ELSE 'reporting_events.created_at is NULL' END AS reason
                  FROM pgrollup_internal.reporting_batch AS b
                 WHERE (b.account_id IS NULL OR b.created_at IS NULL)
                   -- registered names only (on Citus the log holds every name)
                   AND b.name IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)) AS x
         GROUP BY x.reason
        ON CONFLICT (module, reason) DO UPDATE SET rows = s.rows + EXCLUDED.rows, last_seen = EXCLUDED.last_seen;
        PERFORM pgrollup_internal.reporting_apply();
        v_total := v_total + v_n;
    END LOOP;
    TRUNCATE pgrollup_internal.reporting_batch;
    RETURN v_total;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh_log() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_refresh_log() IS 'Applies the change log to the rollups in batches of heap blocks (bounded memory, one transaction), sets aside changes without account_id or created_at (pgrollup_internal.rows_set_aside); returns the number of changes consumed (0 at once when the log is empty).';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_refresh()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- the change log distributed by Citus: every node refreshes its own shards
    IF pgrollup_internal.citus_placement('pgrollup_internal.reporting_changes'::regclass) IS NOT NULL THEN
        RETURN pgrollup_internal.reporting_refresh_citus();
    END IF;
    RETURN pgrollup_internal.reporting_refresh_log();
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_refresh() IS 'Refresh hook of the reporting module: pgrollup_internal.reporting_refresh_log(), or on Citus (change log distributed) pgrollup_internal.reporting_refresh_citus(); returns the number of changes consumed.';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_flush()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan   -- write path: plan once per session, not per statement
SET enable_seqscan = off   -- reporting_pending looks empty to the planner but holds dead rows until vacuumed: use its txid index
AS $$
DECLARE
    v_rows pgrollup_internal.reporting_delta[];
BEGIN
    -- Deferred constraint trigger on the marker row of pgrollup_internal.reporting_pending: runs
    -- when the writing transaction commits (or at SET CONSTRAINTS ... IMMEDIATE) and applies
    -- everything the transaction captured in one batch. The transaction still holds its shared
    -- account locks, so no backfill or timezone change of those accounts interleaves.
    WITH d AS (
        DELETE FROM pgrollup_internal.reporting_pending AS p
         WHERE p.txid = pg_catalog.pg_current_xact_id()
        RETURNING p.*
    )
    SELECT pg_catalog.array_agg(ROW(d.account_id, d.created_at, d.name, d.user_id, d.inbox_id, d.conversation_id,
                                    d.value, d.value_bh, d.sign)::pgrollup_internal.reporting_delta)
      INTO v_rows
      FROM d;
    IF v_rows IS NOT NULL THEN
        PERFORM pgrollup_internal.reporting_apply(v_rows);
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_flush() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_flush() IS 'Immediate mode commit-time flush: applies the rows a transaction buffered in reporting_pending to the rollups and removes them.';

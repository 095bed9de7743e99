CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_ingest(p_rows pgrollup_internal.reporting_delta[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan   -- write path: plan once per session, not per statement
SET enable_seqscan = off   -- reporting_pending looks empty to the planner but holds dead rows until vacuumed: use its txid index
AS $$
DECLARE
    v_mode     text;
    v_n        bigint;
    v_marker   boolean;
BEGIN
    IF p_rows IS NULL OR pg_catalog.cardinality(p_rows) = 0 THEN
        RETURN 0;
    END IF;
    -- the caller (the capture trigger) holds the accounts' shared locks and passes only rows of
    -- accounts that have a zone, read after the locks
    SELECT s.value INTO v_mode FROM pgrollup_internal.settings AS s WHERE s.name = 'reporting_mode';
    IF v_mode = 'deferred' THEN
        INSERT INTO pgrollup_internal.reporting_changes
               (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
        SELECT r.account_id, r.created_at, r.name, r.user_id, r.inbox_id, r.conversation_id, r.value, r.value_bh, r.sign
          FROM pg_catalog.unnest(p_rows) AS r;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        RETURN v_n;
    END IF;
    -- immediate mode: buffer the rows in this transaction; the first row of the transaction is
    -- its marker, whose deferred constraint trigger applies the whole buffer in one sorted batch
    -- at COMMIT. Rollup rows are therefore locked only while the transaction commits, and a
    -- transaction writing many statements cannot deadlock with another one on rollup rows.
    v_marker := NOT EXISTS (SELECT 1 FROM pgrollup_internal.reporting_pending AS p
                             WHERE p.txid = pg_catalog.pg_current_xact_id());
    INSERT INTO pgrollup_internal.reporting_pending
           (is_marker, account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign)
    SELECT r.o = 1 AND v_marker, r.account_id, r.created_at, r.name, r.user_id, r.inbox_id, r.conversation_id,
           r.value, r.value_bh, r.sign
      FROM pg_catalog.unnest(p_rows) WITH ORDINALITY AS r(account_id, created_at, name, user_id, inbox_id,
                                                          conversation_id, value, value_bh, sign, o)
     ORDER BY r.o;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_ingest(pgrollup_internal.reporting_delta[]) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_ingest(pgrollup_internal.reporting_delta[]) IS 'Write path behind the capture triggers (which hold the accounts'' shared locks): buffers the rows for the commit-time flush (immediate mode) or appends them to the change log (deferred mode).';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_refresh()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_rows pgrollup_internal.reporting_delta[];
BEGIN
    -- Runs under the module lock (pgrollup.refresh, set_reporting_mode). DELETE ... RETURNING
    -- consumes exactly the log rows committed before its snapshot; later ones stay for the next
    -- run. In immediate mode the log is empty (except rows written just before a mode switch)
    -- and this returns 0 at once.
    IF NOT EXISTS (SELECT 1 FROM pgrollup_internal.reporting_changes) THEN
        RETURN 0;
    END IF;
    WITH d AS (
        DELETE FROM pgrollup_internal.reporting_changes AS c RETURNING c.*
    )
    SELECT pg_catalog.array_agg(ROW(d.account_id, d.created_at, d.name, d.user_id, d.inbox_id, d.conversation_id,
                                    d.value, d.value_bh, d.sign)::pgrollup_internal.reporting_delta)
      INTO v_rows
      FROM d;
    IF v_rows IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM pgrollup_internal.reporting_apply(v_rows);
    RETURN pg_catalog.cardinality(v_rows);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_refresh() IS 'Refresh hook of the reporting module: applies the deferred change log to the rollups; returns the number of changes applied (0 at once when there is nothing to do, as in immediate mode).';

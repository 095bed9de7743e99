CREATE OR REPLACE PROCEDURE pgrollup.run_refresh(p_module text DEFAULT NULL, p_wait boolean DEFAULT true,
                                                 INOUT p_run_ids bigint[] DEFAULT NULL)
LANGUAGE plpgsql
AS $$
DECLARE
    v_run_id bigint;
BEGIN
    -- No SECURITY DEFINER and no SET search_path: a procedure with either may not COMMIT. It names
    -- nothing unqualified; the two steps it calls are definers with a pinned search_path.
    p_run_ids := ARRAY(SELECT pgrollup.refresh_begin(p_module));
    COMMIT;                                -- the attempts are on record before any work
    FOREACH v_run_id IN ARRAY p_run_ids LOOP
        PERFORM pgrollup.refresh_run(v_run_id, p_wait);
        COMMIT;
    END LOOP;
END;
$$;
REVOKE ALL ON PROCEDURE pgrollup.run_refresh(text, boolean, bigint[]) FROM PUBLIC;
COMMENT ON PROCEDURE pgrollup.run_refresh(text, boolean, bigint[]) IS 'Refresh for schedulers (pg_cron runs it, so does pgrollup refresh): like pgrollup.refresh, but each module''s attempt is committed to pgrollup.refresh_runs (status running) before its work and completed after, so an attempt cancelled by statement_timeout, lock_timeout or a client stays on record. CALL it outside a transaction block. Returns the run ids (a skipped module''s record is removed).';

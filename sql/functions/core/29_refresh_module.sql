CREATE OR REPLACE FUNCTION pgrollup_internal.refresh_module(p_module text, p_wait boolean, p_run_id bigint DEFAULT NULL)
RETURNS TABLE(status text, changes_applied bigint, duration interval)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_proc     regprocedure;
    v_started  timestamptz;
    v_finished timestamptz;
    v_changes  bigint;
    v_status   text;
    v_error    text;
    v_state    text;
    v_trace    bigint;
BEGIN
    v_trace := pgrollup_internal.refresh_trace(p_module);   -- an earlier direct attempt's, maybe unfinished
    IF p_run_id IS NULL THEN
        -- a direct call cannot commit a record before the work: leave a trace a cancel cannot undo
        PERFORM pgrollup_internal.refresh_trace(p_module, false);
    END IF;
    IF NOT pgrollup_internal.lock_module(p_module, p_wait) THEN
        IF p_run_id IS NULL THEN
            PERFORM pgrollup_internal.refresh_trace(p_module, true);
        ELSE
            DELETE FROM pgrollup_internal.refresh_runs AS r WHERE r.run_id = p_run_id;   -- skipped: not an attempt
        END IF;
        status := 'skipped';
        changes_applied := 0;
        duration := interval '0';
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM pgrollup_internal.refresh_record_lost(p_module, v_trace, p_run_id);
    v_started := pg_catalog.clock_timestamp();
    BEGIN
        -- the exception block is a subtransaction: a failure undoes exactly the module's work
        v_proc := pgrollup_internal.module_function(p_module, 'refresh');
        -- partitions created, attached, detached, dropped or truncated since the last run:
        -- capture triggers on the new ones (busy ones are skipped), restatements
        PERFORM pgrollup_internal.cover_partitions(p_module, true);
        EXECUTE pg_catalog.format('SELECT %s()', v_proc::oid::regproc) INTO v_changes;
        v_status := 'ok';
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_error = MESSAGE_TEXT;
        v_error := v_state || ': ' || v_error;
        v_status := 'failed';
        v_changes := 0;
    END;
    v_finished := pg_catalog.clock_timestamp();
    IF p_run_id IS NULL THEN
        INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status, changes_applied, error, pid)
        VALUES (p_module, v_started, v_finished, v_status, COALESCE(v_changes, 0), v_error, pg_catalog.pg_backend_pid());
        PERFORM pgrollup_internal.refresh_trace(p_module, true);
    ELSE
        UPDATE pgrollup_internal.refresh_runs AS r
           SET started_at = v_started, finished_at = v_finished, status = v_status,
               changes_applied = COALESCE(v_changes, 0), error = v_error
         WHERE r.run_id = p_run_id;
    END IF;
    IF v_status = 'failed' THEN
        RAISE WARNING 'pgrollup: refresh of module % failed: %', p_module, v_error;
    END IF;
    status := v_status;
    changes_applied := COALESCE(v_changes, 0);
    duration := v_finished - v_started;
    RETURN NEXT;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.refresh_module(text, boolean, bigint) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.refresh_module(text, boolean, bigint) IS 'One refresh attempt of one module under its lock: records earlier attempts that did not finish, runs the module''s refresh in a subtransaction and records the outcome (a new refresh_runs row, or the row p_run_id that run_refresh committed before the work). A direct attempt (p_run_id NULL) also leaves a non-transactional trace so a cancel is seen.';

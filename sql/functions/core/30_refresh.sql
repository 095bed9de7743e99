CREATE OR REPLACE FUNCTION pgrollup.refresh(p_module text DEFAULT NULL, p_wait boolean DEFAULT true)
RETURNS TABLE(module text, status text, changes_applied bigint, duration interval)
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_module   text;
    v_proc     regprocedure;
    v_started  timestamptz;
    v_finished timestamptz;
    v_changes  bigint;
    v_status   text;
    v_error    text;
    v_state    text;
BEGIN
    IF p_wait IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'p_wait must be true or false, not NULL';
    END IF;
    IF p_module IS NOT NULL THEN
        PERFORM pgrollup_internal.module_function(p_module, 'refresh');  -- 22023 for an unknown module
    END IF;
    FOR v_module IN
        SELECT m.module FROM pgrollup_internal.modules AS m
         WHERE p_module IS NULL OR m.module = p_module
         ORDER BY m.module
    LOOP
        module := v_module;
        IF NOT pgrollup_internal.lock_module(v_module, p_wait) THEN
            status := 'skipped';
            changes_applied := 0;
            duration := interval '0';
            RETURN NEXT;
            CONTINUE;
        END IF;
        v_started := pg_catalog.clock_timestamp();
        v_error := NULL;
        BEGIN
            -- the exception block is a subtransaction: a failure undoes exactly the module's work
            v_proc := pgrollup_internal.module_function(v_module, 'refresh');
            -- partitions created, attached, detached, dropped or truncated since the last run:
            -- capture triggers on the new ones (busy ones are skipped), restatements
            PERFORM pgrollup_internal.cover_partitions(v_module, true);
            EXECUTE pg_catalog.format('SELECT %s()', v_proc::oid::regproc) INTO v_changes;
            v_status := 'ok';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_error = MESSAGE_TEXT;
            v_error := v_state || ': ' || v_error;
            v_status := 'failed';
            v_changes := 0;
        END;
        v_finished := pg_catalog.clock_timestamp();
        INSERT INTO pgrollup_internal.refresh_runs (module, started_at, finished_at, status, changes_applied, error)
        VALUES (v_module, v_started, v_finished, v_status, COALESCE(v_changes, 0), v_error);
        IF v_status = 'failed' THEN
            RAISE WARNING 'pgrollup: refresh of module % failed: %', v_module, v_error;
        END IF;
        status := v_status;
        changes_applied := COALESCE(v_changes, 0);
        duration := v_finished - v_started;
        RETURN NEXT;
    END LOOP;
    PERFORM pgrollup_internal.prune_refresh_runs();
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.refresh(text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.refresh(text, boolean) IS 'Applies pending changes to the rollups of one module (or of every installed module when p_module is NULL) under a per-module lock, after covering new partitions of its source tables with capture triggers and restating partitions that were attached filled, detached, dropped or truncated. status: ok, skipped (another refresh holds the lock and p_wait is false) or failed (its work rolled back, the error recorded in pgrollup.refresh_runs). Safe to call from many sessions at once.';

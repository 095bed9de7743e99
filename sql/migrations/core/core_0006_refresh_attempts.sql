-- depends: core_0005_access_roles
-- Every refresh attempt leaves a record, also one cancelled by statement_timeout, lock_timeout or
-- a client (a cancel is not caught by an exception block, and a function cannot commit):
-- * pgrollup.run_refresh (a procedure: pg_cron and pgrollup refresh use it) commits a 'running'
--   row before the work and completes it after; a cancelled attempt's row stays 'running' until the
--   next refresh marks it 'cancelled';
-- * a direct SELECT pgrollup.refresh() leaves a non-transactional trace, one sequence per module
--   whose value (setval is never rolled back) says that an attempt started, when, in which backend,
--   and whether it reached its end; the next refresh turns an unfinished trace into a 'cancelled'
--   row. The sequences are created here for installed modules and by a trigger for later ones, so
--   they never depend on the transaction of the attempt they trace.
ALTER TABLE pgrollup_internal.refresh_runs ALTER COLUMN finished_at DROP NOT NULL;
ALTER TABLE pgrollup_internal.refresh_runs DROP CONSTRAINT refresh_runs_status_check;
ALTER TABLE pgrollup_internal.refresh_runs ADD CONSTRAINT refresh_runs_status_check
    CHECK (status IN ('ok', 'failed', 'running', 'cancelled'));
ALTER TABLE pgrollup_internal.refresh_runs ADD COLUMN pid integer;
COMMENT ON TABLE pgrollup_internal.refresh_runs IS 'One row per refresh attempt of a module (ok, failed, running or cancelled); read it through pgrollup.refresh_runs.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.started_at IS 'Wall-clock start: when the attempt was recorded (run_refresh) or when the module lock was taken (refresh).';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.finished_at IS 'Wall-clock end; NULL while running and for an attempt that did not finish.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.status IS 'ok, failed, running (recorded before the work; in progress, or cancelled and not yet seen by a later refresh) or cancelled (did not finish: statement_timeout, lock_timeout, a client cancel or the end of its session).';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.error IS 'SQLSTATE and message of a failed run; why a cancelled attempt did not finish.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.pid IS 'Backend that made the attempt (tells a running attempt from a cancelled one).';

CREATE FUNCTION pgrollup_internal.create_refresh_trace(p_module text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    EXECUTE pg_catalog.format('CREATE SEQUENCE IF NOT EXISTS pgrollup_internal.%I MINVALUE %s NO CYCLE',
                              'refresh_trace_' || p_module, -9223372036854775807);
    EXECUTE pg_catalog.format('COMMENT ON SEQUENCE pgrollup_internal.%I IS %L', 'refresh_trace_' || p_module,
                              'Non-transactional trace of the last direct refresh attempt of module ' || p_module
                              || ': (epoch seconds << 22 | backend pid), positive from its start, negative once it reached its end.');
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.create_refresh_trace(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.create_refresh_trace(text) IS 'Creates the refresh trace sequence of a module (idempotent); defined in migration core_0006_refresh_attempts, called when a module is registered.';

CREATE FUNCTION pgrollup_internal.modules_registered()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pgrollup_internal.create_refresh_trace(NEW.module);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.modules_registered() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.modules_registered() IS 'Trigger on pgrollup_internal.modules: creates the refresh trace sequence of a newly registered module.';
CREATE TRIGGER modules_registered AFTER INSERT ON pgrollup_internal.modules
    FOR EACH ROW EXECUTE FUNCTION pgrollup_internal.modules_registered();
COMMENT ON TRIGGER modules_registered ON pgrollup_internal.modules IS 'Creates each module''s refresh trace sequence when the module is registered.';

DO $$
BEGIN
    PERFORM pgrollup_internal.create_refresh_trace(m.module) FROM pgrollup_internal.modules AS m;
END;
$$;

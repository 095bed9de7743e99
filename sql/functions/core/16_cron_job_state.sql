CREATE OR REPLACE FUNCTION pgrollup_internal.cron_job_state()
RETURNS text
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_job_name text;
    v_active boolean;
BEGIN
    SELECT s.value INTO v_job_name FROM pgrollup_internal.settings AS s WHERE s.name = 'cron_job_name';
    IF v_job_name IS NULL THEN
        RETURN NULL;                       -- no pg_cron job expected
    END IF;
    IF to_regclass('cron.job') IS NULL THEN
        RETURN 'unknown';                  -- pg_cron lives in another database: not visible from here
    END IF;
    BEGIN
        EXECUTE 'SELECT j.active FROM cron.job AS j WHERE j.jobname = $1 ORDER BY j.jobid LIMIT 1'
           INTO v_active USING v_job_name;
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN 'unknown';
    END;
    RETURN CASE WHEN v_active IS NULL THEN 'missing' WHEN v_active THEN 'active' ELSE 'inactive' END;
END;
$$;
COMMENT ON FUNCTION pgrollup_internal.cron_job_state() IS 'State of the pgrollup pg_cron job as seen from this database: active, inactive, missing, unknown (pg_cron in another database), or NULL when no job is expected.';

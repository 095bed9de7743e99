CREATE OR REPLACE FUNCTION pgrollup_internal.cron_job_state()
RETURNS text
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_job_names text[];
    v_found     integer;
    v_inactive  integer;
BEGIN
    -- the refresh job, and the apply job when one was scheduled
    SELECT pg_catalog.array_agg(s.value ORDER BY s.name) INTO v_job_names
      FROM pgrollup_internal.settings AS s WHERE s.name IN ('cron_job_name', 'cron_apply_job_name');
    IF v_job_names IS NULL THEN
        RETURN NULL;                       -- no pg_cron job expected
    END IF;
    IF pg_catalog.to_regclass('cron.job') IS NULL THEN
        RETURN 'unknown';                  -- pg_cron lives in another database: not visible from here
    END IF;
    BEGIN
        -- pg_cron shows a role its own jobs only (row security on cron.job)
        EXECUTE 'SELECT pg_catalog.count(DISTINCT j.jobname)::integer, '
                '       pg_catalog.count(DISTINCT j.jobname) FILTER (WHERE NOT j.active)::integer '
                '  FROM cron.job AS j WHERE j.jobname OPERATOR(pg_catalog.=) ANY ($1) '
                '   AND j.database OPERATOR(pg_catalog.=) pg_catalog.current_database()'
           INTO v_found, v_inactive USING v_job_names;
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN 'unknown';
    END;
    RETURN CASE WHEN v_found < pg_catalog.cardinality(v_job_names) THEN 'missing'
                WHEN v_inactive > 0 THEN 'inactive'
                ELSE 'active' END;
END;
$$;
COMMENT ON FUNCTION pgrollup_internal.cron_job_state() IS 'State of this database''s pgrollup pg_cron jobs (the refresh job, and the reporting apply job when scheduled) as seen from this database: missing (one of them is), inactive, active, unknown (pg_cron in another database, or not visible to the owner), or NULL when no job is expected.';

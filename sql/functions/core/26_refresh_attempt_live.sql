CREATE OR REPLACE FUNCTION pgrollup_internal.refresh_attempt_live(p_pid integer, p_started timestamptz,
                                                                  p_grace interval DEFAULT NULL)
RETURNS boolean
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    -- the backend still runs the statement that made the attempt; a backend whose state this role
    -- may not see counts as running (for p_grace after the start, when given). The calling backend
    -- is running this statement, not that attempt (query_start has only the trace's second to go by)
    SELECT p_pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid() AND EXISTS (
        SELECT 1 FROM pg_catalog.pg_stat_activity AS a
         WHERE a.pid OPERATOR(pg_catalog.=) p_pid
           AND CASE WHEN a.state IS NULL
                    THEN p_grace IS NULL OR p_started OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) p_grace)
                    ELSE (a.state OPERATOR(pg_catalog.=) 'active')
                         AND (pg_catalog.date_trunc('second', a.query_start) OPERATOR(pg_catalog.<=) p_started) END)
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.refresh_attempt_live(integer, timestamptz, interval) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.refresh_attempt_live(integer, timestamptz, interval) IS 'Whether the refresh attempt started at p_started by backend p_pid is still running (its statement is still active); a backend whose state is hidden from the owner counts as running, for p_grace when given.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_restate_by_key()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
BEGIN
    RETURN pgrollup_internal.messaging_restate();
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_restate_by_key() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_restate_by_key() IS 'Runs pgrollup_internal.messaging_restate() with hash and merge joins and JIT off, so that a restatement of few messages goes by key through the indexes (cost proportional to the changes, not to the table sizes).';

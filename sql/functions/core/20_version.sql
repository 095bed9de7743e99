CREATE OR REPLACE FUNCTION pgrollup.version()
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
RETURN '@version@';
COMMENT ON FUNCTION pgrollup.version() IS 'Version of the installed pgrollup SQL (functions and views are re-applied on every install, so this is the version of the last install).';

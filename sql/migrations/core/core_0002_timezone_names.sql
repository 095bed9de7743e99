-- depends: core_0001_init
-- A copy of pg_timezone_names (which reads the zone files on every call, ~0.1 s) so validating a
-- zone is an index lookup; refreshed on every install, with pg_timezone_names as the fallback.
CREATE TABLE pgrollup_internal.timezone_names (
    name text PRIMARY KEY
);
CREATE INDEX timezone_names_lower_idx ON pgrollup_internal.timezone_names (pg_catalog.lower(name));
COMMENT ON TABLE pgrollup_internal.timezone_names IS 'IANA zone names known to this server (copy of pg_timezone_names, refreshed by pgrollup install); used by check_timezone.';
COMMENT ON COLUMN pgrollup_internal.timezone_names.name IS 'Zone name as spelled in pg_timezone_names.';
INSERT INTO pgrollup_internal.timezone_names (name) SELECT z.name FROM pg_catalog.pg_timezone_names AS z ON CONFLICT DO NOTHING;

-- failures_24h and the latest run per module are read by every rollup_health query
CREATE INDEX refresh_runs_failures_idx ON pgrollup_internal.refresh_runs (module, started_at) WHERE status = 'failed';

-- pgrollup core: module registry, refresh log, alert thresholds, timezone cache.
-- Schemas are created by the installer before yoyo runs (yoyo keeps its own tables in
-- pgrollup_internal); the statements below are idempotent so a dry run matches.
CREATE SCHEMA IF NOT EXISTS pgrollup;
CREATE SCHEMA IF NOT EXISTS pgrollup_internal;
COMMENT ON SCHEMA pgrollup IS 'pgrollup public API: rollup views, read functions, settings and maintenance functions.';
COMMENT ON SCHEMA pgrollup_internal IS 'pgrollup internals: change logs, rollup state, module registry. Not a stable interface.';
REVOKE ALL ON SCHEMA pgrollup_internal FROM PUBLIC;

CREATE TABLE pgrollup_internal.modules (
    module            text PRIMARY KEY,
    source_schema     text NOT NULL DEFAULT 'public',
    refresh_function  text NOT NULL,
    health_function   text NOT NULL,
    attach_function   text NOT NULL,
    detach_function   text NOT NULL,
    installed_at      timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE pgrollup_internal.modules IS 'Installed pgrollup modules and the functions the core calls for each (refresh, health, attach and detach of capture triggers).';
COMMENT ON COLUMN pgrollup_internal.modules.module IS 'Module name (messaging, reporting).';
COMMENT ON COLUMN pgrollup_internal.modules.source_schema IS 'Schema that holds the module''s source tables.';
COMMENT ON COLUMN pgrollup_internal.modules.refresh_function IS 'Qualified name of a function () RETURNS bigint that applies pending work.';
COMMENT ON COLUMN pgrollup_internal.modules.health_function IS 'Qualified name of a function () RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamptz).';
COMMENT ON COLUMN pgrollup_internal.modules.attach_function IS 'Qualified name of a function () RETURNS void that creates the capture triggers the module''s mode needs.';
COMMENT ON COLUMN pgrollup_internal.modules.detach_function IS 'Qualified name of a function () RETURNS void that drops every trigger the module created on source tables.';
COMMENT ON COLUMN pgrollup_internal.modules.installed_at IS 'When the module was first installed.';

CREATE TABLE pgrollup_internal.refresh_runs (
    run_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    module           text NOT NULL,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz NOT NULL,
    status           text NOT NULL CHECK (status IN ('ok', 'failed')),
    changes_applied  bigint NOT NULL DEFAULT 0,
    error            text
);
CREATE INDEX refresh_runs_module_started_idx ON pgrollup_internal.refresh_runs (module, started_at DESC);
COMMENT ON TABLE pgrollup_internal.refresh_runs IS 'One row per refresh attempt of a module (successful or failed); read it through pgrollup.refresh_runs.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.run_id IS 'Run number, increasing.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.module IS 'Module refreshed.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.started_at IS 'Wall-clock start, after the module lock was taken.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.finished_at IS 'Wall-clock end.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.status IS 'ok or failed.';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.changes_applied IS 'Changes the run applied (0 for a failed run: its work was rolled back).';
COMMENT ON COLUMN pgrollup_internal.refresh_runs.error IS 'SQLSTATE and message of a failed run.';

CREATE TABLE pgrollup.alert_thresholds (
    module              text PRIMARY KEY,
    staleness_warning   interval NOT NULL,
    staleness_critical  interval NOT NULL,
    duration_warning    interval NOT NULL,
    duration_critical   interval NOT NULL,
    failures_warning    integer NOT NULL,
    failures_critical   integer NOT NULL,
    CHECK (staleness_warning <= staleness_critical),
    CHECK (duration_warning <= duration_critical),
    CHECK (failures_warning <= failures_critical)
);
COMMENT ON TABLE pgrollup.alert_thresholds IS 'Alert thresholds used by pgrollup.rollup_health; the row for module ''*'' is the default for modules without a row of their own. Edit with UPDATE/INSERT.';
COMMENT ON COLUMN pgrollup.alert_thresholds.module IS 'Module name, or * for the default.';
COMMENT ON COLUMN pgrollup.alert_thresholds.staleness_warning IS 'Staleness at or above which the module is in warning.';
COMMENT ON COLUMN pgrollup.alert_thresholds.staleness_critical IS 'Staleness at or above which the module is critical.';
COMMENT ON COLUMN pgrollup.alert_thresholds.duration_warning IS 'Last successful refresh duration at or above which the module is in warning.';
COMMENT ON COLUMN pgrollup.alert_thresholds.duration_critical IS 'Last successful refresh duration at or above which the module is critical.';
COMMENT ON COLUMN pgrollup.alert_thresholds.failures_warning IS 'Failed refreshes in the last 24 hours at or above which the module is in warning.';
COMMENT ON COLUMN pgrollup.alert_thresholds.failures_critical IS 'Failed refreshes in the last 24 hours at or above which the module is critical.';
INSERT INTO pgrollup.alert_thresholds VALUES ('*', '2 hours', '6 hours', '10 minutes', '30 minutes', 1, 3);

CREATE TABLE pgrollup_internal.settings (
    name   text PRIMARY KEY,
    value  text NOT NULL
);
COMMENT ON TABLE pgrollup_internal.settings IS 'Installation-wide settings (key/value).';
COMMENT ON COLUMN pgrollup_internal.settings.name IS 'Setting name.';
COMMENT ON COLUMN pgrollup_internal.settings.value IS 'Setting value as text.';

-- depends: core_0003_capture_guard
-- Roles are cluster-wide, grants are per database: pgrollup's reader and admin roles are made per
-- database (named after it, marked with COMMENT ON ROLE naming it) and recorded here, so membership
-- granted for one database gives nothing in another. pgrollup.access_roles shows them.
CREATE TABLE pgrollup_internal.access_roles (
    role_kind    text PRIMARY KEY CHECK (role_kind IN ('reader', 'admin')),
    role_name    name NOT NULL UNIQUE,
    recorded_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE pgrollup_internal.access_roles IS 'The reader and admin roles of this database, written by pgrollup install once each role exists and carries pgrollup''s marker for this database (COMMENT ON ROLE); read through pgrollup.access_roles.';
COMMENT ON COLUMN pgrollup_internal.access_roles.role_kind IS 'reader (views and read functions) or admin (refresh, backfill, settings; also a reader).';
COMMENT ON COLUMN pgrollup_internal.access_roles.role_name IS 'Name of the role.';
COMMENT ON COLUMN pgrollup_internal.access_roles.recorded_at IS 'When install recorded the role.';

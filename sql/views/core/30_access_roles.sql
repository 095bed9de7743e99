CREATE OR REPLACE VIEW pgrollup.access_roles AS
SELECT a.role_kind,
       a.role_name
  FROM pgrollup_internal.access_roles AS a
 WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r WHERE r.rolname OPERATOR(pg_catalog.=) a.role_name);
COMMENT ON VIEW pgrollup.access_roles IS 'The roles that give access to pgrollup in THIS database: GRANT the reader role to BI users, the admin role to operators. Membership gives nothing in any other database of the cluster (each database has its own pair).';
COMMENT ON COLUMN pgrollup.access_roles.role_kind IS 'reader: views and read functions; admin: refresh, backfill and settings (and everything the reader may).';
COMMENT ON COLUMN pgrollup.access_roles.role_name IS 'Name of the role (GRANT it to a login role).';

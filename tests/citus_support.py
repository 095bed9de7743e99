"""A local Citus cluster for the tests that need one: a coordinator (citus and pg_cron preloaded)
and two workers, each a throwaway devdb.Cluster. Citus is a test dependency only: without the
extension on this machine the tests that need it skip with the reason."""
from __future__ import annotations

import psycopg
import pytest

from pgrollup.devdb import CitusCluster, citus_available


@pytest.fixture(scope="module")
def citus():
    why = citus_available()
    if why:
        pytest.skip(why)
    cluster = CitusCluster().start()
    yield cluster
    cluster.stop()


def assert_rename_after_snapshot_writes_through(dsn, isolation, *, colocate_with, key_type, insert, rename, log, module, named):
    """A transaction at `isolation` whose snapshot on a worker predates a rename of a column capture
    reads (`rename`, an ALTER TABLE ... RENAME COLUMN), committed before its INSERT locks the shard
    (the transaction read only another table there, colocated with `colocate_with`): the INSERT
    writes through and logs nothing, health is critical and names `named`. The same transaction
    without a migration logs the event in the change log `log`."""
    with psycopg.connect(dsn, autocommit=True) as dba, psycopg.connect(dsn, autocommit=True) as app:
        dba.execute(f"CREATE TABLE public.probe (k {key_type})")
        dba.execute("SELECT create_distributed_table('public.probe', 'k', colocate_with => %s)", (colocate_with,))
        logged = dba.execute(f"SELECT count(*) FROM {log}").fetchone()[0]
        for migrate in (False, True):
            app.execute(f"BEGIN ISOLATION LEVEL {isolation}")
            app.execute("SELECT count(*) FROM public.probe WHERE k = 1")   # the worker's snapshot, no lock on the shard
            if migrate:
                dba.execute(rename)
            app.execute(insert)
            app.execute("COMMIT")
            assert dba.execute(f"SELECT count(*) FROM {log}").fetchone()[0] == logged + 1
        level, alert = dba.execute("SELECT alert_level, alert FROM pgrollup.rollup_health WHERE module = %s",
                                   (module,)).fetchone()
        assert level == "critical" and named in alert, alert

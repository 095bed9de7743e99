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


def shard_insert_takes_static_branch(citus, dsn, table, shardid, columns, values):
    """On the worker holding shard `shardid` of `table`, one INSERT of the rows `values` (a row's
    values, or a list of them) straight into the shard, as Citus runs a routed INSERT there;
    returns whether the shard trigger took its static branch: the general path caches the log's
    shard name in a session setting, the static branch needs none."""
    rows = [values] if isinstance(values, str) else values
    port = int(dsn.split("port=")[1].split()[0])
    with psycopg.connect(dsn, autocommit=True) as c:
        node_port = c.execute("SELECT nodeport FROM pg_dist_shard_placement WHERE shardid = %s", (shardid,)).fetchone()[0]
    worker = next(w for w in [citus.coordinator, *citus.workers] if w.port == node_port)
    assert worker.port != port
    shard = f"{table}_{shardid}"
    with psycopg.connect(worker.dsn(dsn.split("dbname=")[1].split()[0]), autocommit=True) as w:
        w.execute(f"INSERT INTO {shard} ({columns}) VALUES " + ", ".join(f"({v})" for v in rows))
        cached = w.execute("SELECT current_setting('pgrollup.capture_log_' || %s::regclass::oid, true)", (shard,)).fetchone()[0]
    return cached in (None, "")

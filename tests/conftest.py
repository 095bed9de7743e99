"""Test harness: one real PostgreSQL 15 cluster with pg_cron per test session (started as the
``postgres`` OS user when the tests run as root), and a fresh database per test cloned from a
template. No mocks of the database."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import psycopg
import pytest

from pgrollup.devdb import Cluster
from pgrollup.engine.install import install

TEMPLATE = "pgrollup_tpl"


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = Cluster(settings={"max_worker_processes": 16, "cron.max_running_jobs": 4})
    cluster.start()
    with psycopg.connect(cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {TEMPLATE}")
    yield cluster
    cluster.stop()


class TestDB:
    def __init__(self, cluster: Cluster, name: str):
        self.cluster = cluster
        self.name = name
        self.dsn = cluster.dsn(name)

    def connect(self, autocommit: bool = True, user: str | None = None, **kw) -> psycopg.Connection:
        return psycopg.connect(self.cluster.dsn(self.name, user=user), autocommit=autocommit, **kw)

    def dsn_as(self, user: str) -> str:
        return self.cluster.dsn(self.name, user=user)

    def install(self, modules=(), source_schema=None, schedule=False, **kw):
        with self.connect() as conn:
            return install(conn, self.dsn, modules, source_schema=source_schema,
                           schedule_mode=schedule, **kw)

    def scalar(self, query, params=None):
        with self.connect() as conn:
            return conn.execute(query, params).fetchone()[0]

    def rows(self, query, params=None):
        with self.connect() as conn:
            return conn.execute(query, params).fetchall()


@pytest.fixture
def db(pg_cluster):
    """A fresh, empty database for one test (dropped afterwards, with its pg_cron jobs)."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield TestDB(pg_cluster, name)
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        if pg_cluster.has_cron:
            c.execute("SELECT cron.unschedule(jobid) FROM cron.job WHERE database = %s", (name,))
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        for kind in ("reader", "admin"):               # the database's own pgrollup roles
            c.execute(f"DROP ROLE IF EXISTS pgrollup_{name}_{kind}")


def run_cli(*args, env=None, input=None, timeout=600):
    """Run the real ``pgrollup`` command line in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "pgrollup", *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli

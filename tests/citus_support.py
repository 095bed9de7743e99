"""A local Citus cluster for the tests that need one: a coordinator (citus and pg_cron preloaded)
and two workers, each a throwaway devdb.Cluster. Citus is a test dependency only: without the
extension on this machine the tests that need it skip with the reason."""
from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from pgrollup.devdb import Cluster, find_bindir


def citus_available() -> str | None:
    """None when the citus extension can be loaded here, else why not."""
    try:
        sharedir = subprocess.run([str(find_bindir() / "pg_config"), "--sharedir"], capture_output=True,
                                  text=True, check=True).stdout.strip()
    except Exception as exc:  # noqa: BLE001 - any failure means: no Citus here
        return f"pg_config not usable: {exc}"
    if not (Path(sharedir) / "extension" / "citus.control").exists():
        return "the citus extension is not installed on this machine (CI installs it from ../shared/citus/install.sh)"
    return None


class CitusCluster:
    """Coordinator + 2 workers on this machine; `create_database(name)` makes a database with the
    citus extension on every node and the workers registered."""

    def __init__(self):
        self.coordinator = Cluster(settings={"shared_preload_libraries": "'citus,pg_cron'", "max_worker_processes": 16})
        self.workers = [Cluster(with_cron=False, settings={"shared_preload_libraries": "'citus'"}) for _ in range(2)]

    def start(self) -> "CitusCluster":
        for node in [self.coordinator, *self.workers]:
            node.start()
        return self

    def stop(self) -> None:
        for node in [self.coordinator, *self.workers]:
            node.stop()

    def create_database(self, name: str) -> str:
        for node in [self.coordinator, *self.workers]:
            with psycopg.connect(node.dsn("postgres"), autocommit=True) as c:
                c.execute(f"CREATE DATABASE {name}")
            with psycopg.connect(node.dsn(name), autocommit=True) as c:
                c.execute("CREATE EXTENSION citus")
        with psycopg.connect(self.coordinator.dsn(name), autocommit=True) as c:
            c.execute("SELECT citus_set_coordinator_host('127.0.0.1', %s)", (self.coordinator.port,))
            for w in self.workers:
                c.execute("SELECT citus_add_node('127.0.0.1', %s)", (w.port,))
        return self.coordinator.dsn(name)


@pytest.fixture(scope="module")
def citus():
    why = citus_available()
    if why:
        pytest.skip(why)
    cluster = CitusCluster().start()
    yield cluster
    cluster.stop()

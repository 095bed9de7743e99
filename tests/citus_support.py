"""A local Citus cluster for the tests that need one: a coordinator (citus and pg_cron preloaded)
and two workers, each a throwaway devdb.Cluster. Citus is a test dependency only: without the
extension on this machine the tests that need it skip with the reason."""
from __future__ import annotations

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

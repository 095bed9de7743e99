"""messaging: property-based differential tests. Random workloads of every operation (inserts,
late sends, corrections of campaign / contact / channel / tenant, deletes, late and early events,
event corrections, campaign transitions, tenant zone changes, refreshes, sliced backfills, mode
switches) must leave every view and read function equal to its plain-SQL reference query."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from messaging_support import ADMIN_OPS, WRITE_OPS, Workload, assert_exact, create_sources

PROFILE = dict(deadline=None, database=None, derandomize=True, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def ops_strategy(kinds):
    return st.lists(st.tuples(st.sampled_from(kinds), st.integers(0, 999), st.integers(0, 999), st.integers(0, 999)),
                    min_size=20, max_size=50)


def _run(db, conn, ops, schema="public"):
    w = Workload(conn, schema)
    w.reset()
    conn.execute("SELECT pgrollup.refresh('messaging')")
    for op in ops:
        w.apply(op)
    conn.execute("SELECT pgrollup.refresh('messaging')")
    assert_exact(conn, schema)


@pytest.fixture
def mdb(db):
    create_sources(db, ts="timestamp", ids="integer")
    db.install(modules=["messaging"])
    return db


def test_incremental_matches_reference(mdb):
    with mdb.connect() as conn:
        @settings(max_examples=60, **PROFILE)
        @given(ops_strategy(WRITE_OPS + ADMIN_OPS))
        def check(ops):
            _run(mdb, conn, ops)
        check()


def test_materialized_view_mode_matches_reference(mdb):
    with mdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_messaging_mode('materialized_view')")
        assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgrollup_messaging_%'").fetchone()[0] == 0

        @settings(max_examples=20, **PROFILE)
        @given(ops_strategy(WRITE_OPS + ADMIN_OPS))
        def check(ops):
            _run(mdb, conn, ops)
        check()


def test_mode_switches_keep_results(mdb):
    with mdb.connect() as conn:
        @settings(max_examples=20, **PROFILE)
        @given(ops_strategy(WRITE_OPS + ADMIN_OPS + ["mode", "mode"]))
        def check(ops):
            _run(mdb, conn, ops)
            # identical results in both modes
            before = {v: sorted(map(str, conn.execute(f"SELECT * FROM pgrollup.{v}").fetchall()))
                      for v in ("metrics_contact_hourly", "metrics_campaign_daily", "metrics_tenant_daily", "metrics_message")}
            mode = conn.execute("SELECT mode FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()[0]
            other = "incremental" if mode == "materialized_view" else "materialized_view"
            conn.execute("SELECT pgrollup.set_messaging_mode(%s)", (other,))
            conn.execute("SELECT pgrollup.refresh('messaging')")
            after = {v: sorted(map(str, conn.execute(f"SELECT * FROM pgrollup.{v}").fetchall())) for v in before}
            assert before == after
        check()

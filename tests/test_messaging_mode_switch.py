"""Mode switches never hold the application's writers beyond a short lock taken with a timeout:
switching to incremental mode only attaches the capture triggers; the next refresh builds the
incremental state from source while writes go on (readers keep the materialized views until
then), and every result equals the reference queries."""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest

import messaging_support as ms


def _setup(db):
    ms.create_sources(db)
    db.install(modules=["messaging"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_messaging_mode('materialized_view')")
        w = ms.Workload(conn)
        for op in ms.random_ops(random.Random(7), 150):
            w.apply(op)
        conn.execute("SELECT * FROM pgrollup.refresh('messaging')")
        ms.assert_exact(conn)


def test_switch_to_incremental_builds_at_the_next_refresh_while_writes_go_on(db):
    _setup(db)
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_messaging_mode('incremental')")
        # nothing built yet: readers still read the materialized views, exact as of their refresh
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.msg_state").fetchone()[0] == 0
        ms.assert_exact(conn)
        # writes after the switch are captured; writers run while the refresh builds the state
        stop = threading.Event()
        errors = []

        def writer():
            with db.connect() as wc:
                w = ms.Workload(wc)
                rng = random.Random(11)
                while not stop.is_set():
                    try:
                        w.apply(ms.random_ops(rng, 1)[0])
                    except psycopg.Error as exc:   # never expected: the writer must not fail
                        errors.append(str(exc))
                        return

        t = threading.Thread(target=writer)
        t.start()
        try:
            time.sleep(0.3)
            assert conn.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
            time.sleep(0.3)
        finally:
            stop.set()
            t.join()
        assert not errors, errors
        conn.execute("SELECT * FROM pgrollup.refresh('messaging')")
        assert conn.execute("SELECT mode FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()[0] == "incremental"
        assert conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.msg_mv_message')").fetchone()[0] is None
        ms.assert_exact(conn)


def test_switch_gives_up_on_a_busy_source_table_instead_of_queueing_writers(db):
    _setup(db)
    with db.connect(autocommit=False) as app, db.connect() as admin, db.connect() as other:
        # an application transaction holds a write lock on campaign_transitions
        app.execute("INSERT INTO public.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                    "VALUES (1, 1, 'running', now())")
        admin.execute("SET statement_timeout = '30s'")
        t0 = time.monotonic()
        with pytest.raises(psycopg.errors.LockNotAvailable):
            admin.execute("SELECT pgrollup.set_messaging_mode('incremental')")
        assert time.monotonic() - t0 < 15
        app.rollback()
        # nothing changed, and another writer is not held
        other.execute("SET lock_timeout = '2s'")
        other.execute("INSERT INTO public.campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                      "VALUES (1, 1, 'paused', now())")
        assert admin.execute("SELECT mode FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()[0] \
            == "materialized_view"

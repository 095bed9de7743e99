"""Messaging on Citus (coordinator + 2 workers): with outbound_messages, message_events and
campaign_transitions distributed by tenant_id and colocated, the per-tenant tables become
distributed tables colocated with them and the registry and tenant zones reference tables; capture
fires next to each shard, the first build and every refresh run on the workers against their own
shards, zone changes, backfills and TRUNCATE are restated there, reads route to one shard per
tenant, and every view and read function equals its reference query; layouts it cannot capture
exactly are refused before anything changes."""
from __future__ import annotations

import random
import threading
import time
import uuid

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import messaging_support as ms
import citus_support
from citus_support import citus  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

SOURCES = ("outbound_messages", "message_events", "campaign_transitions")
TENANTS = (1, 2, 3, 4, 5)


class TenantWorkload(ms.Workload):
    """The randomized messaging workload, kept within one tenant: on Citus a row stays on its
    tenant's shard (no update of tenant_id), and an event belongs to a message of its own tenant."""

    def apply(self, op) -> None:
        kind, a, b, c = op
        if kind == "fix" and b % 4 == 0:
            return                      # a change of tenant_id: Citus does not move rows between shards
        if (kind == "ev" and b % 7 == 0) or (kind == "evbatch" and b % 11 == 0):
            b += 1                      # an event for a message id not yet created: it may be another tenant's
        super().apply((kind, a, b, c))


def _source_db(citus, ids="bigint", colocate=True, distribute=SOURCES):  # noqa: F811
    """A new database of the cluster with the messaging sources (primary keys holding tenant_id,
    as Citus needs), the listed ones distributed by tenant_id; returns its DSN."""
    dsn = citus.create_database("m_" + uuid.uuid4().hex[:10])
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(ms.source_ddl(ids=ids))
        for t in SOURCES:
            c.execute(f"ALTER TABLE public.{t} DROP CONSTRAINT {t}_pkey")
            c.execute(f"ALTER TABLE public.{t} ADD PRIMARY KEY (tenant_id, id)")
        for i, t in enumerate(distribute):
            with_ = "none" if not colocate else "default" if i == 0 else "public.outbound_messages"
            c.execute("SELECT create_distributed_table(%s, 'tenant_id', colocate_with => %s)", (f"public.{t}", with_))
    return dsn


def _assert_exact(c):
    """Every view and read function equals the contract's reference query, run over local copies
    of the sources (the reference joins events to messages by message_id only)."""
    c.execute("DROP SCHEMA IF EXISTS ref CASCADE")
    c.execute("CREATE SCHEMA ref")
    for t in SOURCES:
        c.execute(f"CREATE TABLE ref.{t} AS SELECT * FROM public.{t}")
    ms.assert_exact(c, "ref")
    assert c.execute("SELECT count(*) FROM ref.outbound_messages").fetchone()[0] > 0


def _workloads(c):
    return {t: TenantWorkload(c, tenants=(t,)) for t in TENANTS}


def _run(wls, rnd, n, admin=True):
    for _ in range(n):
        w = wls[rnd.choice(TENANTS)]
        kinds = ms.WRITE_OPS + (["tz", "backfill"] if admin else [])
        w.apply((rnd.choice(kinds), rnd.randrange(1000), rnd.randrange(1000), rnd.randrange(1000)))


def test_messaging_follows_sources_distributed_by_tenant(citus, cli):  # noqa: F811
    rnd = random.Random(7)
    dsn = _source_db(citus)
    with psycopg.connect(dsn, autocommit=True) as c:
        _run(_workloads(c), rnd, 60, admin=False)   # data written before install
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "messaging", "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "citus: messaging: outbound_messages and message_events and campaign_transitions " \
           "are distributed by tenant_id" in res.stdout, res.stdout
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "messaging")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        layout = dict(c.execute(
            "SELECT logicalrelid::regclass::text, CASE WHEN partmethod = 'h' THEN colocationid::text ELSE 'reference' END "
            "FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'pgrollup%' "
            "   OR logicalrelid = 'public.outbound_messages'::regclass").fetchall())
        group = layout.pop("outbound_messages")
        assert layout == {
            "pgrollup.message_event_metrics": "reference", "pgrollup_internal.msg_tenants": "reference",
            **{f"pgrollup_internal.{t}": group for t in ("msg_changes", "msg_state", "msg_contrib", "msg_transitions",
                                                          "msg_set_aside", "msg_contact_hourly", "msg_campaign_daily",
                                                          "msg_tenant_daily")}}
        # the install's first refresh built everything on the workers
        assert c.execute("SELECT count(*) FROM pgrollup_internal.msg_changes").fetchone()[0] == 0
        _assert_exact(c)
        worker_rows = c.execute("SELECT sum(result::bigint) FROM run_command_on_shards("
                                "'pgrollup_internal.msg_state', 'SELECT count(*) FROM %s')").fetchone()[0]
        assert worker_rows == c.execute("SELECT count(*) FROM public.outbound_messages").fetchone()[0] > 0

        # writes of every kind on the shards, zone changes (half-hour zones) and backfills; health
        # counts what is pending over every shard
        wls = _workloads(c)
        _run(wls, rnd, 150)
        level, pending = c.execute("SELECT alert_level, pending_changes FROM pgrollup.rollup_health "
                                   "WHERE module = 'messaging'").fetchone()
        # (every event of a statement's array rows counts; the bulk operations write some)
        logged, arrays = c.execute("SELECT sum(coalesce(cardinality(message_ids), 1)), count(message_ids) "
                                   "FROM pgrollup_internal.msg_changes").fetchone()
        assert pending == logged > 0 and arrays > 0, (pending, logged, arrays)
        assert level in ("ok", "warning"), level
        status, applied = c.execute("SELECT status, changes_applied FROM pgrollup.refresh('messaging')").fetchone()
        assert status == "ok" and applied == pending
        _assert_exact(c)

        for _ in range(3):
            _run(wls, rnd, 60)
            assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
            _assert_exact(c)

        # a backfill from the CLI restates the tenant on the workers
        c.execute("UPDATE pgrollup.message_event_metrics SET metric = 'clicks' WHERE event_type = 'open'")
        res = cli("backfill", "--dsn", dsn, "--module", "messaging")
        assert res.returncode == 0, res.stderr
        _assert_exact(c)

        # TRUNCATE on the coordinator: every key is restated by the next refresh
        c.execute("TRUNCATE public.message_events")
        assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
        _assert_exact(c)
        _run(wls, rnd, 40, admin=False)
        assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
        _assert_exact(c)

        # a read for one tenant routes to one shard
        for view in ("metrics_campaign_daily", "metrics_tenant_daily", "metrics_contact_hourly", "metrics_message"):
            plan = "\n".join(r[0] for r in c.execute(
                f"EXPLAIN SELECT * FROM pgrollup.{view} WHERE tenant_id = 2 ORDER BY 1, 2, 3 LIMIT 100").fetchall())
            assert "Task Count: 1" in plan, plan
        c.execute("SET citus.multi_task_query_log_level = error")   # a multi-shard statement fails from here
        for fn in ("campaign_daily(2, '2024-01-01', '2025-01-01')", "tenant_daily(2, '2024-01-01', '2025-01-01')",
                   "contact_hourly(2, 1, '-infinity', 'infinity')"):
            c.execute(f"SELECT * FROM pgrollup.{fn}").fetchall()
        c.execute("RESET citus.multi_task_query_log_level")
        # one tenant's backfill logs its keys with statements Citus runs on that tenant's shard only
        for src, col in (("public.outbound_messages", "message_id"), ("pgrollup_internal.msg_state", "message_id"),
                         ("public.campaign_transitions", "transition_id")):
            key = "message_id" if src.endswith("msg_state") else "id"
            plan = "\n".join(r[0] for r in c.execute(
                f"EXPLAIN INSERT INTO pgrollup_internal.msg_changes (captured_at, tenant_id, {col}) "
                f"SELECT '2026-01-01'::timestamptz, x.tenant_id, x.{key} FROM {src} AS x WHERE x.tenant_id = 2").fetchall())
            assert "Task Count: 1" in plan and "coordinator" not in plan.lower(), plan
        # the refresh's apply statements run on the workers, against local shards
        assert c.execute("SELECT count(*) FROM pg_dist_object WHERE objid = "
                         "'pgrollup_internal.messaging_refresh_node()'::regprocedure").fetchone()[0] == 1

        # materialized_view mode needs local sources
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            c.execute("SELECT pgrollup.set_messaging_mode('materialized_view')")
        counts = {t: c.execute(f"SELECT count(*), sum(hashtext(t::text)) FROM public.{t} AS t").fetchone() for t in SOURCES}

    # uninstall leaves the distributed sources as they were
    res = cli("uninstall", "--dsn", dsn, "--yes")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        assert {t: c.execute(f"SELECT count(*), sum(hashtext(t::text)) FROM public.{t} AS t").fetchone()
                for t in SOURCES} == counts
        assert c.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgrollup%'").fetchone()[0] == 0
        assert c.execute("SELECT sum(result::int) FROM run_command_on_shards('public.message_events', "
                         "'SELECT count(*) FROM pg_trigger WHERE tgrelid = ''%s''::regclass AND NOT tgisinternal')"
                         ).fetchone()[0] == 0
        c.execute("INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at) "
                  "VALUES (1, 1, 'open', now())")


def _placement(c, tenant):
    return c.execute("SELECT s.shardid, p.nodename, p.nodeport FROM pg_dist_shard s JOIN pg_dist_shard_placement p "
                     "USING (shardid) WHERE s.shardid = get_shard_id_for_distribution_column('public.outbound_messages', %s)",
                     (tenant,)).fetchone()


def test_inserts_take_a_static_branch_per_shard(citus, cli):  # noqa: F811
    """Install writes one static INSERT branch per shard of each source into the shard trigger's
    function: single-row INSERTs into each source's shard take it, as does a statement of 40
    events (its first 16 events logged by the branch, the rest by the general path's bulk
    statements, with the log's shard the branch names); every view equals its reference query."""
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "messaging")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        _run(_workloads(c), random.Random(8), 40, admin=False)
        body = c.execute("SELECT pg_get_functiondef('pgrollup_internal.messaging_capture_shard()'::regprocedure)").fetchone()[0]
        for t in SOURCES:
            shards = [r[0] for r in c.execute("SELECT shardid FROM pg_dist_shard WHERE logicalrelid = %s::regclass",
                                              (f"public.{t}",))]
            assert shards and all(f"{t}_{s}" in body for s in shards), t
        shard = {t: c.execute("SELECT get_shard_id_for_distribution_column(%s, 1)", (f"public.{t}",)).fetchone()[0]
                 for t in SOURCES}
        static = citus_support.shard_insert_takes_static_branch
        assert static(citus, dsn, "public.outbound_messages", shard["outbound_messages"],
                      "id, tenant_id, campaign_id, contact_id, channel, sent_at",
                      "-1, 1, 1, 5, 'email', '2026-11-02 10:00'")
        assert static(citus, dsn, "public.campaign_transitions", shard["campaign_transitions"],
                      "id, tenant_id, campaign_id, to_status, transitioned_at", "-1, 1, 1, 'running', '2026-11-02 09:00'")
        events = "id, tenant_id, message_id, event_type, occurred_at"
        assert static(citus, dsn, "public.message_events", shard["message_events"], events,
                      "-1, 1, -1, 'open', '2026-11-02 10:05'")
        assert static(citus, dsn, "public.message_events", shard["message_events"], events,
                      [f"{-2 - i}, 1, -1, '{('open', 'click', 'delivered')[i % 3]}', '2026-11-02 10:{10 + i:02d}'"
                       for i in range(40)])
        assert c.execute("SELECT count(*) FROM public.message_events WHERE message_id = -1").fetchone()[0] == 41
        assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
        _assert_exact(c)


@pytest.mark.parametrize("isolation", ["repeatable read", "serializable"])
def test_a_column_renamed_after_a_repeatable_read_snapshot_never_fails_a_write_on_a_shard(citus, cli, isolation):  # noqa: F811
    """As for reporting: a transaction whose snapshot on a worker predates a rename of a column
    capture reads (message_events.id), committed before its INSERT locks the shard, writes through
    (the column check reads the shard's row type, not pg_attribute through that snapshot; it did,
    and the INSERT failed); without a migration such a transaction's event is captured."""
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "messaging")
    assert res.returncode == 0, res.stderr
    citus_support.assert_rename_after_snapshot_writes_through(
        dsn, isolation, colocate_with="public.outbound_messages", key_type="bigint",
        insert="INSERT INTO public.message_events (tenant_id, message_id, event_type, occurred_at) VALUES (1, 1, 'open', now())",
        rename="ALTER TABLE public.message_events RENAME COLUMN id TO id_x",
        log="pgrollup_internal.msg_changes", module="messaging", named="message_events")


def test_messaging_exact_through_a_shard_move_and_a_worker_down(citus, cli):  # noqa: F811
    """The busiest tenant's shard group moves to the other worker while writers insert into it and a
    refresh runs, and every read equals its reference query afterwards. With a worker stopped,
    rollup_health names it and the refresh fails, is recorded, and leaves that worker's shards as
    they were while the other worker's advance; once it is back, the next refresh catches up."""
    rnd = random.Random(9)
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "messaging")
    assert res.returncode == 0, res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        wls = _workloads(c)
        _run(wls, rnd, 80)
        assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
        shard, host, port = _placement(c, 1)
        target = next(w for w in citus.workers if w.port != port)
        stop = threading.Event()
        errors = []

        def writer(seed):
            r = random.Random(seed)
            try:
                with psycopg.connect(dsn, autocommit=True) as w:
                    wl = TenantWorkload(w, tenants=(1,))
                    while not stop.is_set():
                        wl.apply((r.choice(["msg", "ev", "ev", "evbatch", "send", "tr"]), r.randrange(1000),
                                  r.randrange(1000), r.randrange(1000)))
            except Exception as exc:  # noqa: BLE001 - any failure fails the test below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(s,)) for s in (1, 2)]
        for t in threads:
            t.start()
        try:
            time.sleep(1)
            c.execute("SELECT citus_move_shard_placement(%s, %s, %s, '127.0.0.1', %s, shard_transfer_mode => 'force_logical')",
                      (shard, host, port, target.port))
            c.execute("SELECT status FROM pgrollup.refresh('messaging')")
            time.sleep(1)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert errors == []
        assert _placement(c, 1)[2] == target.port
        assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
        _assert_exact(c)

        # a worker down
        _run(wls, rnd, 80, admin=False)
        down = citus.workers[0]
        kept = [t for t in TENANTS if _placement(c, t)[2] != down.port]
        assert kept and len(kept) < len(TENANTS)
        assert c.execute("SELECT count(*) FROM pgrollup_internal.msg_changes WHERE tenant_id = ANY(%s)",
                         (kept,)).fetchone()[0] > 0
        citus.pause(down)
        try:
            level, alert, pending = c.execute("SELECT alert_level, alert, pending_changes FROM pgrollup.rollup_health "
                                              "WHERE module = 'messaging'").fetchone()
            assert level == "critical" and f"Citus node 127.0.0.1:{down.port} (" in alert, alert
            assert pending is None
            assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "failed"
            error = c.execute("SELECT error FROM pgrollup.refresh_runs WHERE module = 'messaging' "
                              "ORDER BY run_id DESC LIMIT 1").fetchone()[0]
            assert f"127.0.0.1:{down.port}" in error, error
            assert c.execute("SELECT count(*) FROM pgrollup_internal.msg_changes WHERE tenant_id = ANY(%s)",
                             (kept,)).fetchone()[0] == 0, error
        finally:
            citus.resume(down)
        assert c.execute("SELECT count(*) FROM pgrollup_internal.msg_changes").fetchone()[0] > 0
        assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
        _assert_exact(c)
        level, pending = c.execute("SELECT alert_level, pending_changes FROM pgrollup.rollup_health "
                                   "WHERE module = 'messaging'").fetchone()
        assert pending == 0 and level != "critical"
    res = cli("status", "--dsn", dsn)   # the failed run of the day is remembered, nothing else
    assert res.returncode == 1 and "1 failed refreshes in 24h" in res.stdout, res.stdout + res.stderr
    res = cli("uninstall", "--dsn", dsn, "--yes")
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("case", ["one local", "not colocated", "integer tenant"])
def test_messaging_layouts_it_cannot_capture_are_refused(citus, cli, case):  # noqa: F811
    dsn = {"one local": lambda: _source_db(citus, distribute=SOURCES[:2]),
           "not colocated": lambda: _source_db(citus, colocate=False),
           "integer tenant": lambda: _source_db(citus, ids="integer")}[case]()
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "messaging")
    assert res.returncode != 0
    assert res.stderr.count("\n") == 1 and "cannot install on Citus" in res.stderr, res.stderr
    assert {"one local": "campaign_transitions must be distributed by tenant_id",
            "not colocated": "must be colocated",
            "integer tenant": "tenant_id must be bigint"}[case] in res.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgrollup%'").fetchone()[0] == 0
        c.execute("INSERT INTO public.outbound_messages (tenant_id, contact_id, channel) VALUES (1, 1, 'email')")


def test_the_pg_cron_job_on_the_coordinator_refreshes_every_worker(citus, cli):  # noqa: F811
    """Installed with its pg_cron job (on the coordinator, every minute here), the refresh runs on
    every worker's shards with no call of ours: the change log empties and the views are exact."""
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--module", "messaging", "--cron", "* * * * *")
    assert res.returncode == 0, res.stderr
    assert "pg_cron job" in res.stdout, res.stdout
    with psycopg.connect(dsn, autocommit=True) as c:
        _run(_workloads(c), random.Random(4), 60)
        assert c.execute("SELECT count(*) FROM pgrollup_internal.msg_changes").fetchone()[0] > 0
        def state():
            return (c.execute("SELECT count(*) FROM pgrollup_internal.msg_changes").fetchone()[0],
                    c.execute("SELECT status FROM pgrollup.refresh_runs WHERE module = 'messaging' "
                              "ORDER BY run_id DESC LIMIT 1").fetchone()[0])
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and state() != (0, "ok"):
            time.sleep(2)
        assert state() == (0, "ok")
        _assert_exact(c)
    res = cli("uninstall", "--dsn", dsn, "--yes")   # the cluster's other tests share its pg_cron
    assert res.returncode == 0, res.stderr


@pytest.fixture
def citus_mdb(citus, cli):  # noqa: F811
    dsn = _source_db(citus)
    res = cli("install", "--dsn", dsn, "--no-schedule", "--module", "messaging")
    assert res.returncode == 0, res.stderr
    return dsn


@settings(max_examples=15, deadline=None, database=None, derandomize=True, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(st.sampled_from(TENANTS), st.sampled_from(ms.WRITE_OPS + ms.ADMIN_OPS),
                              st.integers(0, 999), st.integers(0, 999), st.integers(0, 999)),
                    min_size=10, max_size=40))
def test_property_incremental_matches_reference_on_citus(citus_mdb, ops):
    """The single-node property test (test_messaging_property) on a coordinator + 2 workers, every
    operation within its tenant: the sources emptied (TRUNCATE, restated on the workers), random
    writes, zone changes, refreshes and backfills, then every view and read function equals its
    reference query."""
    with psycopg.connect(citus_mdb, autocommit=True) as c:
        wls = _workloads(c)
        wls[TENANTS[0]].conn.execute("TRUNCATE public.outbound_messages, public.message_events, public.campaign_transitions")
        for t in TENANTS:
            c.execute("SELECT pgrollup.set_tenant_timezone(%s, NULL)", (t,))
        c.execute("SELECT pgrollup.refresh('messaging')")
        for tenant, kind, a, b, cc in ops:
            wls[tenant].apply((kind, a, b, cc))
        assert c.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchone()[0] == "ok"
        c.execute("DROP SCHEMA IF EXISTS ref CASCADE")
        c.execute("CREATE SCHEMA ref")
        for t in SOURCES:
            c.execute(f"CREATE TABLE ref.{t} AS SELECT * FROM public.{t}")
        ms.assert_exact(c, "ref")
        assert c.execute("SELECT count(*) FROM pgrollup_internal.msg_changes").fetchone()[0] == 0

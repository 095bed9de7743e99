"""Partitioned sources, completely: writes through the parent or straight into any partition,
partitions created or attached after install (empty or filled), and TRUNCATE, DETACH and DROP of a
partition are all reflected exactly after a refresh, for both modules; a partition capture does not
cover yet is reported by health until the refresh covers it."""
from __future__ import annotations

import pytest

from messaging_support import assert_exact
from reporting_support import REFERENCE_ROLLUPS, close

# ------------------------------------------------------------------------------------------ reporting

REPORTING_DDL = """
CREATE TABLE reporting_events (
    id bigserial, name varchar, value double precision, value_in_business_hours double precision,
    account_id integer, inbox_id integer, user_id integer, conversation_id integer,
    event_start_time timestamp, event_end_time timestamp,
    created_at timestamp NOT NULL, updated_at timestamp NOT NULL DEFAULT now(),
    PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);
CREATE TABLE reporting_events_2024_01 PARTITION OF reporting_events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE reporting_events_2024_02 PARTITION OF reporting_events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
"""

EVENTS = ["conversation_resolved", "first_response", "reply_time", "conversation_bot_handoff", "conversation_opened"]


def _rep_rows(conn, table, month, n, start=0):
    """n events into table (parent or partition) on days of the given 2024 month, accounts 1-3."""
    conn.execute(
        f"INSERT INTO {table} (name, value, value_in_business_hours, account_id, inbox_id, user_id, conversation_id, created_at) "
        "SELECT (%s::text[])[1 + (g %% 5)], g * 1.5, g * 0.5, 1 + (g %% 3), 10 + (g %% 2), 20 + (g %% 4), g %% 7, "
        "       make_timestamp(2024, %s::int, 1 + (g %% 27), g %% 24, 5, 0) "
        "  FROM generate_series(%s::int, %s::int) AS g", (EVENTS, month, start, start + n - 1))


def _rep_mismatches(conn):
    got = {r[:5]: r[5:] for r in conn.execute(
        "SELECT account_id, date, dimension_type, dimension_id, metric, count, sum_value, sum_value_business_hours "
        "FROM pgrollup.reporting_events_rollups").fetchall()}
    want = {r[:5]: r[5:] for r in conn.execute(REFERENCE_ROLLUPS.format(schema="public")).fetchall()}
    return sorted((k, got.get(k), want.get(k)) for k in set(got) | set(want)
                  if got.get(k) is None or want.get(k) is None
                  or not all(close(x, y) for x, y in zip(got[k], want[k])))[:5]


def _refresh_all(conn):
    rows = conn.execute("SELECT module, status FROM pgrollup.refresh()").fetchall()
    assert all(s == "ok" for _, s in rows), rows


def _health(conn, module):
    return conn.execute("SELECT alert_level, alert FROM pgrollup.rollup_health WHERE module = %s", (module,)).fetchone()


def _triggers(conn, rel):
    return sorted(r[0] for r in conn.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE 'pgrollup%%'", (rel,)).fetchall())


@pytest.fixture
def rdb(db):
    with db.connect() as conn:
        conn.execute(REPORTING_DDL)
    db.install(modules=["reporting"])
    with db.connect() as conn:
        for account, zone in ((1, "Asia/Kolkata"), (2, "America/St_Johns"), (3, "UTC")):
            conn.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, zone))
    return db


def test_reporting_partition_lifecycle_is_exact(rdb):
    with rdb.connect() as conn:
        _rep_rows(conn, "reporting_events", 1, 40)
        _rep_rows(conn, "reporting_events_2024_01", 1, 30, start=100)        # straight into a partition
        _rep_rows(conn, "reporting_events_2024_02", 2, 30, start=200)
        conn.execute("UPDATE reporting_events_2024_01 SET value = value + 1 WHERE id % 3 = 0")
        conn.execute("DELETE FROM reporting_events_2024_02 WHERE id % 5 = 0")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)

        # created after install: written through the parent and straight into it before any refresh
        conn.execute("CREATE TABLE reporting_events_2024_03 PARTITION OF reporting_events "
                     "FOR VALUES FROM ('2024-03-01') TO ('2024-04-01')")
        level, alert = _health(conn, "reporting")
        assert level == "critical" and "reporting_events_2024_03" in alert, alert
        _rep_rows(conn, "reporting_events", 3, 20, start=300)
        _rep_rows(conn, "reporting_events_2024_03", 3, 20, start=400)
        # a sub-partitioned partition (depth 2)
        conn.execute("CREATE TABLE reporting_events_2024_04 PARTITION OF reporting_events "
                     "FOR VALUES FROM ('2024-04-01') TO ('2024-05-01') PARTITION BY RANGE (created_at)")
        conn.execute("CREATE TABLE reporting_events_2024_04_a PARTITION OF reporting_events_2024_04 DEFAULT")
        _rep_rows(conn, "reporting_events_2024_04_a", 4, 20, start=500)
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        assert _triggers(conn, "reporting_events_2024_04_a") == [
            "pgrollup_partition_truncate", "pgrollup_reporting_delete", "pgrollup_reporting_insert", "pgrollup_reporting_update"]
        # covered from now on: direct writes are captured
        _rep_rows(conn, "reporting_events_2024_03", 3, 10, start=600)
        _rep_rows(conn, "reporting_events_2024_04_a", 4, 10, start=650)
        _refresh_all(conn)
        assert not _rep_mismatches(conn)

        # ATTACH of a filled table
        conn.execute("CREATE TABLE reporting_events_2024_05 (LIKE reporting_events INCLUDING DEFAULTS)")
        _rep_rows(conn, "reporting_events_2024_05", 5, 25, start=700)
        conn.execute("ALTER TABLE reporting_events ATTACH PARTITION reporting_events_2024_05 "
                     "FOR VALUES FROM ('2024-05-01') TO ('2024-06-01')")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)

        # TRUNCATE of one partition
        conn.execute("TRUNCATE reporting_events_2024_01")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)

        # DETACH of one: restated, and the detached table is no longer captured
        conn.execute("ALTER TABLE reporting_events DETACH PARTITION reporting_events_2024_02")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        assert _triggers(conn, "reporting_events_2024_02") == []

        # DROP of one
        conn.execute("DROP TABLE reporting_events_2024_03")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        assert _health(conn, "reporting")[0] == "ok", _health(conn, "reporting")
        assert conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups").fetchone()[0] > 0


def test_reporting_inheritance_children_are_covered_like_partitions(db):
    """Partitioning by inheritance (CREATE TABLE ... INHERITS, as older applications partition): the
    parent's reads, updates and deletes include its children, so capture covers them as it covers
    partitions. A child created after install is reported by health until the next refresh covers
    it; rows written into it before are restated, after that they are captured; an UPDATE through
    the parent, a TRUNCATE of a child, NO INHERIT and DROP of one are reflected exactly."""
    with db.connect() as conn:
        conn.execute(REPORTING_DDL.split(" PARTITION BY")[0].replace("PRIMARY KEY (id, created_at))", "PRIMARY KEY (id))") + ";")
        conn.execute("CREATE TABLE reporting_events_old () INHERITS (reporting_events)")
    db.install(modules=["reporting"])
    with db.connect() as conn:
        for account, zone in ((1, "Asia/Kolkata"), (2, "America/St_Johns"), (3, "UTC")):
            conn.execute("SELECT pgrollup.set_reporting_timezone(%s, %s)", (account, zone))
        assert _triggers(conn, "reporting_events_old") == [
            "pgrollup_partition_truncate", "pgrollup_reporting_delete", "pgrollup_reporting_insert", "pgrollup_reporting_update"]
        _rep_rows(conn, "reporting_events", 1, 30)
        _rep_rows(conn, "reporting_events_old", 1, 30, start=100)            # straight into a child
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        assert _health(conn, "reporting")[0] == "ok", _health(conn, "reporting")

        # a child created after install, written before the refresh covers it, then after
        conn.execute("CREATE TABLE reporting_events_2024_02 () INHERITS (reporting_events)")
        level, alert = _health(conn, "reporting")
        assert level == "critical" and "reporting_events_2024_02" in alert, alert
        _rep_rows(conn, "reporting_events_2024_02", 2, 20, start=200)
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        _rep_rows(conn, "reporting_events_2024_02", 2, 20, start=300)
        conn.execute("UPDATE reporting_events SET value = value + 1 WHERE id % 3 = 0")   # through the parent
        conn.execute("DELETE FROM reporting_events_old WHERE id % 5 = 0")
        conn.execute("CREATE TABLE reporting_events_2024_02_b () INHERITS (reporting_events_2024_02)")   # depth 2
        _rep_rows(conn, "reporting_events_2024_02_b", 2, 10, start=400)
        _refresh_all(conn)
        assert not _rep_mismatches(conn)

        conn.execute("TRUNCATE reporting_events_old")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        _rep_rows(conn, "reporting_events_old", 1, 15, start=500)
        conn.execute("TRUNCATE ONLY reporting_events")                         # the children keep theirs
        assert conn.execute("SELECT count(*) FROM reporting_events").fetchone()[0] > 0
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        # at REPEATABLE READ a child takes the full column check: captured all the same
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        _rep_rows(conn, "reporting_events_2024_02_b", 2, 5, start=450)
        conn.execute("COMMIT")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)

        # disinherited, then a column of it renamed before the refresh takes its triggers away:
        # writes to it go through (it no longer takes the table's check)
        conn.execute("ALTER TABLE reporting_events_2024_02_b NO INHERIT reporting_events_2024_02")
        conn.execute("ALTER TABLE reporting_events_2024_02_b RENAME COLUMN value TO value_x")
        conn.execute("INSERT INTO reporting_events_2024_02_b (name, account_id, created_at) "
                     "VALUES ('conversation_resolved', 1, '2024-02-03 10:00')")
        conn.execute("DELETE FROM pgrollup_internal.capture_failures")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        assert _triggers(conn, "reporting_events_2024_02_b") == []

        # a column renamed on the table (and so on its children): a write straight into a child,
        # in a session whose plans were made before, goes through and health names the column
        conn.execute("ALTER TABLE reporting_events RENAME COLUMN value_in_business_hours TO vbh")
        conn.execute("INSERT INTO reporting_events_old (name, account_id, created_at) "
                     "VALUES ('conversation_resolved', 1, '2024-01-03 10:00')")
        level, alert = _health(conn, "reporting")
        assert level == "critical" and "value_in_business_hours" in alert, alert
        conn.execute("ALTER TABLE reporting_events RENAME COLUMN vbh TO value_in_business_hours")
        conn.execute("SELECT pgrollup.backfill_reporting(1)")                   # the documented repair
        conn.execute("DELETE FROM pgrollup_internal.capture_failures")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        conn.execute("DROP TABLE reporting_events_2024_02")
        _refresh_all(conn)
        assert not _rep_mismatches(conn)
        assert _health(conn, "reporting")[0] == "ok", _health(conn, "reporting")
        assert conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups").fetchone()[0] > 0


# ------------------------------------------------------------------------------------------ messaging

MESSAGING_DDL = """
CREATE TABLE outbound_messages (id bigserial, tenant_id bigint NOT NULL, campaign_id bigint, contact_id bigint NOT NULL,
    channel text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz,
    PRIMARY KEY (id, tenant_id)) PARTITION BY LIST (tenant_id);
CREATE TABLE message_events (id bigserial, tenant_id bigint NOT NULL, message_id bigint NOT NULL, event_type text NOT NULL,
    occurred_at timestamptz NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, tenant_id)) PARTITION BY LIST (tenant_id);
CREATE INDEX ON message_events (message_id);
CREATE TABLE campaign_transitions (id bigserial, tenant_id bigint NOT NULL, campaign_id bigint NOT NULL, to_status text NOT NULL,
    transitioned_at timestamptz NOT NULL, PRIMARY KEY (id, tenant_id)) PARTITION BY LIST (tenant_id);
"""


def _partition(conn, table, tenant):
    conn.execute(f"CREATE TABLE {table}_t{tenant} PARTITION OF {table} FOR VALUES IN ({tenant})")


def _msg_rows(conn, tenant, n, om="outbound_messages", me="message_events", ct="campaign_transitions"):
    """n messages of a tenant with events, written to the given relations (parent or partitions)."""
    ids = [r[0] for r in conn.execute(
        f"INSERT INTO {om} (tenant_id, campaign_id, contact_id, channel, sent_at) "
        "SELECT %s, g %% 3, g %% 5, 'email', timestamptz '2024-03-09 10:00Z' + g * interval '47 minutes' "
        "  FROM generate_series(1, %s::int) g RETURNING id", (tenant, n)).fetchall()]
    conn.execute(
        f"INSERT INTO {me} (tenant_id, message_id, event_type, occurred_at) "
        "SELECT %s, m, (ARRAY['delivered', 'open', 'click', 'bounce', 'spam'])[1 + (m + k) %% 5], "
        "       timestamptz '2024-03-10 08:00Z' + (m * 13 + k * 29) * interval '1 minute' "
        "  FROM unnest(%s::bigint[]) AS m, generate_series(1, 3) AS k", (tenant, ids))
    conn.execute(f"INSERT INTO {ct} (tenant_id, campaign_id, to_status, transitioned_at) "
                 "VALUES (%s, 1, 'running', '2024-03-09 12:00Z')", (tenant,))
    return ids


@pytest.fixture
def mdb(db):
    with db.connect() as conn:
        conn.execute(MESSAGING_DDL)
        for table in ("outbound_messages", "message_events", "campaign_transitions"):
            for tenant in (1, 2):
                _partition(conn, table, tenant)
    db.install(modules=["messaging"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_tenant_timezone(2, 'Asia/Kolkata')")
    return db


def test_messaging_partition_lifecycle_is_exact(mdb):
    with mdb.connect() as conn:
        _msg_rows(conn, 1, 10)
        _msg_rows(conn, 2, 10, om="outbound_messages_t2", me="message_events_t2", ct="campaign_transitions_t2")
        conn.execute("UPDATE message_events_t1 SET event_type = 'opened' WHERE event_type = 'open'")
        _refresh_all(conn)
        assert_exact(conn)

        # created after install; written through the parents and straight into the partitions
        for table in ("outbound_messages", "message_events", "campaign_transitions"):
            _partition(conn, table, 3)
        level, alert = _health(conn, "messaging")
        assert level == "critical" and "outbound_messages_t3" in alert, alert
        _msg_rows(conn, 3, 5)
        _msg_rows(conn, 3, 5, om="outbound_messages_t3", me="message_events_t3", ct="campaign_transitions_t3")
        _refresh_all(conn)
        assert_exact(conn)
        _msg_rows(conn, 3, 4, om="outbound_messages_t3", me="message_events_t3", ct="campaign_transitions_t3")
        _refresh_all(conn)
        assert_exact(conn)

        # ATTACH of filled tables
        for table in ("outbound_messages", "message_events", "campaign_transitions"):
            conn.execute(f"CREATE TABLE {table}_t4 (LIKE {table} INCLUDING DEFAULTS)")
        _msg_rows(conn, 4, 6, om="outbound_messages_t4", me="message_events_t4", ct="campaign_transitions_t4")
        for table in ("outbound_messages", "message_events", "campaign_transitions"):
            conn.execute(f"ALTER TABLE {table} ATTACH PARTITION {table}_t4 FOR VALUES IN (4)")
        _refresh_all(conn)
        assert_exact(conn)

        # TRUNCATE of one partition of each table
        conn.execute("TRUNCATE message_events_t1")
        _refresh_all(conn)
        assert_exact(conn)
        conn.execute("TRUNCATE outbound_messages_t4")
        conn.execute("TRUNCATE campaign_transitions_t3")
        _refresh_all(conn)
        assert_exact(conn)

        # DETACH and DROP
        conn.execute("ALTER TABLE outbound_messages DETACH PARTITION outbound_messages_t2")
        _refresh_all(conn)
        assert_exact(conn)
        assert _triggers(conn, "outbound_messages_t2") == []
        conn.execute("DROP TABLE message_events_t3")
        _refresh_all(conn)
        assert_exact(conn)
        assert _health(conn, "messaging")[0] == "ok", _health(conn, "messaging")
        assert conn.execute("SELECT count(*) FROM pgrollup.metrics_tenant_daily").fetchone()[0] > 0


def test_messaging_inheritance_children_are_covered_like_partitions(db):
    """The same for messaging's three sources partitioned by inheritance: children before and after
    install, written directly, through the parent, truncated, disinherited and dropped."""
    tables = ("outbound_messages", "message_events", "campaign_transitions")
    with db.connect() as conn:
        conn.execute(MESSAGING_DDL.replace(" PARTITION BY LIST (tenant_id)", ""))
        for table in tables:
            conn.execute(f"CREATE TABLE {table}_t1 () INHERITS ({table})")
    db.install(modules=["messaging"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.set_tenant_timezone(2, 'Asia/Kolkata')")
        _msg_rows(conn, 1, 8, om="outbound_messages_t1", me="message_events_t1", ct="campaign_transitions_t1")
        _msg_rows(conn, 2, 8)
        conn.execute("UPDATE message_events SET event_type = 'opened' WHERE event_type = 'open'")   # children too
        _refresh_all(conn)
        assert_exact(conn)
        assert _health(conn, "messaging")[0] == "ok", _health(conn, "messaging")

        for table in tables:
            conn.execute(f"CREATE TABLE {table}_t3 () INHERITS ({table})")
        level, alert = _health(conn, "messaging")
        assert level == "critical" and "message_events_t3" in alert, alert
        _msg_rows(conn, 3, 5, om="outbound_messages_t3", me="message_events_t3", ct="campaign_transitions_t3")
        _refresh_all(conn)
        assert_exact(conn)
        _msg_rows(conn, 3, 4, om="outbound_messages_t3", me="message_events_t3", ct="campaign_transitions_t3")
        conn.execute("DELETE FROM message_events_t3 WHERE id % 4 = 0")
        _refresh_all(conn)
        assert_exact(conn)

        conn.execute("TRUNCATE message_events_t1")
        _refresh_all(conn)
        assert_exact(conn)
        conn.execute("ALTER TABLE outbound_messages_t3 NO INHERIT outbound_messages")
        _refresh_all(conn)
        assert_exact(conn)
        assert _triggers(conn, "outbound_messages_t3") == []
        conn.execute("DROP TABLE campaign_transitions_t1")
        _refresh_all(conn)
        assert_exact(conn)
        assert _health(conn, "messaging")[0] == "ok", _health(conn, "messaging")


def test_trigger_dropped_from_a_covered_partition_stays_critical_until_install(rdb):
    with rdb.connect() as conn:
        _refresh_all(conn)
        conn.execute("DROP TRIGGER pgrollup_reporting_insert ON reporting_events_2024_01")
        _rep_rows(conn, "reporting_events_2024_01", 1, 10)          # not captured
        _refresh_all(conn)                                            # does not hide the loss
        level, alert = _health(conn, "reporting")
        assert level == "critical" and "reporting_events_2024_01" in alert and "pgrollup_reporting_insert" in alert, alert
    rdb.install(modules=["reporting"])
    with rdb.connect() as conn:
        assert _health(conn, "reporting")[0] == "ok"
        for account in (1, 2, 3):
            conn.execute("SELECT pgrollup.backfill_reporting(%s)", (account,))
        assert not _rep_mismatches(conn)


def test_busy_partition_is_skipped_by_install_and_covered_by_a_later_refresh(db):
    with db.connect() as conn:
        conn.execute(REPORTING_DDL)
    with db.connect(autocommit=False) as app:
        # a long application transaction writing into one partition holds a lock CREATE TRIGGER needs
        app.execute("LOCK TABLE reporting_events_2024_02 IN ROW EXCLUSIVE MODE")
        result = db.install(modules=["reporting"])
        assert any("reporting_events_2024_02" in m for m in result.messages), result.messages
        with db.connect() as conn:
            conn.execute("SELECT pgrollup.set_reporting_timezone(1, 'UTC')")
            assert _triggers(conn, "reporting_events_2024_01") != []
            assert _triggers(conn, "reporting_events_2024_02") == []
            level, alert = _health(conn, "reporting")
            assert level == "critical" and "reporting_events_2024_02" in alert, alert
            _refresh_all(conn)                     # still busy: skipped, not failed
            assert _health(conn, "reporting")[0] == "critical"
        app.execute("INSERT INTO reporting_events_2024_02 (name, account_id, created_at) "
                    "VALUES ('conversation_resolved', 1, '2024-02-03 10:00')")
        app.commit()
    with db.connect() as conn:
        _refresh_all(conn)                         # covers it and restates what it holds
        assert _health(conn, "reporting")[0] == "ok", _health(conn, "reporting")
        assert not _rep_mismatches(conn)
        assert conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups").fetchone()[0] > 0

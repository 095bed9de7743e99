"""messaging: do no harm. Rows with a NULL where messaging needs a value are set aside (counted in
pgrollup_internal.rows_set_aside, health warning) instead of failing every refresh; the other
tenants stay exact; a fix of the row is captured and counted exactly. A column rename never fails
the application's statement: capture is skipped and recorded, health turns critical, and the
documented repair (rename back or reinstall, then backfill) restores exact rollups."""
from __future__ import annotations

import pytest
from psycopg import sql

from messaging_support import REFS, VIEW_COLS, _sorted, assert_exact, create_sources


@pytest.fixture
def mdb(db):
    create_sources(db)
    with db.connect() as conn:   # the application's table may lack the contract's NOT NULLs
        for table, cols in (("outbound_messages", ("tenant_id", "contact_id", "channel")),
                            ("message_events", ("message_id", "event_type", "occurred_at", "tenant_id")),
                            ("campaign_transitions", ("tenant_id", "campaign_id", "to_status", "transitioned_at"))):
            for c in cols:
                conn.execute(f"ALTER TABLE {table} ALTER COLUMN {c} DROP NOT NULL")
    db.install(modules=["messaging"])
    return db


def _refresh(conn):
    rows = conn.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchall()
    assert rows == [("ok",)], rows


def _message(conn, tenant, contact=1, channel="email", sent="2024-03-09 10:00:00", campaign=1):
    return conn.execute("INSERT INTO outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at) "
                        "VALUES (%s, %s, %s, %s, %s) RETURNING id", (tenant, campaign, contact, channel, sent)).fetchone()[0]


def _event(conn, message, etype="open", at="2024-03-10 08:00", tenant=1):
    return conn.execute("INSERT INTO message_events (tenant_id, message_id, event_type, occurred_at) "
                        "VALUES (%s, %s, %s, %s) RETURNING id", (tenant, message, etype, at)).fetchone()[0]


def _diff_tenants(conn, tenants):
    """Every view against its reference query, restricted to the given tenants."""
    problems = []
    with conn.transaction():
        conn.execute("SET LOCAL TimeZone = 'UTC'")
        for view, ref in REFS.items():
            got = _sorted(conn.execute(f"SELECT {VIEW_COLS[view]} FROM pgrollup.{view} WHERE tenant_id = ANY(%s)",
                                       (tenants,)).fetchall())
            want = _sorted(conn.execute(f"SELECT * FROM ({ref(sql.Identifier('public').as_string(conn))}) AS x "
                                        f"WHERE x.tenant_id = ANY(%s)", (tenants,)).fetchall())
            if got != want:
                problems.append(f"{view}: {got} vs {want}")
    return problems


def _health(conn):
    return conn.execute("SELECT alert_level, alert FROM pgrollup.rollup_health WHERE module = 'messaging'").fetchone()


def _set_aside(conn):
    return dict(conn.execute("SELECT reason, rows FROM pgrollup_internal.rows_set_aside "
                             "WHERE module = 'messaging'").fetchall())


def test_null_columns_are_set_aside_and_fixes_are_counted_exactly(mdb):
    with mdb.connect() as conn:
        _refresh(conn)
        good = [_message(conn, 1), _message(conn, 2, contact=5)]
        for m in good:
            _event(conn, m, "delivered", "2024-03-09 10:01")
        _refresh(conn)
        # bad rows, all in tenant 3 or without a tenant
        no_contact = _message(conn, 3, contact=None)
        _event(conn, no_contact, "open", "2024-03-10 09:00", tenant=3)
        no_tenant = _message(conn, None)
        no_channel = _message(conn, 3, channel=None)
        ok3 = _message(conn, 3, contact=7)
        no_time = _event(conn, ok3, "click", None, tenant=3)
        orphan = _event(conn, None, "open", "2024-03-10 09:00", tenant=3)
        _event(conn, ok3, None, "2024-03-10 09:00", tenant=3)        # NULL type: unmapped, counts toward nothing
        conn.execute("INSERT INTO campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                     "VALUES (3, 1, NULL, '2024-03-09 00:00')")
        # other tenants keep updating in the same refresh
        _event(conn, good[0], "open", "2024-03-10 07:00")
        _event(conn, good[1], "click", "2024-03-10 07:00")
        _refresh(conn)
        assert not _diff_tenants(conn, [1, 2])
        assert _set_aside(conn) == {
            "outbound_messages.contact_id is NULL": 1, "outbound_messages.tenant_id is NULL": 1,
            "outbound_messages.channel is NULL": 1, "message_events.occurred_at is NULL": 1,
            "message_events.message_id is NULL": 1, "campaign_transitions.to_status is NULL": 1}
        level, alert = _health(conn)
        assert level == "warning", alert
        assert "outbound_messages.contact_id is NULL" in alert and "backfill" in alert
        # the application fixes its rows: captured like any change, counted exactly
        conn.execute("UPDATE outbound_messages SET contact_id = 9 WHERE id = %s", (no_contact,))
        conn.execute("UPDATE outbound_messages SET tenant_id = 3 WHERE id = %s", (no_tenant,))
        conn.execute("UPDATE outbound_messages SET channel = 'sms' WHERE id = %s", (no_channel,))
        conn.execute("UPDATE message_events SET occurred_at = '2024-03-11 01:00' WHERE id = %s", (no_time,))
        conn.execute("UPDATE message_events SET message_id = %s WHERE id = %s", (ok3, orphan))
        conn.execute("UPDATE campaign_transitions SET to_status = 'running' WHERE to_status IS NULL")
        _refresh(conn)
        assert _set_aside(conn) == {}
        assert _health(conn)[0] == "ok"
        assert_exact(conn)


def test_backfill_sets_aside_and_stays_exact_for_the_rest(mdb):
    with mdb.connect() as conn:
        m = _message(conn, 1)
        _event(conn, m, "open", "2024-03-10 08:00")
        bad = _message(conn, 2, contact=None)
        _event(conn, None, "click", "2024-03-10 08:00")
        _refresh(conn)
        assert conn.execute("SELECT pgrollup.backfill_messaging()").fetchone()[0] >= 1
        assert conn.execute("SELECT pgrollup.backfill_messaging(2)").fetchone()[0] >= 1
        assert not _diff_tenants(conn, [1])
        assert _set_aside(conn) == {"outbound_messages.contact_id is NULL": 1, "message_events.message_id is NULL": 1}
        conn.execute("DELETE FROM outbound_messages WHERE id = %s", (bad,))
        conn.execute("DELETE FROM message_events WHERE message_id IS NULL")
        _refresh(conn)
        assert _set_aside(conn) == {}
        assert_exact(conn)


def test_renamed_column_never_fails_writes_and_is_critical_until_repaired(mdb, cli):
    with mdb.connect() as conn:
        m = _message(conn, 1)
        _event(conn, m, "delivered", "2024-03-09 10:05")
        _refresh(conn)
        conn.execute("ALTER TABLE message_events RENAME COLUMN occurred_at TO happened_at")
        # the application's writes go through
        conn.execute("INSERT INTO message_events (tenant_id, message_id, event_type, happened_at) "
                     "VALUES (1, %s, 'open', '2024-03-10 08:00')", (m,))
        conn.execute("INSERT INTO message_events (tenant_id, message_id, event_type, happened_at) "
                     "VALUES (1, %s, 'click', '2024-03-10 09:00')", (m,))
        conn.execute("UPDATE message_events SET event_type = 'opened' WHERE event_type = 'open'")
        conn.execute("DELETE FROM message_events WHERE event_type = 'click'")
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.capture_failures").fetchone()[0] >= 1
        level, alert = _health(conn)
        assert level == "critical", alert
        assert "happened_at" not in alert and "occurred_at" in alert and "backfill" in alert
    res = cli("status", "--dsn", mdb.dsn)
    assert res.returncode == 2, res.stdout + res.stderr
    with mdb.connect() as conn:
        conn.execute("ALTER TABLE message_events RENAME COLUMN happened_at TO occurred_at")
    mdb.install(modules=["messaging"])
    with mdb.connect() as conn:
        conn.execute("SELECT pgrollup.backfill_messaging()")
        _refresh(conn)
        assert conn.execute("SELECT count(*) FROM pgrollup_internal.capture_failures").fetchone()[0] == 0
        assert _health(conn)[0] == "ok", _health(conn)
        assert_exact(conn)


def test_materialized_view_mode_survives_null_columns(mdb):
    with mdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_messaging_mode('materialized_view')")
        good = _message(conn, 1)
        _event(conn, good, "open", "2024-03-10 08:00")
        bad = _message(conn, 3, contact=None)
        _event(conn, bad, "open", "2024-03-10 08:00", tenant=3)
        _event(conn, good, "click", None)
        _event(conn, None, "click", "2024-03-10 08:00")
        _refresh(conn)
        _refresh(conn)
        conn.execute("UPDATE outbound_messages SET contact_id = 4 WHERE id = %s", (bad,))
        conn.execute("DELETE FROM message_events WHERE occurred_at IS NULL OR message_id IS NULL")
        _refresh(conn)
        assert_exact(conn)

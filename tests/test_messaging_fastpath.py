"""messaging: the refresh's inserted-events path. When the only changes to a message since the last
refresh are INSERTed events, the refresh adds those events (read by id from the change log) to the
message's applied contribution instead of restating it from all its events; every other change
restates. Every rollup must stay equal to its reference query whichever path ran, including when
both kinds of change meet in one refresh, when a backfill or another restatement has already read
the new events, and with concurrent writers."""
from __future__ import annotations

import random
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from messaging_support import (ADMIN_OPS, INSERT_OPS, WRITE_OPS, Workload, assert_exact, create_sources,
                               random_ops)

PROFILE = dict(deadline=None, database=None, derandomize=True, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def mdb(db):
    create_sources(db)
    db.install(modules=["messaging"])
    return db


def _refresh(conn):
    rows = conn.execute("SELECT status FROM pgrollup.refresh('messaging')").fetchall()
    assert rows == [("ok",)], conn.execute("SELECT error FROM pgrollup.refresh_runs ORDER BY run_id DESC LIMIT 1").fetchone()


def _message(conn, tenant=1, campaign=1, contact=1, sent="2024-03-09 10:00:00"):
    return conn.execute("INSERT INTO outbound_messages (tenant_id, campaign_id, contact_id, channel, sent_at) "
                        "VALUES (%s, %s, %s, 'email', %s) RETURNING id", (tenant, campaign, contact, sent)).fetchone()[0]


def _events(conn, rows):
    """One INSERT statement of (message_id, event_type, occurred_at) rows; returns the new ids."""
    return [r[0] for r in conn.execute(
        "INSERT INTO message_events (tenant_id, message_id, event_type, occurred_at) "
        "SELECT 1, m, t, o::timestamptz FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS u(m, t, o) "
        "RETURNING id", ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])).fetchall()]


def _contrib_rows(conn, message_id):
    """msg_contrib rows of a message with their row versions (a restatement rewrites them all)."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT hour, ctid::text FROM pgrollup_internal.msg_contrib WHERE message_id = %s", (message_id,)).fetchall()}


def test_capture_logs_one_row_per_inserted_event_with_its_id(mdb):
    with mdb.connect() as conn:
        m1, m2 = _message(conn), _message(conn)
        _refresh(conn)
        ids = _events(conn, [(m1, "open", "2024-03-10 08:00"), (m2, "click", "2024-03-10 09:00"),
                             (m1, "delivered", "2024-03-10 07:00"), (m1, "spam", "2024-03-10 07:30")])
        log = conn.execute("SELECT message_id, event_id FROM pgrollup_internal.msg_changes "
                           "WHERE message_id IS NOT NULL AND event_ids IS NULL ORDER BY event_id").fetchall()
        # the unmapped 'spam' event is logged too (the writer does not look up the registry; the
        # refresh adds nothing for it)
        assert log == sorted([(m1, ids[0]), (m2, ids[1]), (m1, ids[2]), (m1, ids[3])], key=lambda r: r[1])
        conn.execute("UPDATE message_events SET occurred_at = occurred_at + interval '1 hour' WHERE id = %s", (ids[1],))
        # the update logs the message again, without event ids (it is restated, not added to)
        assert conn.execute("SELECT count(*) FILTER (WHERE event_id IS NULL AND event_ids IS NULL), count(*) "
                            "FROM pgrollup_internal.msg_changes "
                            "WHERE message_id = %s", (m2,)).fetchone() == (1, 2)
        _refresh(conn)
        assert_exact(conn)


def test_a_big_insert_logs_its_events_as_arrays(mdb):
    """Past the 16th row of a statement, inserted events are logged as rows of parallel message-id
    and event-id arrays (at most 65,536 events a row); events without a message or occurred_at
    keep a row each. Pending changes count every event; the refresh adds each one."""
    with mdb.connect() as conn:
        conn.execute("ALTER TABLE message_events ALTER COLUMN message_id DROP NOT NULL, "
                     "ALTER COLUMN occurred_at DROP NOT NULL")
        ms = [_message(conn, contact=k) for k in range(1, 41)]
        _refresh(conn)
        # 70,000 events: past 65,536 ids, so the arrays take at least two rows; every 1,000th has
        # no message, every 999th no occurred_at
        n = 70_000
        conn.execute("INSERT INTO message_events (tenant_id, message_id, event_type, occurred_at) "
                     "SELECT 1, CASE WHEN g %% 1000 = 0 THEN NULL ELSE (%s::bigint[])[1 + g %% 40] END, "
                     "       (ARRAY['delivered','open','click','opened','spam'])[1 + g %% 5], "
                     "       CASE WHEN g %% 999 = 0 THEN NULL "
                     "            ELSE '2024-03-09 10:00'::timestamptz + g * interval '7 seconds' END "
                     "FROM generate_series(1, %s) g", (ms, n))
        first, last = conn.execute("SELECT min(id), max(id) FROM message_events").fetchone()
        per_row, arrays, sizes, odd = conn.execute(
            "SELECT count(*) FILTER (WHERE message_ids IS NULL AND message_id IS NOT NULL AND event_id IS NOT NULL), "
            "       count(*) FILTER (WHERE message_ids IS NOT NULL), "
            "       array_agg(cardinality(message_ids) ORDER BY event_ids[1]) FILTER (WHERE message_ids IS NOT NULL), "
            "       count(*) FILTER (WHERE message_ids IS NULL AND (message_id IS NULL OR event_id IS NULL)) "
            "  FROM pgrollup_internal.msg_changes").fetchone()
        odd_rows = 70 + 70   # g % 1000 = 0 (70 events), g % 999 = 0 (70 events, none both)
        assert per_row == 16 and odd == odd_rows, (per_row, odd)
        assert arrays >= 2 and max(sizes) <= 65_536 and sum(sizes) == n - 16 - odd_rows, sizes
        # the arrays' positions pair each event with its message
        assert conn.execute(
            "SELECT count(*) FROM pgrollup_internal.msg_changes AS c, unnest(c.message_ids, c.event_ids) AS u(m, e) "
            "JOIN message_events AS x ON x.id = u.e AND x.message_id = u.m").fetchone()[0] == n - 16 - odd_rows
        assert conn.execute("SELECT pending_changes FROM pgrollup.rollup_health "
                            "WHERE module = 'messaging'").fetchone()[0] == n
        assert last - first + 1 == n
        rows = conn.execute("SELECT status, changes_applied FROM pgrollup.refresh('messaging')").fetchall()
        assert rows == [("ok", n)], rows
        # the events without a message or occurred_at (of mapped types) are set aside; the others
        # count (the reference queries read no such events, so they go before the comparison)
        aside = dict(conn.execute("SELECT reason, rows FROM pgrollup_internal.rows_set_aside "
                                  "WHERE module = 'messaging'").fetchall())
        want = conn.execute(
            "SELECT count(*) FILTER (WHERE e.message_id IS NULL), count(*) FILTER (WHERE e.occurred_at IS NULL) "
            "FROM message_events AS e JOIN pgrollup.message_event_metrics AS r ON r.event_type = e.event_type").fetchone()
        assert want[0] > 0 and want[1] > 0
        assert aside == {"message_events.message_id is NULL": want[0],
                         "message_events.occurred_at is NULL": want[1]}, aside
        conn.execute("DELETE FROM message_events WHERE occurred_at IS NULL")
        _refresh(conn)
        assert_exact(conn)
        # 16 rows exactly: all logged one per row; 17: the last one as an array of one
        for k in (16, 17):
            _events(conn, [(ms[j % 40], "open", "2024-03-11 10:00") for j in range(k)])
            assert conn.execute("SELECT count(*), coalesce(sum(cardinality(message_ids)), 0) "
                                "FROM pgrollup_internal.msg_changes").fetchone() == (16 + (k > 16), k - 16)
            _refresh(conn)
            assert_exact(conn)
        # past the 16th row only events without a message or occurred_at: no array row, a row each
        mixed = [(ms[j % 40], "open", "2024-03-12 10:00") for j in range(16)] + \
                [(None if j % 2 else ms[0], "open", None if j % 2 == 0 else "2024-03-12 11:00") for j in range(6)]
        ids = _events(conn, mixed)
        assert conn.execute("SELECT count(*), count(*) FILTER (WHERE message_ids IS NOT NULL), "
                            "       array_agg(event_id ORDER BY event_id) FILTER (WHERE message_id IS NULL) "
                            "FROM pgrollup_internal.msg_changes").fetchone() == (22, 0, ids[17::2])
        _refresh(conn)
        conn.execute("DELETE FROM message_events WHERE occurred_at IS NULL OR message_id IS NULL")
        _refresh(conn)
        assert_exact(conn)


def test_inserted_events_are_added_without_restating(mdb):
    with mdb.connect() as conn:
        m = _message(conn)
        _events(conn, [(m, "delivered", "2024-03-09 10:05"), (m, "open", "2024-03-09 12:00")])
        _refresh(conn)
        before = _contrib_rows(conn, m)
        _events(conn, [(m, "click", "2024-03-11 08:00")])
        _events(conn, [(m, "open", "2024-03-11 09:30"), (m, "open", "2024-03-11 09:30")])   # duplicates
        _refresh(conn)
        assert_exact(conn)
        after = _contrib_rows(conn, m)
        # rows of the hours the new events did not touch are the same row versions: not restated
        for hour, ctid in before.items():
            assert after[hour] == ctid, (hour, before, after)
        assert len(after) == len(before) + 2
        # an update of the message restates it: every contribution row is rewritten
        conn.execute("UPDATE outbound_messages SET contact_id = 2 WHERE id = %s", (m,))
        _refresh(conn)
        assert_exact(conn)
        again = _contrib_rows(conn, m)
        assert not set(again.items()) & set(after.items())


@pytest.mark.parametrize("metric", ["open", "click"])
def test_unique_counts_follow_the_earliest_event(mdb, metric):
    with mdb.connect() as conn:
        conn.execute("SELECT pgrollup.set_tenant_timezone(1, 'Asia/Kolkata')")
        m = _message(conn)
        n = _message(conn, contact=2)
        _refresh(conn)
        steps = [
            [(m, metric, "2024-03-10 12:00")],                                   # first one ever
            [(m, metric, "2024-03-10 15:00")],                                   # later: no move
            [(m, metric, "2024-03-09 20:00"), (m, metric, "2024-03-09 21:00")],  # earlier: moves (another day)
            [(m, metric, "2024-03-09 20:00")],                                   # equal to the first
            [(m, metric, "2024-03-09 19:10"), (n, metric, "2024-03-12 01:00")],  # earlier again, same local day
            [(m, "delivered", "2024-03-08 01:00"), (n, metric, "2024-03-11 23:59:59")],
        ]
        for rows in steps:
            _events(conn, rows)
            _refresh(conn)
            assert_exact(conn)
        col = "first_opened_at" if metric == "open" else "first_clicked_at"
        got = conn.execute(f"SELECT {col} AT TIME ZONE 'UTC' FROM pgrollup.metrics_message WHERE message_id = %s", (m,)).fetchone()[0]
        assert str(got) == "2024-03-09 19:10:00"


def test_inserts_mixed_with_other_changes_in_one_refresh(mdb):
    with mdb.connect() as conn:
        ms = [_message(conn, contact=k) for k in range(1, 7)]
        _events(conn, [(m, "open", "2024-03-09 11:00") for m in ms])
        _refresh(conn)
        # 0: inserted then updated; 1: inserted then deleted; 2: inserted, message sent later;
        # 3: inserted and message deleted; 4: inserted, event moved to another message; 5: insert only
        e = _events(conn, [(m, "open", "2024-03-09 09:00") for m in ms])
        conn.execute("UPDATE message_events SET occurred_at = '2024-03-12 00:00' WHERE id = %s", (e[0],))
        conn.execute("DELETE FROM message_events WHERE id = %s", (e[1],))
        conn.execute("UPDATE outbound_messages SET sent_at = '2024-03-09 08:00' WHERE id = %s", (ms[2],))
        conn.execute("DELETE FROM outbound_messages WHERE id = %s", (ms[3],))
        conn.execute("UPDATE message_events SET message_id = %s WHERE id = %s", (ms[5], e[4]))
        _events(conn, [(ms[5], "click", "2024-03-10 10:00")])
        _refresh(conn)
        assert_exact(conn)


def test_events_before_their_message(mdb):
    with mdb.connect() as conn:
        m = _message(conn)
        _refresh(conn)
        future = m + 1
        _events(conn, [(future, "open", "2024-03-10 10:00"), (m, "open", "2024-03-10 11:00")])
        _refresh(conn)
        assert_exact(conn)
        _events(conn, [(future, "click", "2024-03-10 12:00")])
        assert _message(conn, contact=3) == future
        _events(conn, [(future, "open", "2024-03-10 09:00")])
        _refresh(conn)
        assert_exact(conn)
        _events(conn, [(future, "open", "2024-03-10 08:00")])      # now an existing message: added
        _refresh(conn)
        assert_exact(conn)


def test_zone_change_with_inserted_events(mdb):
    with mdb.connect() as conn:
        ms = [_message(conn, tenant=t, contact=t) for t in (1, 1, 2)]
        _events(conn, [(m, "open", "2024-03-09 23:30") for m in ms])
        _refresh(conn)
        _events(conn, [(m, "open", "2024-03-09 22:45") for m in ms])
        conn.execute("SELECT pgrollup.set_tenant_timezone(1, 'Pacific/Chatham')")
        _events(conn, [(ms[0], "click", "2024-03-10 11:15")])
        _refresh(conn)
        assert_exact(conn)
        # a zone set but not yet applied when the events' log rows are consumed: restated
        _events(conn, [(ms[2], "click", "2024-03-10 11:15")])
        conn.execute("SELECT pgrollup.set_tenant_timezone(2, 'America/St_Johns')")
        _refresh(conn)
        assert_exact(conn)


def test_events_already_read_by_a_backfill_are_not_added_again(mdb):
    with mdb.connect() as conn:
        m = _message(conn)
        _events(conn, [(m, "open", "2024-03-09 11:00")])
        _refresh(conn)
        _events(conn, [(m, "open", "2024-03-09 10:00"), (m, "click", "2024-03-09 12:00")])
        # the backfill restates the message from source (new events included) and leaves the
        # change log pending; the next refresh must not add the events a second time
        conn.execute("SELECT pgrollup.backfill_messaging(1, '2024-03-09', '2024-03-09')")
        assert_exact(conn)
        _events(conn, [(m, "delivered", "2024-03-09 10:30")])
        _refresh(conn)
        assert_exact(conn)
        _events(conn, [(m, "open", "2024-03-08 10:00")])
        conn.execute("SELECT pgrollup.backfill_messaging()")      # full rebuild
        _refresh(conn)
        assert_exact(conn)


def test_truncate_and_unmapped_types(mdb):
    with mdb.connect() as conn:
        m = _message(conn)
        _events(conn, [(m, "open", "2024-03-09 11:00")])
        _refresh(conn)
        _events(conn, [(m, "spam", "2024-03-09 12:00"), (m, "bounce", "2024-03-09 13:00")])
        _refresh(conn)
        assert_exact(conn)
        _events(conn, [(m, "click", "2024-03-09 12:00")])
        conn.execute("TRUNCATE message_events")
        _events(conn, [(m, "click", "2024-03-09 14:00")])
        _refresh(conn)
        assert_exact(conn)


@pytest.mark.parametrize("size", [2, 20], ids=["rows", "arrays"])
@pytest.mark.parametrize("restated", [True, False], ids=["restated", "added"])
def test_event_committed_while_a_refresh_runs(mdb, restated, size):
    """An event committed after the refresh consumed the log but before it read the message's
    events: a restatement reads it (its still-pending log row must not add it again later); the
    inserted-events path reads only the events it consumed (the later one waits for the next run).
    With 20 events in the statement, 4 of them are pending as an array row."""
    with mdb.connect() as conn, mdb.connect() as other:
        m = _message(conn)
        _events(conn, [(m, "open", "2024-03-09 11:00")])
        _refresh(conn)
        if restated:
            conn.execute("UPDATE outbound_messages SET contact_id = 5 WHERE id = %s", (m,))
        else:
            _events(conn, [(m, "click", "2024-03-09 12:00")])
        # a transition in the same refresh; a trigger on its internal copy holds the refresh between
        # the consumption of the log and the reading of the messages' events
        conn.execute("INSERT INTO campaign_transitions (tenant_id, campaign_id, to_status, transitioned_at) "
                     "VALUES (1, 1, 'running', '2024-03-09 00:00')")
        conn.execute("CREATE FUNCTION pg_temp.pause() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$")
        conn.execute("CREATE TRIGGER pause BEFORE INSERT ON pgrollup_internal.msg_transitions "
                     "FOR EACH ROW EXECUTE FUNCTION pg_temp.pause()")
        other.execute("BEGIN")
        _events(other, [(m, "open", "2024-03-09 09:00"), (m, "click", "2024-03-09 09:30")]
                + [(m, ("open", "click", "delivered")[k % 3], f"2024-03-09 {k:02d}:15") for k in range(size - 2)])
        t = threading.Thread(target=lambda: (time.sleep(0.6), other.execute("COMMIT")))
        t.start()
        _refresh(conn)
        t.join()
        conn.execute("DROP TRIGGER pause ON pgrollup_internal.msg_transitions")
        pending = conn.execute("SELECT count(*) FILTER (WHERE event_id IS NOT NULL OR event_ids IS NOT NULL), count(*) "
                               "FROM pgrollup_internal.msg_changes").fetchone()
        rows = min(size, 16) + (size > 16)   # one log row per event, then one array row
        assert pending == ((0, rows) if restated else (rows, rows)), pending
        _refresh(conn)
        assert_exact(conn)


def test_concurrent_inserting_writers_and_refreshes(mdb):
    stop = threading.Event()
    errors = []
    with mdb.connect() as conn:
        w = Workload(conn, tenants=(1, 2))
        for op in random_ops(random.Random(3), 40, ["msg", "msg", "ev", "bulk"]):
            w.apply(op)
        _refresh(conn)

    def writer(seed, kinds):
        rng = random.Random(seed)
        try:
            with mdb.connect() as c:
                wl = Workload(c, tenants=(1, 2))
                while not stop.is_set():
                    op = random_ops(rng, 1, kinds)[0]
                    if rng.random() < 0.3:
                        with c.transaction():
                            wl.apply(op)
                            wl.apply(("evbatch", op[1], op[2] + 1, op[3]))
                    else:
                        wl.apply(op)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(f"writer {seed}: {exc!r}")

    def refresher():
        try:
            with mdb.connect() as c:
                n = 0
                while not stop.is_set():
                    if n % 7 == 6:
                        c.execute("SELECT pgrollup.backfill_messaging(1, '2024-03-09', '2024-03-11')")
                    else:
                        c.execute("SELECT pgrollup.refresh('messaging')")
                    n += 1
                    time.sleep(0.02)
        except Exception as exc:  # pragma: no cover
            errors.append(f"refresher: {exc!r}")

    threads = [threading.Thread(target=writer, args=(s, ["ev", "evbatch", "evbatch"])) for s in (1, 2, 3)]
    threads += [threading.Thread(target=writer, args=(4, WRITE_OPS)), threading.Thread(target=refresher)]
    for t in threads:
        t.start()
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with mdb.connect() as conn:
        _refresh(conn)
        assert_exact(conn)
        assert conn.execute("SELECT count(*) FROM pgrollup.refresh_runs WHERE status = 'failed'").fetchone()[0] == 0


def test_random_mixes_match_reference_after_every_refresh(mdb):
    """Differential: random operations, mostly inserted events of existing messages, with a
    refresh after each batch; every rollup equals its reference query after every refresh."""
    with mdb.connect() as conn:
        w = Workload(conn)

        @settings(max_examples=40, **PROFILE)
        @given(st.lists(st.lists(st.tuples(st.sampled_from(INSERT_OPS * 3 + WRITE_OPS + ADMIN_OPS),
                                           st.integers(0, 999), st.integers(0, 999), st.integers(0, 999)),
                                 min_size=1, max_size=12), min_size=2, max_size=5))
        def check(batches):
            w.reset()
            _refresh(conn)
            for batch in batches:
                for op in batch:
                    w.apply(op)
                _refresh(conn)
                assert_exact(conn)
        check()

"""A stand-in module registered straight into pgrollup_internal.modules, so the core engine
(locking, failure recording, health) is tested without depending on a real module."""

FAKE_MODULE_SQL = """
CREATE SCHEMA fake;
CREATE TABLE fake.applied (n integer);
CREATE TABLE fake.control (sleep_seconds double precision NOT NULL DEFAULT 0,
                           fail boolean NOT NULL DEFAULT false, pending bigint NOT NULL DEFAULT 0);
INSERT INTO fake.control DEFAULT VALUES;
CREATE FUNCTION fake.refresh() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE c record;
BEGIN
    SELECT * INTO c FROM fake.control;
    INSERT INTO fake.applied VALUES (1);          -- work that a failure must roll back
    PERFORM pg_sleep(c.sleep_seconds);
    IF c.fail THEN
        RAISE EXCEPTION 'injected failure' USING ERRCODE = 'XX001';
    END IF;
    UPDATE fake.control SET pending = 0;
    RETURN 7;
END $$;
CREATE FUNCTION fake.health() RETURNS TABLE(mode text, pending_changes bigint, stale_since timestamptz)
LANGUAGE sql AS $$ SELECT 'incremental', pending, CASE WHEN pending > 0 THEN now() - interval '3 hours' END FROM fake.control $$;
CREATE FUNCTION fake.noop() RETURNS void LANGUAGE sql AS $$ SELECT $$;
INSERT INTO pgrollup_internal.modules (module, refresh_function, health_function, attach_function, detach_function)
VALUES ('fake', 'fake.refresh', 'fake.health', 'fake.noop', 'fake.noop');
"""


def add_fake_module(db):
    with db.connect() as conn:
        conn.execute(FAKE_MODULE_SQL)


# The contract's shape of the support app's table, for installer tests that need a real module.
REPORTING_EVENTS_DDL = """
CREATE TABLE public.reporting_events (
    id bigserial PRIMARY KEY, name varchar, value double precision, value_in_business_hours double precision,
    account_id integer, inbox_id integer, user_id integer, conversation_id integer,
    event_start_time timestamp, event_end_time timestamp,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    updated_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'))
"""

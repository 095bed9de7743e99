-- depends: core_0001_init
-- pgrollup reporting module: metric registry, daily rollups per account timezone, handoff
-- presence (exact distinct conversations), account settings and the deferred-mode change log.

INSERT INTO pgrollup_internal.modules (module, refresh_function, health_function, attach_function, detach_function)
VALUES ('reporting', 'pgrollup_internal.reporting_refresh', 'pgrollup_internal.reporting_health',
        'pgrollup_internal.reporting_attach', 'pgrollup_internal.reporting_detach');

INSERT INTO pgrollup_internal.settings (name, value) VALUES ('reporting_mode', 'immediate');

CREATE TABLE pgrollup.event_metrics (
    event_name    text NOT NULL,
    rollup_metric text NOT NULL,
    payload_kind  text NOT NULL CHECK (payload_kind IN ('count', 'duration')),
    PRIMARY KEY (event_name, rollup_metric)
);
COMMENT ON TABLE pgrollup.event_metrics IS 'Registry mapping reporting_events.name to rollup metrics: the single source of truth of the write path, the backfill and both read paths. After editing it, run pgrollup.backfill_reporting() for each account to restate history.';
COMMENT ON COLUMN pgrollup.event_metrics.event_name IS 'Value of reporting_events.name; events whose name is not listed count toward nothing.';
COMMENT ON COLUMN pgrollup.event_metrics.rollup_metric IS 'Rollup metric the event feeds (reporting_events_rollups.metric). bot_handoffs_count counts distinct conversations.';
COMMENT ON COLUMN pgrollup.event_metrics.payload_kind IS 'count (sum_value stays 0) or duration (sum_value adds coalesce(value, 0), sum_value_business_hours adds coalesce(value_in_business_hours, 0)).';
INSERT INTO pgrollup.event_metrics (event_name, rollup_metric, payload_kind) VALUES
    ('conversation_resolved', 'resolutions_count', 'count'),
    ('conversation_resolved', 'resolution_time', 'duration'),
    ('first_response', 'first_response', 'duration'),
    ('reply_time', 'reply_time', 'duration'),
    ('conversation_bot_resolved', 'bot_resolutions_count', 'count'),
    ('conversation_bot_handoff', 'bot_handoffs_count', 'count');

CREATE TABLE pgrollup.reporting_events_rollups (
    account_id               bigint NOT NULL,
    date                     date NOT NULL,
    dimension_type           text NOT NULL CHECK (dimension_type IN ('account', 'agent', 'inbox')),
    dimension_id             bigint NOT NULL,
    metric                   text NOT NULL,
    count                    bigint NOT NULL,
    sum_value                double precision NOT NULL DEFAULT 0,
    sum_value_business_hours double precision NOT NULL DEFAULT 0,
    created_at               timestamptz NOT NULL DEFAULT pg_catalog.now(),
    updated_at               timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT reporting_events_rollups_key UNIQUE (account_id, date, dimension_type, dimension_id, metric)
);
CREATE INDEX reporting_events_rollups_metric_idx ON pgrollup.reporting_events_rollups (account_id, metric, date);
CREATE INDEX reporting_events_rollups_dimension_idx ON pgrollup.reporting_events_rollups (account_id, dimension_type, date);
COMMENT ON TABLE pgrollup.reporting_events_rollups IS 'Daily totals of reporting_events per account, local date (in the account''s reporting timezone), dimension and metric. Only accounts with a reporting timezone have rows; rows with count 0 do not exist. Maintained by pgrollup (immediate mode: current when the event''s transaction commits).';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.date IS 'Local date of created_at (UTC) in the account''s reporting timezone.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.dimension_type IS 'account, agent (reporting_events.user_id) or inbox (reporting_events.inbox_id).';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.dimension_id IS 'The account id, user id or inbox id.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.metric IS 'Rollup metric from pgrollup.event_metrics.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.count IS 'Number of events; for bot_handoffs_count the number of distinct non-NULL conversation_id.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.sum_value IS 'Sum of coalesce(value, 0) for duration metrics, 0 for count metrics.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.sum_value_business_hours IS 'Sum of coalesce(value_in_business_hours, 0) for duration metrics, 0 for count metrics.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.created_at IS 'When the row was first written.';
COMMENT ON COLUMN pgrollup.reporting_events_rollups.updated_at IS 'When the row was last changed.';

CREATE TABLE pgrollup_internal.reporting_handoffs (
    account_id      bigint NOT NULL,
    date            date NOT NULL,
    dimension_type  text NOT NULL,
    dimension_id    bigint NOT NULL,
    conversation_id bigint NOT NULL,
    events          bigint NOT NULL,
    PRIMARY KEY (account_id, dimension_type, date, dimension_id, conversation_id)   -- reads scan one dimension type over a date range
);
COMMENT ON TABLE pgrollup_internal.reporting_handoffs IS 'Presence of bot handoffs per account, local date, dimension and conversation: the rollup''s bot_handoffs_count is the number of rows per key, and reads over several days count distinct conversations here.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.date IS 'Local date in the account''s reporting timezone.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.dimension_type IS 'account, agent or inbox.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.dimension_id IS 'The account id, user id or inbox id.';
COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.conversation_id IS 'reporting_events.conversation_id (handoffs without a conversation count toward nothing).';
COMMENT ON COLUMN pgrollup_internal.reporting_handoffs.events IS 'Number of handoff events behind the row (the row is removed when it reaches 0).';

CREATE TABLE pgrollup_internal.reporting_accounts (
    account_id    bigint PRIMARY KEY,
    timezone      text,
    rollup_reads  boolean NOT NULL DEFAULT false,
    restated_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX reporting_accounts_timezone_idx ON pgrollup_internal.reporting_accounts (timezone);
COMMENT ON TABLE pgrollup_internal.reporting_accounts IS 'Reporting settings per account (set with pgrollup.set_reporting_timezone and pgrollup.set_rollup_reads); accounts without a row have no timezone and reads off.';
COMMENT ON COLUMN pgrollup_internal.reporting_accounts.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_accounts.timezone IS 'Canonical IANA reporting timezone; NULL = no rollups for the account.';
COMMENT ON COLUMN pgrollup_internal.reporting_accounts.rollup_reads IS 'Read-path flag: report functions may use rollups (default off). Writes do not depend on it.';
COMMENT ON COLUMN pgrollup_internal.reporting_accounts.restated_at IS 'When the account''s rollups were last rebuilt in full (timezone set or changed).';
COMMENT ON COLUMN pgrollup_internal.reporting_accounts.updated_at IS 'When the settings last changed.';

CREATE TYPE pgrollup_internal.reporting_delta AS (
    account_id      bigint,
    created_at      timestamptz,
    name            text,
    user_id         bigint,
    inbox_id        bigint,
    conversation_id bigint,
    value           double precision,
    value_bh        double precision,
    sign            integer
);
COMMENT ON TYPE pgrollup_internal.reporting_delta IS 'One captured reporting event change: the event''s relevant columns and +1 (now present) or -1 (no longer present).';

CREATE TABLE pgrollup_internal.reporting_changes (
    change_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    captured_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    account_id      bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    name            text NOT NULL,
    user_id         bigint,
    inbox_id        bigint,
    conversation_id bigint,
    value           double precision,
    value_bh        double precision,
    sign            integer NOT NULL
);
CREATE INDEX reporting_changes_account_idx ON pgrollup_internal.reporting_changes (account_id, created_at);
COMMENT ON TABLE pgrollup_internal.reporting_changes IS 'Deferred mode change log: append-only signed event rows, applied and removed by pgrollup.refresh(''reporting'').';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.change_id IS 'Log sequence number.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.captured_at IS 'Start of the writing transaction.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.created_at IS 'reporting_events.created_at as timestamptz.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.name IS 'reporting_events.name.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.user_id IS 'reporting_events.user_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.inbox_id IS 'reporting_events.inbox_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.conversation_id IS 'reporting_events.conversation_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.value IS 'reporting_events.value.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.value_bh IS 'reporting_events.value_in_business_hours.';
COMMENT ON COLUMN pgrollup_internal.reporting_changes.sign IS '+1 the event row now exists in this form, -1 it no longer does.';

CREATE UNLOGGED TABLE pgrollup_internal.reporting_pending (
    txid            xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    is_marker       boolean NOT NULL DEFAULT false,
    account_id      bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    name            text NOT NULL,
    user_id         bigint,
    inbox_id        bigint,
    conversation_id bigint,
    value           double precision,
    value_bh        double precision,
    sign            integer NOT NULL
);
CREATE INDEX reporting_pending_txid_idx ON pgrollup_internal.reporting_pending (txid);
-- every writing transaction inserts and deletes rows here: vacuum it often
ALTER TABLE pgrollup_internal.reporting_pending SET (autovacuum_vacuum_threshold = 10000, autovacuum_vacuum_scale_factor = 0);
COMMENT ON TABLE pgrollup_internal.reporting_pending IS 'Immediate mode: event rows captured by a writing transaction, applied to the rollups in one sorted batch when it commits (deferred constraint trigger on the transaction''s marker row) and removed. Rows are never visible to other sessions; unlogged (no WAL).';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.txid IS 'Writing transaction.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.is_marker IS 'True on the transaction''s first row: queues the commit-time flush.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.account_id IS 'reporting_events.account_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.created_at IS 'reporting_events.created_at as timestamptz.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.name IS 'reporting_events.name.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.user_id IS 'reporting_events.user_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.inbox_id IS 'reporting_events.inbox_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.conversation_id IS 'reporting_events.conversation_id.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.value IS 'reporting_events.value.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.value_bh IS 'reporting_events.value_in_business_hours.';
COMMENT ON COLUMN pgrollup_internal.reporting_pending.sign IS '+1 the event row now exists in this form, -1 it no longer does.';

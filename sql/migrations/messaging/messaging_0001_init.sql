-- depends: core_0001_init
-- pgrollup messaging module: registry, settings, change log, per-message state and bucket rollups.

INSERT INTO pgrollup_internal.modules (module, refresh_function, health_function, attach_function, detach_function)
VALUES ('messaging', 'pgrollup_internal.messaging_refresh', 'pgrollup_internal.messaging_health',
        'pgrollup_internal.messaging_attach', 'pgrollup_internal.messaging_detach')
ON CONFLICT (module) DO NOTHING;

INSERT INTO pgrollup_internal.settings (name, value) VALUES
    ('messaging.mode', 'incremental'),
    ('messaging.mode_since', pg_catalog.now()::text)
ON CONFLICT (name) DO NOTHING;

-- Registry of raw event types -> metrics (public, edited by users).
CREATE TABLE pgrollup.message_event_metrics (
    event_type  text PRIMARY KEY,
    metric      text NOT NULL CHECK (metric IN ('delivered', 'opens', 'clicks', 'bounces', 'unsubscribes'))
);
COMMENT ON TABLE pgrollup.message_event_metrics IS 'Maps raw message_events.event_type values to the metrics delivered, opens, clicks, bounces and unsubscribes; unmapped types count toward nothing. After editing it, run pgrollup.backfill_messaging() to restate history.';
COMMENT ON COLUMN pgrollup.message_event_metrics.event_type IS 'Raw event_type value as written by the application (exact, case-sensitive match).';
COMMENT ON COLUMN pgrollup.message_event_metrics.metric IS 'Metric the event counts toward: delivered, opens, clicks, bounces or unsubscribes.';
INSERT INTO pgrollup.message_event_metrics (event_type, metric) VALUES
    ('delivered', 'delivered'),
    ('open', 'opens'), ('opened', 'opens'),
    ('click', 'clicks'), ('clicked', 'clicks'),
    ('bounce', 'bounces'), ('bounced', 'bounces'),
    ('unsubscribe', 'unsubscribes'), ('unsubscribed', 'unsubscribes');

-- Tenant time zones (tenants without a row use UTC).
CREATE TABLE pgrollup_internal.msg_tenants (
    tenant_id   bigint PRIMARY KEY,
    timezone    text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE pgrollup_internal.msg_tenants IS 'messaging: time zone of each tenant (set with pgrollup.set_tenant_timezone); tenants without a row use UTC.';
COMMENT ON COLUMN pgrollup_internal.msg_tenants.tenant_id IS 'Tenant id (outbound_messages.tenant_id).';
COMMENT ON COLUMN pgrollup_internal.msg_tenants.timezone IS 'Canonical IANA time zone name.';
COMMENT ON COLUMN pgrollup_internal.msg_tenants.updated_at IS 'When the zone was last set.';

-- Append-only change log written by the capture triggers (and by set_tenant_timezone).
CREATE TABLE pgrollup_internal.msg_changes (
    change_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    captured_at    timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    message_id     bigint,
    transition_id  bigint,
    tenant_id      bigint,
    CHECK (pg_catalog.num_nonnulls(message_id, transition_id, tenant_id) <= 1)
);
COMMENT ON TABLE pgrollup_internal.msg_changes IS 'messaging change log (append-only): keys touched since the last refresh. A row with every key NULL asks for a full rebuild.';
COMMENT ON COLUMN pgrollup_internal.msg_changes.change_id IS 'Order of capture (not of commit).';
COMMENT ON COLUMN pgrollup_internal.msg_changes.captured_at IS 'When the change was captured (clock time in the writing transaction).';
COMMENT ON COLUMN pgrollup_internal.msg_changes.message_id IS 'A message whose row or events changed: its contribution is recomputed from source.';
COMMENT ON COLUMN pgrollup_internal.msg_changes.transition_id IS 'A campaign_transitions row that was inserted, updated or deleted.';
COMMENT ON COLUMN pgrollup_internal.msg_changes.tenant_id IS 'A tenant whose time zone changed: its whole history is restated.';

-- Per-message state: the last applied contribution of every existing message (also metrics_message).
CREATE TABLE pgrollup_internal.msg_state (
    message_id        bigint PRIMARY KEY,
    tenant_id         bigint NOT NULL,
    campaign_id       bigint,
    contact_id        bigint NOT NULL,
    channel           text NOT NULL,
    sent_at           timestamptz,
    timezone          text NOT NULL,
    delivered         bigint NOT NULL,
    opens             bigint NOT NULL,
    clicks            bigint NOT NULL,
    bounces           bigint NOT NULL,
    unsubscribes      bigint NOT NULL,
    first_opened_at   timestamptz,
    first_clicked_at  timestamptz
);
CREATE INDEX msg_state_tenant_idx ON pgrollup_internal.msg_state (tenant_id);
COMMENT ON TABLE pgrollup_internal.msg_state IS 'messaging: one row per existing message as of the last refresh: its dimensions, the zone its buckets were computed in, and its event counts.';
COMMENT ON COLUMN pgrollup_internal.msg_state.message_id IS 'outbound_messages.id.';
COMMENT ON COLUMN pgrollup_internal.msg_state.tenant_id IS 'Tenant of the message.';
COMMENT ON COLUMN pgrollup_internal.msg_state.campaign_id IS 'Campaign of the message (NULL: none).';
COMMENT ON COLUMN pgrollup_internal.msg_state.contact_id IS 'Contact of the message.';
COMMENT ON COLUMN pgrollup_internal.msg_state.channel IS 'Channel of the message.';
COMMENT ON COLUMN pgrollup_internal.msg_state.sent_at IS 'When the message was sent (NULL: not yet).';
COMMENT ON COLUMN pgrollup_internal.msg_state.timezone IS 'Tenant zone the message''s buckets (msg_contrib) were computed in.';
COMMENT ON COLUMN pgrollup_internal.msg_state.delivered IS 'Mapped delivered events.';
COMMENT ON COLUMN pgrollup_internal.msg_state.opens IS 'Mapped open events.';
COMMENT ON COLUMN pgrollup_internal.msg_state.clicks IS 'Mapped click events.';
COMMENT ON COLUMN pgrollup_internal.msg_state.bounces IS 'Mapped bounce events.';
COMMENT ON COLUMN pgrollup_internal.msg_state.unsubscribes IS 'Mapped unsubscribe events.';
COMMENT ON COLUMN pgrollup_internal.msg_state.first_opened_at IS 'Earliest open (where unique_opens counts).';
COMMENT ON COLUMN pgrollup_internal.msg_state.first_clicked_at IS 'Earliest click (where unique_clicks counts).';

-- Per-message contribution by local hour (and local date) in the message's zone.
CREATE TABLE pgrollup_internal.msg_contrib (
    message_id     bigint NOT NULL,
    hour           timestamptz NOT NULL,
    local_date     date NOT NULL,
    sends          bigint NOT NULL,
    delivered      bigint NOT NULL,
    opens          bigint NOT NULL,
    clicks         bigint NOT NULL,
    bounces        bigint NOT NULL,
    unsubscribes   bigint NOT NULL,
    unique_opens   bigint NOT NULL,
    unique_clicks  bigint NOT NULL,
    PRIMARY KEY (message_id, hour, local_date)
);
COMMENT ON TABLE pgrollup_internal.msg_contrib IS 'messaging: what each message contributes to each local hour of its tenant''s zone; the rollups are sums of these rows, so a message''s old contribution can be subtracted exactly when it changes.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.message_id IS 'outbound_messages.id.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.hour IS 'Start of the local hour (date_trunc(''hour'', ts, zone)).';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.local_date IS 'Local date of the contributing timestamps.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.sends IS 'Sends in this hour (0 or 1).';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.delivered IS 'Delivered events in this hour.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.opens IS 'Open events in this hour.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.clicks IS 'Click events in this hour.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.bounces IS 'Bounce events in this hour.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.unsubscribes IS 'Unsubscribe events in this hour.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.unique_opens IS '1 when the message''s earliest open is in this hour.';
COMMENT ON COLUMN pgrollup_internal.msg_contrib.unique_clicks IS '1 when the message''s earliest click is in this hour.';

-- Bucket rollups (incremental mode).
CREATE TABLE pgrollup_internal.msg_contact_hourly (
    tenant_id      bigint NOT NULL,
    contact_id     bigint NOT NULL,
    hour           timestamptz NOT NULL,
    channel        text NOT NULL,
    sends          bigint NOT NULL DEFAULT 0,
    delivered      bigint NOT NULL DEFAULT 0,
    opens          bigint NOT NULL DEFAULT 0,
    clicks         bigint NOT NULL DEFAULT 0,
    bounces        bigint NOT NULL DEFAULT 0,
    unsubscribes   bigint NOT NULL DEFAULT 0,
    unique_opens   bigint NOT NULL DEFAULT 0,
    unique_clicks  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, contact_id, hour, channel)
);
CREATE TABLE pgrollup_internal.msg_campaign_daily (
    tenant_id      bigint NOT NULL,
    campaign_id    bigint NOT NULL,
    date           date NOT NULL,
    sends          bigint NOT NULL DEFAULT 0,
    delivered      bigint NOT NULL DEFAULT 0,
    opens          bigint NOT NULL DEFAULT 0,
    clicks         bigint NOT NULL DEFAULT 0,
    bounces        bigint NOT NULL DEFAULT 0,
    unsubscribes   bigint NOT NULL DEFAULT 0,
    unique_opens   bigint NOT NULL DEFAULT 0,
    unique_clicks  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, campaign_id, date)
);
CREATE INDEX msg_campaign_daily_tenant_date_idx ON pgrollup_internal.msg_campaign_daily (tenant_id, date);
CREATE TABLE pgrollup_internal.msg_tenant_daily (
    tenant_id      bigint NOT NULL,
    date           date NOT NULL,
    sends          bigint NOT NULL DEFAULT 0,
    delivered      bigint NOT NULL DEFAULT 0,
    opens          bigint NOT NULL DEFAULT 0,
    clicks         bigint NOT NULL DEFAULT 0,
    bounces        bigint NOT NULL DEFAULT 0,
    unsubscribes   bigint NOT NULL DEFAULT 0,
    unique_opens   bigint NOT NULL DEFAULT 0,
    unique_clicks  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, date)
);
COMMENT ON TABLE pgrollup_internal.msg_contact_hourly IS 'messaging rollup (incremental mode): metrics per tenant, contact, local hour and channel; read through pgrollup.metrics_contact_hourly.';
COMMENT ON TABLE pgrollup_internal.msg_campaign_daily IS 'messaging rollup (incremental mode): metrics per tenant, campaign and local date; read through pgrollup.metrics_campaign_daily.';
COMMENT ON TABLE pgrollup_internal.msg_tenant_daily IS 'messaging rollup (incremental mode): metrics per tenant and local date; read through pgrollup.metrics_tenant_daily.';
COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.tenant_id IS 'Tenant.';
COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.contact_id IS 'Contact.';
COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.hour IS 'Start of the local hour in the tenant''s zone.';
COMMENT ON COLUMN pgrollup_internal.msg_contact_hourly.channel IS 'Channel.';
COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.tenant_id IS 'Tenant.';
COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.campaign_id IS 'Campaign.';
COMMENT ON COLUMN pgrollup_internal.msg_campaign_daily.date IS 'Local date in the tenant''s zone.';
COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.tenant_id IS 'Tenant.';
COMMENT ON COLUMN pgrollup_internal.msg_tenant_daily.date IS 'Local date in the tenant''s zone.';
DO $$
DECLARE
    v_table text;
    v_col text;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['msg_contact_hourly', 'msg_campaign_daily', 'msg_tenant_daily'] LOOP
        FOREACH v_col IN ARRAY ARRAY['sends', 'delivered', 'opens', 'clicks', 'bounces', 'unsubscribes', 'unique_opens', 'unique_clicks'] LOOP
            EXECUTE pg_catalog.format('COMMENT ON COLUMN pgrollup_internal.%I.%I IS %L', v_table, v_col,
                pg_catalog.format('Count of %s in the bucket.', v_col));
        END LOOP;
    END LOOP;
END;
$$;

-- Copy of campaign_transitions (incremental mode), for the per-date campaign status.
CREATE TABLE pgrollup_internal.msg_transitions (
    id               bigint PRIMARY KEY,
    tenant_id        bigint NOT NULL,
    campaign_id      bigint NOT NULL,
    transitioned_at  timestamptz NOT NULL,
    to_status        text NOT NULL
);
CREATE INDEX msg_transitions_lookup_idx ON pgrollup_internal.msg_transitions
    (tenant_id, campaign_id, transitioned_at DESC, id DESC) INCLUDE (to_status);
COMMENT ON TABLE pgrollup_internal.msg_transitions IS 'messaging (incremental mode): copy of the source campaign_transitions as of the last refresh; the campaign status of a local date is looked up here at read time.';
COMMENT ON COLUMN pgrollup_internal.msg_transitions.id IS 'campaign_transitions.id (breaks ties between equal transitioned_at).';
COMMENT ON COLUMN pgrollup_internal.msg_transitions.tenant_id IS 'Tenant.';
COMMENT ON COLUMN pgrollup_internal.msg_transitions.campaign_id IS 'Campaign.';
COMMENT ON COLUMN pgrollup_internal.msg_transitions.transitioned_at IS 'When the campaign entered to_status (UTC instant).';
COMMENT ON COLUMN pgrollup_internal.msg_transitions.to_status IS 'Status the campaign moved to.';

-- The first refresh after install builds everything from source.
INSERT INTO pgrollup_internal.msg_changes (message_id, transition_id, tenant_id) VALUES (NULL, NULL, NULL);

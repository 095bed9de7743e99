CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_capture_shard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_shard  integer;
    v_key    text;
    v_log    text;
    v_source text;
    v_read   jsonb;
    v_rows   bigint;
    v_odd    boolean;
    v_rest   boolean;
BEGIN
    -- Statement-level AFTER trigger (transition tables pgr_new / pgr_old) of outbound_messages,
    -- message_events and campaign_transitions when Citus distributes them by tenant_id. Citus
    -- copies it to every shard: it fires on the shard's node, once per statement that Citus runs on
    -- that shard (a COPY or an INSERT ... SELECT of many rows included), and appends the
    -- statement's changed keys, each with its tenant, to the change log's colocated shard there, a
    -- plain table on that node. Same rules as the single-node capture triggers: no lock, no shared
    -- row, no read of pgrollup's settings or registry; a column it reads that drifted lets the
    -- statement through (rollup_health, on the coordinator, reports the drift). It does nothing on
    -- the coordinator's tables, which hold no rows (Citus runs the statements on the shards).
    -- INSERT on a shard known when messaging_citus_bind_capture last ran: a static branch, planned
    -- once per session and shard, with the shard's column check folded into its cached plan
    -- (written in between these markers by pgrollup_internal.citus_bind_capture); one of
    -- message_events logs the statement's first 16 events and, when there may be more, leaves the
    -- rest to the general path below (v_rest)
    -- pgrollup:citus-shards-begin outbound_messages
    -- pgrollup:citus-shards-end outbound_messages
    -- pgrollup:citus-shards-begin message_events
    -- pgrollup:citus-shards-end message_events
    -- pgrollup:citus-shards-begin campaign_transitions
    -- pgrollup:citus-shards-end campaign_transitions
    IF v_rest THEN
        v_source := 'message_events';
    ELSE
    v_key := 'pgrollup.capture_log_' || TG_RELID::text;
    v_log := pg_catalog.current_setting(v_key, true);
    v_source := pg_catalog.regexp_replace(TG_TABLE_NAME, '_\d+$', '');
    v_read := CASE v_source
               WHEN 'outbound_messages' THEN '{"id": "id", "tenant_id": "id", "campaign_id": "id", "contact_id": "id", "channel": "text", "sent_at": "timestamp"}'
               WHEN 'message_events' THEN '{"id": "id", "tenant_id": "id", "message_id": "id", "event_type": "text", "occurred_at": "timestamp"}'
               ELSE '{"id": "id", "tenant_id": "id", "campaign_id": "id", "to_status": "text", "transitioned_at": "timestamp"}' END::jsonb;
    -- the columns it reads: from the relation cache at REPEATABLE READ and SERIALIZABLE (the
    -- transaction's snapshot can predate a migration that committed before this statement locked
    -- the shard, and the statements below are parsed against the columns as they are now; see
    -- citus_shard_columns_ok), otherwise from pg_attribute (a snapshot taken after the lock)
    IF pg_catalog.current_setting('transaction_isolation') IN ('repeatable read', 'serializable') THEN
        IF NOT pgrollup_internal.citus_shard_columns_ok(TG_RELID, v_read) THEN
            RETURN NULL;
        END IF;
    -- (int2, int4, int8 / and numeric, float4, float8 / text, varchar, bpchar, name / timestamp,
    -- timestamptz; when they do not match, the relation cache's check decides, which counts a
    -- domain as its base type)
    ELSIF (SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute AS a
         WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
           AND CASE WHEN a.attname = ANY (CASE v_source
                                               WHEN 'outbound_messages' THEN '{id,tenant_id,campaign_id,contact_id}'
                                               WHEN 'message_events' THEN '{id,tenant_id,message_id}'
                                               ELSE '{id,tenant_id,campaign_id}' END::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{21,23,20}'::pg_catalog.oid[])
                    WHEN a.attname = ANY (CASE v_source
                                               WHEN 'outbound_messages' THEN '{channel}'
                                               WHEN 'message_events' THEN '{event_type}'
                                               ELSE '{to_status}' END::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{25,1043,1042,19}'::pg_catalog.oid[])
                    WHEN a.attname = ANY (CASE v_source
                                               WHEN 'outbound_messages' THEN '{sent_at}'
                                               WHEN 'message_events' THEN '{occurred_at}'
                                               ELSE '{transitioned_at}' END::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{1114,1184}'::pg_catalog.oid[])
                    ELSE false END)
       <> (CASE v_source WHEN 'outbound_messages' THEN 6 ELSE 5 END) THEN
        IF NOT pgrollup_internal.citus_shard_columns_ok(TG_RELID, v_read) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- the log's shard colocated with this shard: looked up in Citus's metadata once per session
    -- and shard (a setting of the session), checked to exist at each use (a shard moved away or a
    -- re-install gives another name)
    IF v_log IS NULL OR v_log = '' OR pg_catalog.to_regclass(v_log) IS NULL THEN
        v_log := pgrollup_internal.citus_colocated_shard('pgrollup_internal.msg_changes', TG_TABLE_NAME);
        IF v_log IS NULL THEN
            RETURN NULL;   -- the coordinator's table, or no colocated log here: rollup_health says so
        END IF;
        PERFORM pg_catalog.set_config(v_key, v_log, false);
    END IF;
    END IF;
    IF v_source = 'outbound_messages' THEN
        IF TG_OP = 'INSERT' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id) SELECT n.tenant_id, n.id FROM pgr_new AS n';
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id) SELECT o.tenant_id, o.id FROM pgr_old AS o';
        ELSE
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id) '
                    'SELECT n.tenant_id, n.id FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id '
                    ' WHERE o.id IS NULL '
                    '    OR ROW(o.tenant_id, o.campaign_id, o.contact_id, o.channel, o.sent_at) '
                    '       IS DISTINCT FROM ROW(n.tenant_id, n.campaign_id, n.contact_id, n.channel, n.sent_at) '
                    'UNION '
                    'SELECT o.tenant_id, o.id FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id WHERE n.id IS NULL';
        END IF;
    ELSIF v_source = 'message_events' THEN
        -- as messaging_capture_event: one row per inserted event with its id; the messages of
        -- updated and deleted events are restated (whatever their type: the registry is a
        -- reference table, which a worker would read through Citus); events without a message
        -- as rows with message_id NULL and their ids
        IF TG_OP = 'INSERT' THEN
            IF v_rest IS NOT TRUE THEN   -- (else the static branch logged the first 16)
                EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id, event_id) '
                        'SELECT n.tenant_id, n.message_id, CASE WHEN n.message_id IS NULL OR n.occurred_at IS NOT NULL THEN n.id END '
                        '  FROM pgr_new AS n LIMIT 16';
                GET DIAGNOSTICS v_rows = ROW_COUNT;
            END IF;
            IF v_rows = 16 THEN
                -- past the 16th row, parallel arrays per tenant in one scan, then the events
                -- without a message, an id or occurred_at one row each when there are any (as in
                -- messaging_capture_event)
                EXECUTE 'WITH g AS ( '
                        '  SELECT r.tenant_id, pg_catalog.array_agg(r.message_id) FILTER (WHERE r.ok) AS message_ids, '
                        '         pg_catalog.array_agg(r.id) FILTER (WHERE r.ok) AS event_ids, pg_catalog.bool_or(NOT r.ok) AS odd '
                        '    FROM (SELECT n.tenant_id, n.message_id, n.id, '
                        '                 (n.message_id IS NOT NULL AND n.occurred_at IS NOT NULL AND n.id IS NOT NULL) AS ok '
                        '            FROM pgr_new AS n OFFSET 16) AS r '
                        '   GROUP BY r.tenant_id, r.id >> 16), '
                        'ins AS (INSERT INTO ' || v_log || ' (tenant_id, message_ids, event_ids) '
                        '        SELECT g.tenant_id, g.message_ids, g.event_ids FROM g WHERE g.event_ids IS NOT NULL) '
                        'SELECT pg_catalog.bool_or(g.odd) FROM g'
                   INTO v_odd;
                IF v_odd THEN
                    EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id, event_id) '
                            'SELECT r.tenant_id, r.message_id, CASE WHEN r.message_id IS NULL OR r.occurred_at IS NOT NULL THEN r.id END '
                            '  FROM (SELECT n.tenant_id, n.message_id, n.occurred_at, n.id FROM pgr_new AS n OFFSET 16) AS r '
                            ' WHERE r.message_id IS NULL OR r.occurred_at IS NULL OR r.id IS NULL';
                END IF;
            END IF;
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id, event_ids) '
                    'SELECT o.tenant_id, o.message_id, CASE WHEN o.message_id IS NULL THEN pg_catalog.array_agg(o.id) END '
                    '  FROM pgr_old AS o GROUP BY o.tenant_id, o.message_id';
        ELSE
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, message_id, event_ids) '
                    'SELECT x.tenant_id, x.message_id, CASE WHEN x.message_id IS NULL THEN pg_catalog.array_agg(x.id) END '
                    '  FROM (SELECT n.tenant_id, n.message_id, n.id FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id '
                    '         WHERE o.id IS NULL '
                    '            OR ROW(o.message_id, o.event_type, o.occurred_at) IS DISTINCT FROM ROW(n.message_id, n.event_type, n.occurred_at) '
                    '        UNION '
                    '        SELECT o.tenant_id, o.message_id, o.id FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id '
                    '         WHERE n.id IS NULL '
                    '            OR ROW(o.message_id, o.event_type, o.occurred_at) IS DISTINCT FROM ROW(n.message_id, n.event_type, n.occurred_at)) AS x '
                    ' GROUP BY x.tenant_id, x.message_id';
        END IF;
    ELSIF v_source = 'campaign_transitions' THEN
        IF TG_OP = 'INSERT' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, transition_id) SELECT n.tenant_id, n.id FROM pgr_new AS n';
        ELSIF TG_OP = 'DELETE' THEN
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, transition_id) SELECT o.tenant_id, o.id FROM pgr_old AS o';
        ELSE
            EXECUTE 'INSERT INTO ' || v_log || ' (tenant_id, transition_id) '
                    'SELECT n.tenant_id, n.id FROM pgr_new AS n LEFT JOIN pgr_old AS o ON o.id = n.id '
                    ' WHERE o.id IS NULL '
                    '    OR ROW(o.tenant_id, o.campaign_id, o.to_status, o.transitioned_at) '
                    '       IS DISTINCT FROM ROW(n.tenant_id, n.campaign_id, n.to_status, n.transitioned_at) '
                    'UNION '
                    'SELECT o.tenant_id, o.id FROM pgr_old AS o LEFT JOIN pgr_new AS n ON n.id = o.id WHERE n.id IS NULL';
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_capture_shard() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_capture_shard() IS 'Capture trigger function on the messaging sources distributed by Citus (statement level, transition tables pgr_new / pgr_old; Citus fires it on each shard a statement writes, on that shard''s node): appends the statement''s changed keys with their tenant to the colocated shard of the change log on that node (inserted events past the 16th of a statement as rows of parallel arrays per tenant); a drifted column lets the statement through.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_citus_queue(p_tenant_id bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Citus: asks the next refresh to restate one tenant (NULL: every tenant) from source, by logging
-- every key of it, applied (msg_state, msg_transitions, set-aside rows) or in source now (messages,
-- transitions, events without a message). The refresh of each shard group restates them where
-- they are; restatement is idempotent, so a key logged twice is harmless. Every statement is an
-- INSERT ... SELECT between tables colocated by tenant_id, which Citus runs on the shards (on one
-- shard when a tenant is given). Stands for the single-node full rebuild, whose request (a log row
-- without a tenant) a distributed log cannot hold.
DECLARE
    v_now   timestamptz := pg_catalog.clock_timestamp();
    v_total bigint := 0;
    v_n     bigint;
    v_key   record;
BEGIN
    FOR v_key IN
        SELECT * FROM (VALUES
            -- (log column, key, table, filter): messages, transitions and events without a
            -- message, as in source now and as applied or set aside
            ('message_id', 'x.id', '@source_schema@.outbound_messages', 'true'),
            ('message_id', 'x.message_id', 'pgrollup_internal.msg_state', 'true'),
            ('message_id', 'x.message_id', 'pgrollup_internal.msg_set_aside', 'x.message_id IS NOT NULL'),
            ('transition_id', 'x.id', '@source_schema@.campaign_transitions', 'true'),
            ('transition_id', 'x.id', 'pgrollup_internal.msg_transitions', 'true'),
            ('transition_id', 'x.row_id', 'pgrollup_internal.msg_set_aside', 'x.source_table = ''campaign_transitions'''),
            ('event_id', 'x.id', '@source_schema@.message_events', 'x.message_id IS NULL'),
            ('event_id', 'x.row_id', 'pgrollup_internal.msg_set_aside',
             'x.source_table = ''message_events'' AND x.message_id IS NULL')) AS k(col, id, tbl, filter)
    LOOP
        EXECUTE pg_catalog.format(
            'INSERT INTO pgrollup_internal.msg_changes (captured_at, tenant_id, %I) SELECT $1, x.tenant_id, %s FROM %s AS x '
            'WHERE %s AND ($2::bigint IS NULL OR x.tenant_id = $2)', v_key.col, v_key.id, v_key.tbl, v_key.filter)
          USING v_now, p_tenant_id;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_total := v_total + v_n;
    END LOOP;
    RETURN v_total;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_citus_queue(bigint) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_citus_queue(bigint) IS 'Citus: logs every key of one tenant (NULL: all), applied or in source now, so that the next refresh restates it on its shard group (colocated INSERT ... SELECT statements run on the shards); returns the rows logged. Stands for the single-node full rebuild.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_citus_truncate()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- TRUNCATE of a messaging source distributed by Citus fires this on the coordinator (Citus
    -- copies it to the workers, where pgrollup's coordinator tables are not and it does nothing):
    -- every key pgrollup holds is logged for restatement, in the TRUNCATE's transaction.
    IF pg_catalog.to_regclass('pgrollup_internal.modules') IS NULL
       OR pgrollup_internal.citus_placement(TG_RELID) IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM pgrollup_internal.messaging_citus_queue(NULL);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_citus_truncate() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_citus_truncate() IS 'Citus: TRUNCATE trigger of the distributed messaging sources (fires on the coordinator): logs every key pgrollup holds for restatement by the next refresh (pgrollup_internal.messaging_citus_queue).';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_refresh_node()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_shard bigint;
    v_map   jsonb;
    v_fn    text;
    v_total bigint := 0;
    v_fns   constant text[] := ARRAY['messaging_refresh_log()', 'messaging_add_events()', 'messaging_restate()',
                                     'messaging_by_key(text)', 'messaging_apply_delta()',
                                     'messaging_sync_transitions(bigint[], bigint, boolean)',
                                     'messaging_check_orphans(bigint[])'];
BEGIN
    -- Run on every Citus node (by pgrollup_internal.messaging_refresh_citus, in one transaction
    -- per node): for each shard of the change log placed here, the single-node incremental refresh
    -- (messaging_refresh_log and what it calls) runs as it is on that shard group's local shards
    -- (pgrollup_internal.citus_bind): the sources' shards, the state and rollup shards, the local
    -- replicas of the registry and of the tenant zones. Nothing leaves the node. Each shard's log
    -- is locked against a second refresh (SHARE UPDATE EXCLUSIVE: writers are not blocked). The
    -- set-aside summary is made on the coordinator. Returns the changes consumed.
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
    CREATE OR REPLACE FUNCTION pg_temp.pgrollup_messaging_note_set_aside() RETURNS bigint
        LANGUAGE sql SET search_path = pg_catalog, pg_temp AS 'SELECT 0::bigint';
    FOR v_shard IN
        EXECUTE $q$SELECT s.shardid FROM pg_catalog.pg_dist_shard AS s
                     JOIN pg_catalog.pg_dist_placement AS p ON p.shardid = s.shardid
                    WHERE s.logicalrelid = 'pgrollup_internal.msg_changes'::pg_catalog.regclass
                      AND p.groupid = (SELECT g.groupid FROM pg_catalog.pg_dist_local_group AS g)
                    ORDER BY s.shardid$q$
    LOOP
        v_map := pgrollup_internal.citus_shard_map(v_shard)
                 || '{"pgrollup_internal.messaging_note_set_aside": "pg_temp.pgrollup_messaging_note_set_aside"}'::jsonb;
        FOREACH v_fn IN ARRAY v_fns LOOP
            v_map := v_map || pg_catalog.jsonb_build_object('pgrollup_internal.' || pg_catalog.split_part(v_fn, '(', 1),
                                                            'pg_temp.pgrollup_' || pg_catalog.split_part(v_fn, '(', 1));
        END LOOP;
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE',
                                  v_map ->> 'pgrollup_internal.msg_changes');
        FOREACH v_fn IN ARRAY v_fns LOOP
            PERFORM pgrollup_internal.citus_bind(('pgrollup_internal.' || v_fn)::regprocedure, v_map,
                                                 'pgrollup_' || pg_catalog.split_part(v_fn, '(', 1));
        END LOOP;
        v_total := v_total + pg_temp.pgrollup_messaging_refresh_log();
    END LOOP;
    RETURN v_total;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh_node() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_refresh_node() IS 'Citus: refreshes the messaging shards placed on this node (the single-node incremental refresh bound to each shard group''s local shards, see pgrollup_internal.citus_bind); returns the changes consumed.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_refresh_citus()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_res    record;
    v_total  bigint;
    v_failed text;
BEGIN
    -- Coordinator side of the Citus refresh: every node refreshes the shards it holds, in parallel,
    -- each in its own transaction (a node that fails or is down leaves its shards' log and rollups
    -- as they were, and the others still advance); the coordinator's own placements, if any, here.
    -- Then the rows set aside on every shard are summarized into rows_set_aside. A failure is
    -- raised after the others finished (the summary then stays as it was): the run is recorded as
    -- failed and retried by the next one.
    v_total := pgrollup_internal.messaging_refresh_node();
    FOR v_res IN EXECUTE
        'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers('
        '''SELECT pgrollup_internal.messaging_refresh_node()'', true)'
    LOOP
        IF NOT v_res.success THEN
            v_failed := pg_catalog.concat_ws('; ', v_failed,
                                             pg_catalog.format('%s:%s: %s', v_res.nodename, v_res.nodeport, v_res.result));
            CONTINUE;
        END IF;
        v_total := v_total + v_res.result::bigint;
    END LOOP;
    IF v_failed IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '58000',
            MESSAGE = 'messaging: refresh failed on ' || v_failed,
            HINT = 'The other nodes'' shards were refreshed; the failed ones keep their change log for the next refresh.';
    END IF;
    -- the set-aside summary (every node answered): grouped on the shards, kept on the coordinator
    PERFORM pgrollup_internal.messaging_note_set_aside();
    -- shards created since the last bind (a shard split) get their static capture branch
    PERFORM pgrollup_internal.citus_rebind_capture('messaging', 'pgrollup_internal.messaging_citus_bind_capture()');
    RETURN v_total;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_refresh_citus() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_refresh_citus() IS 'Citus: refresh of the messaging module from the coordinator: pgrollup_internal.messaging_refresh_node() on every node in parallel (one transaction per node), then the set-aside summary; raises after the others finished when a node failed; then writes the capture branches of shards created since the last bind (citus_rebind_capture).';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_citus_bind_capture()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema  text := (SELECT m.source_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging');
    v_source  regclass;
    v_changed boolean := false;
    v_bind    record;
BEGIN
    -- The static INSERT branch of each shard of the three sources in messaging_capture_shard (see
    -- pgrollup_internal.citus_bind_capture): the statements of its general path, into the change
    -- log's colocated shard; for message_events the first 16 events of the statement, the rest
    -- (when there may be more) left to the general path. Returns whether the function changed.
    FOR v_bind IN
        SELECT * FROM (VALUES
            ('outbound_messages',
             'INSERT INTO %1$s (tenant_id, message_id) SELECT n.tenant_id, n.id FROM pgr_new AS n; RETURN NULL;'),
            ('message_events',
             'INSERT INTO %1$s (tenant_id, message_id, event_id) '
             'SELECT n.tenant_id, n.message_id, CASE WHEN n.message_id IS NULL OR n.occurred_at IS NOT NULL THEN n.id END '
             'FROM pgr_new AS n LIMIT 16; '
             'GET DIAGNOSTICS v_rows = ROW_COUNT; '
             'IF v_rows < 16 THEN RETURN NULL; END IF; '
             'v_log := %2$s; v_rest := true;'),
            ('campaign_transitions',
             'INSERT INTO %1$s (tenant_id, transition_id) SELECT n.tenant_id, n.id FROM pgr_new AS n; RETURN NULL;')
        ) AS b (source, insert)
    LOOP
        v_source := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, v_bind.source));
        IF v_source IS NULL OR pgrollup_internal.citus_placement(v_source) IS DISTINCT FROM 'a Citus distributed table (by tenant_id)' THEN
            CONTINUE;
        END IF;
        v_changed := pgrollup_internal.citus_bind_capture(
            'pgrollup_internal.messaging_capture_shard()'::pg_catalog.regprocedure, 'messaging', v_source,
            'pgrollup_internal.msg_changes'::pg_catalog.regclass, v_bind.insert) OR v_changed;
    END LOOP;
    RETURN v_changed;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_citus_bind_capture() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_citus_bind_capture() IS 'Citus: writes the static INSERT branch of every shard of outbound_messages, message_events and campaign_transitions into pgrollup_internal.messaging_capture_shard (pgrollup_internal.citus_bind_capture); called by the Citus layout at install and by each refresh (a no-op unless shards changed). Returns whether the function changed.';

CREATE OR REPLACE FUNCTION pgrollup_internal.messaging_citus_layout()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema text;
    v_table  text;
    v_source regclass;
    v_first  regclass;
    v_queue  boolean := false;
BEGIN
    -- Follows the messaging sources onto Citus once they are distributed by tenant_id (colocated,
    -- tenant_id bigint): the per-tenant tables (change log, per-message state and contributions,
    -- transition copy, set-aside rows, bucket rollups) become distributed tables colocated with
    -- them, every unique key holding tenant_id; the registry and the tenant zones reference tables;
    -- capture becomes statement-level triggers that Citus fires on each shard, next to the log's
    -- shard. The first time, the incremental state is emptied and every key logged, so that the
    -- next refresh builds it on the workers. Idempotent.
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'messaging';
    FOREACH v_table IN ARRAY '{outbound_messages,message_events,campaign_transitions}'::text[] LOOP
        v_source := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, v_table));
        IF pgrollup_internal.citus_placement(v_source) IS DISTINCT FROM 'a Citus distributed table (by tenant_id)'
           OR (SELECT a.atttypid FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = v_source AND a.attname = 'tenant_id') IS DISTINCT FROM 'pg_catalog.int8'::regtype THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = pg_catalog.format('messaging: %s is not a Citus table distributed by a bigint tenant_id', v_source);
        END IF;
        IF v_first IS NULL THEN
            v_first := v_source;
        ELSIF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition AS a, pg_catalog.pg_dist_partition AS b
                           WHERE a.logicalrelid = v_first AND b.logicalrelid = v_source AND a.colocationid = b.colocationid) THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = pg_catalog.format('messaging: %s is not colocated with %s', v_source, v_first);
        END IF;
    END LOOP;
    IF pgrollup_internal.messaging_mode() <> 'incremental' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'messaging: materialized_view mode is not supported on Citus',
            HINT = 'SELECT pgrollup.set_messaging_mode(''incremental'') before the sources are distributed.';
    END IF;
    -- Citus refuses any trigger DDL on a distributed table without this (transaction-local)
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    -- one connection per node for the DDL below, whatever ran before in the transaction
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM pgrollup_internal.messaging_detach();
    DELETE FROM pgrollup_internal.capture_triggers AS c WHERE c.module = 'messaging';
    -- declared for the core, which creates them on the sources (attach_capture, below) and reports
    -- them missing or disabled in rollup_health. INSERT, UPDATE and DELETE fire on each shard;
    -- TRUNCATE fires on the coordinator.
    INSERT INTO pgrollup_internal.capture_triggers
           (module, table_name, trigger_name, event, function_name, old_table, new_table, modes, root_only)
    SELECT 'messaging', s.tbl, t.name, t.event,
           CASE WHEN t.event = 'TRUNCATE' THEN 'pgrollup_internal.messaging_citus_truncate' ELSE 'pgrollup_internal.messaging_capture_shard' END,
           t.old_table, t.new_table, ARRAY['incremental'], true
      FROM (VALUES ('outbound_messages'), ('message_events'), ('campaign_transitions')) AS s(tbl)
     CROSS JOIN (VALUES ('pgrollup_messaging_insert', 'INSERT', NULL, 'pgr_new'),
                        ('pgrollup_messaging_update', 'UPDATE', 'pgr_old', 'pgr_new'),
                        ('pgrollup_messaging_delete', 'DELETE', 'pgr_old', NULL),
                        ('pgrollup_messaging_truncate', 'TRUNCATE', NULL, NULL)) AS t(name, event, old_table, new_table);
    UPDATE pgrollup_internal.modules AS m
       SET slices_function = NULL, restate_function = NULL
     WHERE m.module = 'messaging';
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_changes'::regclass) IS NULL THEN
        -- the state is rebuilt on the workers from every key logged below
        TRUNCATE pgrollup_internal.msg_changes, pgrollup_internal.msg_state, pgrollup_internal.msg_contrib,
                 pgrollup_internal.msg_transitions, pgrollup_internal.msg_set_aside,
                 pgrollup_internal.msg_contact_hourly, pgrollup_internal.msg_campaign_daily,
                 pgrollup_internal.msg_tenant_daily;
        DELETE FROM pgrollup_internal.rows_set_aside AS r WHERE r.module = 'messaging';
        -- every unique key holds the distribution column
        ALTER TABLE pgrollup_internal.msg_state DROP CONSTRAINT msg_state_pkey,
            ADD CONSTRAINT msg_state_pkey PRIMARY KEY (message_id, tenant_id);
        ALTER TABLE pgrollup_internal.msg_contrib DROP CONSTRAINT msg_contrib_pkey,
            ADD CONSTRAINT msg_contrib_pkey PRIMARY KEY (message_id, hour, local_date, tenant_id);
        ALTER TABLE pgrollup_internal.msg_transitions DROP CONSTRAINT msg_transitions_pkey,
            ADD CONSTRAINT msg_transitions_pkey PRIMARY KEY (id, tenant_id);
        ALTER TABLE pgrollup_internal.msg_set_aside ALTER COLUMN tenant_id SET NOT NULL,
            DROP CONSTRAINT msg_set_aside_pkey,
            ADD CONSTRAINT msg_set_aside_pkey PRIMARY KEY (source_table, row_id, reason, tenant_id);
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup.message_event_metrics'::regclass) IS NULL THEN
        PERFORM pg_catalog.create_reference_table('pgrollup.message_event_metrics');
        PERFORM pg_catalog.truncate_local_data_after_distributing_table('pgrollup.message_event_metrics');
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup_internal.msg_tenants'::regclass) IS NULL THEN
        PERFORM pg_catalog.create_reference_table('pgrollup_internal.msg_tenants');
        PERFORM pg_catalog.truncate_local_data_after_distributing_table('pgrollup_internal.msg_tenants');
    END IF;
    FOREACH v_table IN ARRAY '{msg_changes,msg_state,msg_contrib,msg_transitions,msg_set_aside,msg_contact_hourly,msg_campaign_daily,msg_tenant_daily}'::text[] LOOP
        IF pgrollup_internal.citus_placement(pg_catalog.format('pgrollup_internal.%I', v_table)::regclass) IS NULL THEN
            PERFORM pg_catalog.create_distributed_table(pg_catalog.format('pgrollup_internal.%I', v_table),
                                                        'tenant_id', colocate_with => v_first::text);
            v_queue := v_queue OR v_table = 'msg_changes';
        END IF;
    END LOOP;
    IF v_queue THEN
        PERFORM pgrollup_internal.messaging_citus_queue(NULL);   -- the first build, on the workers
    END IF;
    -- the code each node runs (the capture trigger's function follows its trigger)
    PERFORM pg_catalog.create_distributed_function(f::pg_catalog.regprocedure)
       FROM pg_catalog.unnest(ARRAY['pgrollup_internal.utc(timestamp without time zone)', 'pgrollup_internal.utc(timestamp with time zone)',
                               'pgrollup_internal.citus_shard_map(bigint)', 'pgrollup_internal.citus_bind(regprocedure, jsonb, text)',
                               'pgrollup_internal.citus_colocated_shard(regclass, name)',
                               'pgrollup_internal.base_type(oid)', 'pgrollup_internal.kind_accepts(text, oid)',
                               'pgrollup_internal.citus_shard_columns_ok(regclass, jsonb)',
                               'pgrollup_internal.citus_shard_columns_folded(regclass, jsonb)',
                               'pgrollup_internal.messaging_keys_table()', 'pgrollup_internal.messaging_refresh_log()',
                               'pgrollup_internal.messaging_add_events()', 'pgrollup_internal.messaging_restate()',
                               'pgrollup_internal.messaging_by_key(text)', 'pgrollup_internal.messaging_apply_delta()',
                               'pgrollup_internal.messaging_sync_transitions(bigint[], bigint, boolean)',
                               'pgrollup_internal.messaging_check_orphans(bigint[])',
                               'pgrollup_internal.messaging_refresh_node()']) AS f
      WHERE pg_catalog.to_regprocedure(f) IS NOT NULL;
    -- the campaign status of each date by a plain join on tenant_id (the latest transition before
    -- the end of the date, by DISTINCT ON), not by a LATERAL lookup: Citus routes a read filtered
    -- on one tenant to one shard only when every distributed table is joined on the distribution
    -- column, and it does not route the LATERAL form. Same columns, same rows.
    CREATE OR REPLACE VIEW pgrollup_internal.msg_inc_campaign_daily AS
    SELECT DISTINCT ON (r.tenant_id, r.campaign_id, r.date)
           r.tenant_id, r.campaign_id, r.date,
           r.sends, r.delivered, r.opens, r.clicks, r.bounces, r.unsubscribes, r.unique_opens, r.unique_clicks,
           t.to_status AS status
      FROM pgrollup_internal.msg_campaign_daily AS r
      LEFT JOIN pgrollup_internal.msg_tenants AS z ON z.tenant_id = r.tenant_id
      LEFT JOIN pgrollup_internal.msg_transitions AS t
        ON t.tenant_id = r.tenant_id AND t.campaign_id = r.campaign_id
       AND t.transitioned_at < ((r.date + 1)::timestamp AT TIME ZONE COALESCE(z.timezone, 'UTC'))
     ORDER BY r.tenant_id, r.campaign_id, r.date, t.transitioned_at DESC, t.id DESC;
    COMMENT ON VIEW pgrollup_internal.msg_inc_campaign_daily IS 'messaging incremental mode: campaign-daily rollup with the campaign status of each local date (on Citus: looked up by a join on tenant_id, which Citus routes to one shard per tenant).';
    PERFORM pgrollup_internal.attach_capture('messaging');
    PERFORM pgrollup_internal.messaging_citus_bind_capture();
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.messaging_citus_layout() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.messaging_citus_layout() IS 'Citus: makes the messaging module''s per-tenant tables distributed tables colocated with the sources (distributed by a bigint tenant_id; every unique key holding it), the registry and the tenant zones reference tables, its node code distributed functions, and capture the statement-level triggers of pgrollup_internal.messaging_capture_shard, which fire on each shard (and the TRUNCATE trigger of pgrollup_internal.messaging_citus_truncate, on the coordinator). The first time, the state is emptied and every key logged for the next refresh. Idempotent.';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_capture_shard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_shard integer;
    v_key  text;
    v_log  text;
    v_read constant jsonb :=
        '{"id": "id", "account_id": "id", "user_id": "id", "inbox_id": "id", "conversation_id": "id", "value": "number", "value_in_business_hours": "number", "name": "text", "created_at": "timestamp"}';
    v_cols constant text := ' (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign) ';
    v_same constant text :=
        '(n.account_id, n.created_at, n.name, n.user_id, n.inbox_id, n.conversation_id, n.value, n.value_in_business_hours) '
        'IS NOT DISTINCT FROM '
        '(o.account_id, o.created_at, o.name, o.user_id, o.inbox_id, o.conversation_id, o.value, o.value_in_business_hours)';
BEGIN
    -- Statement-level AFTER trigger (transition tables pgrollup_new / pgrollup_old) of
    -- reporting_events when Citus distributes it. Citus copies it to every shard: it fires on the
    -- shard's node, once per statement that Citus runs on that shard (a COPY or an INSERT ...
    -- SELECT of many rows included), and appends the statement's changed events to the change
    -- log's colocated shard there, a plain table on that node. Same rules as the single-node
    -- pgrollup_internal.reporting_capture: unchanged rows skipped, no lock, no shared row, no
    -- account setting; a column it reads that drifted lets the statement through (rollup_health,
    -- on the coordinator, reports the drift). Every event name is logged: the registry is a
    -- reference table, which a worker reads through Citus, and the refresh and the reads count
    -- registered names only. It does nothing on the coordinator's table, which holds no rows (Citus
    -- runs the statements on the shards).
    -- INSERT on a shard known when reporting_citus_bind_capture last ran: a static branch, planned
    -- once per session and shard, with the shard's column check folded into its cached plan
    -- (written in between these markers by pgrollup_internal.citus_bind_capture)
    -- pgrollup:citus-shards-begin reporting_events
    -- pgrollup:citus-shards-end reporting_events
    v_key := 'pgrollup.capture_log_' || TG_RELID::text;
    v_log := pg_catalog.current_setting(v_key, true);
    -- the columns it reads: from the relation cache at REPEATABLE READ and SERIALIZABLE (the
    -- transaction's snapshot can predate a migration that committed before this statement locked
    -- the shard, and the INSERT below is parsed against the columns as they are now; see
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
           AND CASE WHEN a.attname = ANY ('{id,account_id,user_id,inbox_id,conversation_id}'::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{21,23,20}'::pg_catalog.oid[])
                    WHEN a.attname = ANY ('{value,value_in_business_hours}'::pg_catalog.name[])
                    THEN a.atttypid = ANY ('{21,23,20,1700,700,701}'::pg_catalog.oid[])
                    WHEN a.attname = 'name'
                    THEN a.atttypid = ANY ('{25,1043,1042,19}'::pg_catalog.oid[])
                    WHEN a.attname = 'created_at'
                    THEN a.atttypid = ANY ('{1114,1184}'::pg_catalog.oid[])
                    ELSE false END) <> 9 THEN
        IF NOT pgrollup_internal.citus_shard_columns_ok(TG_RELID, v_read) THEN
            RETURN NULL;
        END IF;
    END IF;
    -- the log's shard colocated with this shard: looked up in Citus's metadata once per session
    -- and shard (a setting of the session), checked to exist at each use (a shard moved away or a
    -- re-install gives another name)
    IF v_log IS NULL OR v_log = '' OR pg_catalog.to_regclass(v_log) IS NULL THEN
        v_log := pgrollup_internal.citus_colocated_shard('pgrollup_internal.reporting_changes', TG_TABLE_NAME);
        IF v_log IS NULL THEN
            RETURN NULL;   -- the coordinator's table, or no colocated log here: rollup_health says so
        END IF;
        PERFORM pg_catalog.set_config(v_key, v_log, false);
    END IF;
    IF TG_OP = 'INSERT' THEN
        EXECUTE 'INSERT INTO ' || v_log || v_cols
             || 'SELECT n.account_id, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id, n.inbox_id, '
                'n.conversation_id, pgrollup_internal.to_value(n.value), pgrollup_internal.to_value(n.value_in_business_hours), 1 '
                'FROM pgrollup_new AS n';
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE 'INSERT INTO ' || v_log || v_cols
             || 'SELECT o.account_id, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id, o.inbox_id, '
                'o.conversation_id, pgrollup_internal.to_value(o.value), pgrollup_internal.to_value(o.value_in_business_hours), -1 '
                'FROM pgrollup_old AS o';
    ELSE
        EXECUTE 'INSERT INTO ' || v_log || v_cols
             || 'SELECT o.account_id, pgrollup_internal.utc(o.created_at), o.name::text, o.user_id, o.inbox_id, '
                'o.conversation_id, pgrollup_internal.to_value(o.value), pgrollup_internal.to_value(o.value_in_business_hours), -1 '
                'FROM pgrollup_old AS o WHERE NOT EXISTS (SELECT 1 FROM pgrollup_new AS n WHERE n.id = o.id AND ' || v_same || ') '
                'UNION ALL '
                'SELECT n.account_id, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id, n.inbox_id, '
                'n.conversation_id, pgrollup_internal.to_value(n.value), pgrollup_internal.to_value(n.value_in_business_hours), 1 '
                'FROM pgrollup_new AS n WHERE NOT EXISTS (SELECT 1 FROM pgrollup_old AS o WHERE o.id = n.id AND ' || v_same || ')';
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_capture_shard() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_capture_shard() IS 'Capture trigger function on reporting_events distributed by Citus (statement level, transition tables pgrollup_new / pgrollup_old; Citus fires it on each shard a statement writes, on that shard''s node): appends the statement''s changed events to the colocated shard of the change log on that node (every name; refresh and reads count registered ones); unchanged rows skipped; a drifted column lets the statement through.';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_refresh_node()
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_shard  bigint;
    v_map    jsonb;
    v_total  bigint := 0;
BEGIN
    -- Run on every Citus node (by pgrollup_internal.reporting_refresh_citus, in one transaction
    -- per node): for each shard of the change log placed here, the single-node refresh and apply
    -- run as they are on that shard group's local shards (pgrollup_internal.citus_bind): a batch
    -- of the log's shard moves to a staging table, is applied to the colocated rollup shards and
    -- is gone; nothing leaves the node. Each shard's log is locked against a second refresh (SHARE
    -- UPDATE EXCLUSIVE: writers are not blocked), its staging shard against a restatement of one
    -- of its accounts (SHARE), even when the coordinator that started this refresh was cancelled
    -- and released the module lock. Returns the changes consumed and the rows set
    -- aside per reason, which the coordinator records.
    PERFORM pg_catalog.set_config('citus.enable_ddl_propagation', 'off', true);
    CREATE TEMP TABLE IF NOT EXISTS pgrollup_reporting_batch (
        account_id bigint, created_at timestamptz, name text, user_id bigint, inbox_id bigint,
        conversation_id bigint, value double precision, value_bh double precision, sign integer NOT NULL);
    CREATE TEMP TABLE IF NOT EXISTS pgrollup_rows_set_aside (
        module text, reason text, rows bigint, first_seen timestamptz, last_seen timestamptz,
        PRIMARY KEY (module, reason));
    TRUNCATE pg_temp.pgrollup_rows_set_aside;
    FOR v_shard IN
        EXECUTE $q$SELECT s.shardid FROM pg_catalog.pg_dist_shard AS s
                     JOIN pg_catalog.pg_dist_placement AS p ON p.shardid = s.shardid
                    WHERE s.logicalrelid = 'pgrollup_internal.reporting_changes'::pg_catalog.regclass
                      AND p.groupid = (SELECT g.groupid FROM pg_catalog.pg_dist_local_group AS g)
                    ORDER BY s.shardid$q$
    LOOP
        v_map := pgrollup_internal.citus_shard_map(v_shard);
        -- a restatement (backfill, zone change) of an account of this shard group deletes from its
        -- staging shard first: it waits for this transaction, and this one for it
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE MODE', v_map ->> 'pgrollup_internal.reporting_batch');
        v_map := v_map
                 || '{"pgrollup_internal.reporting_batch": "pg_temp.pgrollup_reporting_batch",
                      "pgrollup_internal.rows_set_aside": "pg_temp.pgrollup_rows_set_aside",
                      "pgrollup_internal.reporting_apply": "pg_temp.pgrollup_reporting_apply"}'::jsonb;
        EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE',
                                  v_map ->> 'pgrollup_internal.reporting_changes');
        PERFORM pgrollup_internal.citus_bind('pgrollup_internal.reporting_apply()'::regprocedure, v_map,
                                             'pgrollup_reporting_apply');
        PERFORM pgrollup_internal.citus_bind('pgrollup_internal.reporting_refresh_log()'::regprocedure, v_map,
                                             'pgrollup_reporting_refresh_log');
        v_total := v_total + pg_temp.pgrollup_reporting_refresh_log();
    END LOOP;
    RETURN pg_catalog.jsonb_build_object(
        'consumed', v_total,
        'set_aside', (SELECT COALESCE(pg_catalog.jsonb_object_agg(s.reason, s.rows), '{}'::jsonb)
                      FROM pg_temp.pgrollup_rows_set_aside AS s));
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh_node() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_refresh_node() IS 'Citus: refreshes the reporting shards placed on this node (the single-node refresh bound to each shard group''s local shards, see pgrollup_internal.citus_bind); returns {"consumed": n, "set_aside": {reason: rows}}.';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_refresh_citus()
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_res    record;
    v_out    jsonb;
    v_total  bigint := 0;
    v_failed text;
BEGIN
    -- Coordinator side of the Citus refresh: every node refreshes the shards it holds, in parallel,
    -- each in its own transaction (so a node that fails or is down leaves its shards' log and
    -- rollups as they were, and the others still advance); the coordinator's own placements, if
    -- any, here. A failure is raised after the others finished: the run is recorded as failed
    -- and retried by the next one.
    v_out := pgrollup_internal.reporting_refresh_node();
    v_total := v_total + (v_out ->> 'consumed')::bigint;
    PERFORM pgrollup_internal.reporting_record_set_aside(v_out -> 'set_aside');
    FOR v_res IN EXECUTE
        'SELECT nodename, nodeport, success, result FROM pg_catalog.run_command_on_workers('
        '''SELECT pgrollup_internal.reporting_refresh_node()'', true)'
    LOOP
        IF NOT v_res.success THEN
            v_failed := pg_catalog.concat_ws('; ', v_failed,
                                             pg_catalog.format('%s:%s: %s', v_res.nodename, v_res.nodeport, v_res.result));
            CONTINUE;
        END IF;
        v_out := v_res.result::jsonb;
        v_total := v_total + (v_out ->> 'consumed')::bigint;
        PERFORM pgrollup_internal.reporting_record_set_aside(v_out -> 'set_aside');
    END LOOP;
    IF v_failed IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '58000',
            MESSAGE = 'reporting: refresh failed on ' || v_failed,
            HINT = 'The other nodes'' shards were refreshed; the failed ones keep their change log for the next refresh.';
    END IF;
    -- shards created since the last bind (a shard split) get their static capture branch
    PERFORM pgrollup_internal.citus_rebind_capture('reporting', 'pgrollup_internal.reporting_citus_bind_capture()');
    RETURN v_total;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_refresh_citus() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_refresh_citus() IS 'Citus: refresh of the reporting module from the coordinator: pgrollup_internal.reporting_refresh_node() on every node in parallel (one transaction per node), set-aside rows recorded here; raises after the others finished when a node failed; then writes the capture branches of shards created since the last bind (citus_rebind_capture).';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_citus_bind_capture()
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source regclass := (SELECT pg_catalog.to_regclass(pg_catalog.format('%I.reporting_events', m.source_schema))
                            FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting');
BEGIN
    IF v_source IS NULL OR pgrollup_internal.citus_placement(v_source) IS DISTINCT FROM 'a Citus distributed table (by account_id)' THEN
        RETURN false;
    END IF;
    -- The static INSERT branch of each shard of reporting_events in reporting_capture_shard (see
    -- pgrollup_internal.citus_bind_capture): the same statement as its general path, into the
    -- change log's colocated shard. Returns whether the function changed.
    RETURN pgrollup_internal.citus_bind_capture(
        'pgrollup_internal.reporting_capture_shard()'::pg_catalog.regprocedure, 'reporting', v_source,
        'pgrollup_internal.reporting_changes'::pg_catalog.regclass,
        'INSERT INTO %1$s (account_id, created_at, name, user_id, inbox_id, conversation_id, value, value_bh, sign) '
        'SELECT n.account_id, pgrollup_internal.utc(n.created_at), n.name::text, n.user_id, n.inbox_id, '
        'n.conversation_id, pgrollup_internal.to_value(n.value), pgrollup_internal.to_value(n.value_in_business_hours), 1 '
        'FROM pgrollup_new AS n; RETURN NULL;');
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_citus_bind_capture() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_citus_bind_capture() IS 'Citus: writes the static INSERT branch of every shard of reporting_events into pgrollup_internal.reporting_capture_shard (pgrollup_internal.citus_bind_capture); called by the Citus layout at install and by each refresh (a no-op unless shards changed). Returns whether the function changed.';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_record_set_aside(p_counts jsonb)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO pgrollup_internal.rows_set_aside AS s (module, reason, rows, first_seen, last_seen)
    SELECT 'reporting', x.key, x.value::bigint, pg_catalog.now(), pg_catalog.now()
      FROM pg_catalog.jsonb_each_text(COALESCE(p_counts, '{}'::jsonb)) AS x
    ON CONFLICT (module, reason) DO UPDATE SET rows = s.rows + EXCLUDED.rows, last_seen = EXCLUDED.last_seen;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_record_set_aside(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_record_set_aside(jsonb) IS 'Adds {reason: rows} of the reporting module to pgrollup_internal.rows_set_aside.';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_citus_layout()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema text;
    v_source regclass;
    v_type   text;
    v_table  text;
    v_view   constant regclass := 'pgrollup.reporting_events_rollups'::regclass;
    v_def    text;
    v_notes  jsonb;
    v_grants text[];
BEGIN
    -- Follows reporting_events onto Citus once it is distributed by account_id: the per-account
    -- tables (change log, daily and monthly rollups, handoff presence and repeats, the staging
    -- table of restatements, which then run as single-shard statements) take the
    -- source's account_id type and become distributed tables colocated with it, the settings
    -- (event_metrics, reporting_accounts) reference tables; capture becomes statement-level
    -- triggers that Citus fires on each shard, next to the log's shard. The public view reading
    -- these tables is re-created as it was (definition, column types, comments, grants) around the
    -- change of type. Idempotent.
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting';
    v_source := pg_catalog.to_regclass(pg_catalog.format('%I.reporting_events', v_schema));
    IF pgrollup_internal.citus_placement(v_source) IS DISTINCT FROM 'a Citus distributed table (by account_id)' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('reporting: %s is not a Citus table distributed by account_id', v_source);
    END IF;
    SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) INTO v_type
      FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = v_source AND a.attname = 'account_id';
    -- Citus refuses any trigger DDL on a distributed table without this (transaction-local)
    PERFORM pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true);
    -- one connection per node for the DDL below, whatever ran before in the transaction
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);
    PERFORM pgrollup_internal.reporting_detach();
    DELETE FROM pgrollup_internal.capture_triggers AS c WHERE c.module = 'reporting';
    -- declared for the core, which creates them on reporting_events (attach_capture, below) and
    -- reports them missing or disabled in rollup_health. INSERT, UPDATE and DELETE fire on each
    -- shard; TRUNCATE fires on the coordinator (Citus copies it to the workers, where it does
    -- nothing) and empties the rollups and the change log of every shard in the TRUNCATE's
    -- transaction, as on one node.
    INSERT INTO pgrollup_internal.capture_triggers
           (module, table_name, trigger_name, event, function_name, old_table, new_table, modes, root_only)
    VALUES ('reporting', 'reporting_events', 'pgrollup_reporting_insert', 'INSERT', 'pgrollup_internal.reporting_capture_shard',
            NULL, 'pgrollup_new', NULL, true),
           ('reporting', 'reporting_events', 'pgrollup_reporting_update', 'UPDATE', 'pgrollup_internal.reporting_capture_shard',
            'pgrollup_old', 'pgrollup_new', NULL, true),
           ('reporting', 'reporting_events', 'pgrollup_reporting_delete', 'DELETE', 'pgrollup_internal.reporting_capture_shard',
            'pgrollup_old', NULL, NULL, true),
           ('reporting', 'reporting_events', 'pgrollup_reporting_truncate', 'TRUNCATE', 'pgrollup_internal.reporting_capture',
            NULL, NULL, NULL, true);
    -- re-created over its old definition with every column cast to its old type: account_id
    -- stays the contract's bigint when the tables take the source's integer
    SELECT pg_catalog.format('SELECT %s FROM (%s) AS x',
                             pg_catalog.string_agg(pg_catalog.format('x.%I::%s AS %I', a.attname,
                                                                     pg_catalog.format_type(a.atttypid, a.atttypmod), a.attname),
                                                   ', ' ORDER BY a.attnum),
                             pg_catalog.rtrim(pg_catalog.pg_get_viewdef(v_view), ';'))
      INTO v_def
      FROM pg_catalog.pg_attribute AS a
     WHERE a.attrelid = v_view AND a.attnum > 0 AND NOT a.attisdropped;
    SELECT pg_catalog.jsonb_object_agg(COALESCE(a.attname, ''), d.description) INTO v_notes
      FROM pg_catalog.pg_description AS d
      LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.objoid AND a.attnum = d.objsubid AND d.objsubid > 0
     WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = v_view;
    SELECT pg_catalog.array_agg(pg_catalog.format('GRANT %s ON %s TO %s', x.privilege_type, v_view,
                                CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END))
      INTO v_grants
      FROM pg_catalog.pg_class AS c
     CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS x
      LEFT JOIN pg_catalog.pg_roles AS r ON r.oid = x.grantee
     WHERE c.oid = v_view AND x.grantee <> c.relowner;
    EXECUTE pg_catalog.format('DROP VIEW %s', v_view);
    FOREACH v_table IN ARRAY '{reporting_accounts,reporting_changes,reporting_daily_rollups,reporting_monthly_rollups,reporting_handoffs,reporting_handoff_repeats,reporting_batch}'::text[] LOOP
        IF pgrollup_internal.citus_placement(pg_catalog.format('pgrollup_internal.%I', v_table)::regclass) IS NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE pgrollup_internal.%I ALTER COLUMN account_id TYPE %s', v_table, v_type);
        END IF;
    END LOOP;
    -- logical replication (Citus shard moves that do not block writes) refuses unlogged tables
    IF pgrollup_internal.citus_placement('pgrollup_internal.reporting_batch'::regclass) IS NULL THEN
        ALTER TABLE pgrollup_internal.reporting_batch SET LOGGED;
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup.event_metrics'::regclass) IS NULL THEN
        PERFORM pg_catalog.create_reference_table('pgrollup.event_metrics');
        PERFORM pg_catalog.truncate_local_data_after_distributing_table('pgrollup.event_metrics');
    END IF;
    IF pgrollup_internal.citus_placement('pgrollup_internal.reporting_accounts'::regclass) IS NULL THEN
        PERFORM pg_catalog.create_reference_table('pgrollup_internal.reporting_accounts');
        PERFORM pg_catalog.truncate_local_data_after_distributing_table('pgrollup_internal.reporting_accounts');
    END IF;
    FOREACH v_table IN ARRAY '{reporting_changes,reporting_daily_rollups,reporting_monthly_rollups,reporting_handoffs,reporting_handoff_repeats,reporting_batch}'::text[] LOOP
        IF pgrollup_internal.citus_placement(pg_catalog.format('pgrollup_internal.%I', v_table)::regclass) IS NULL THEN
            PERFORM pg_catalog.create_distributed_table(pg_catalog.format('pgrollup_internal.%I', v_table),
                                                        'account_id', colocate_with => v_source::text);
            PERFORM pg_catalog.truncate_local_data_after_distributing_table(pg_catalog.format('pgrollup_internal.%I', v_table));
        END IF;
    END LOOP;
    EXECUTE pg_catalog.format('CREATE VIEW pgrollup.reporting_events_rollups AS %s', v_def);
    FOR v_table IN SELECT k FROM pg_catalog.jsonb_object_keys(v_notes) AS k LOOP
        EXECUTE pg_catalog.format(CASE WHEN v_table = '' THEN 'COMMENT ON VIEW pgrollup.reporting_events_rollups IS %2$L'
                                       ELSE 'COMMENT ON COLUMN pgrollup.reporting_events_rollups.%1$I IS %2$L' END,
                                  v_table, v_notes ->> v_table);
    END LOOP;
    FOR v_table IN SELECT g FROM pg_catalog.unnest(v_grants) AS g LOOP
        EXECUTE v_table;
    END LOOP;
    -- the code each node runs (the capture trigger's function follows its trigger)
    PERFORM pg_catalog.create_distributed_function(f::pg_catalog.regprocedure)
       FROM pg_catalog.unnest(ARRAY['pgrollup_internal.utc(timestamp without time zone)', 'pgrollup_internal.utc(timestamp with time zone)',
                               'pgrollup_internal.to_value(double precision)', 'pgrollup_internal.to_value(numeric)',
                               'pgrollup_internal.citus_shard_map(bigint)', 'pgrollup_internal.citus_bind(regprocedure, jsonb, text)',
                               'pgrollup_internal.citus_colocated_shard(regclass, name)',
                               'pgrollup_internal.base_type(oid)', 'pgrollup_internal.kind_accepts(text, oid)',
                               'pgrollup_internal.citus_shard_columns_ok(regclass, jsonb)',
                               'pgrollup_internal.citus_shard_columns_folded(regclass, jsonb)',
                               'pgrollup_internal.reporting_apply()', 'pgrollup_internal.reporting_refresh_log()',
                               'pgrollup_internal.reporting_refresh_node()']) AS f
      WHERE pg_catalog.to_regprocedure(f) IS NOT NULL;
    -- capture: the triggers declared above, statement-level with transition tables, which Citus
    -- copies to every shard and fires there (reporting_detach dropped the row-level trigger of
    -- earlier versions, as it was declared then)
    DROP FUNCTION IF EXISTS pgrollup_internal.reporting_capture_row();
    PERFORM pgrollup_internal.attach_capture('reporting');
    PERFORM pgrollup_internal.reporting_citus_bind_capture();
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_citus_layout() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_citus_layout() IS 'Citus: makes the reporting module''s per-account tables distributed tables colocated with reporting_events (distributed by account_id, whose type they take), its settings reference tables, its node code distributed functions, and capture the statement-level triggers pgrollup_reporting_insert / _update / _delete of pgrollup_internal.reporting_capture_shard, which fire on each shard (and the TRUNCATE trigger pgrollup_reporting_truncate, which fires on the coordinator); the caller drops the views on those tables first. Idempotent.';

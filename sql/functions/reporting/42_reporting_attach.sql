CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_attach()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema text;
BEGIN
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting';
    IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_schema, 'reporting_events')) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '42P01',
            MESSAGE = pg_catalog.format('reporting: source table %I.reporting_events does not exist', v_schema);
    END IF;
    -- the capture function's column check is folded into its cached plans, which depend on the
    -- source table through its OID (see capture_columns_ok)
    PERFORM pgrollup_internal.bind_capture('pgrollup_internal.reporting_capture()'::regprocedure,
                                           pg_catalog.format('%I.%I', v_schema, 'reporting_events')::regclass);
    -- reporting_events distributed by Citus: its own layout and statement-level capture on the shards (docs/SCALE-OUT.md)
    IF pgrollup_internal.citus_placement(pg_catalog.format('%I.%I', v_schema, 'reporting_events')::regclass)
       = 'a Citus distributed table (by account_id)' THEN
        PERFORM pgrollup_internal.reporting_citus_layout();
        RETURN;
    END IF;
    -- what capture needs in every mode, declared for the core (which covers partitions created or
    -- attached later at every refresh and reports missing or disabled triggers in rollup_health):
    -- one trigger per event, as a trigger with transition tables can only fire on one event. The
    -- TRUNCATE trigger (every event gone) only on the table itself: a partition's TRUNCATE is
    -- handled by the core's pgrollup_partition_truncate trigger, which restates the partition's
    -- accounts and days
    DELETE FROM pgrollup_internal.capture_triggers AS c WHERE c.module = 'reporting';
    INSERT INTO pgrollup_internal.capture_triggers
           (module, table_name, trigger_name, event, function_name, old_table, new_table, modes, root_only)
    VALUES ('reporting', 'reporting_events', 'pgrollup_reporting_insert', 'INSERT', 'pgrollup_internal.reporting_capture', NULL, 'pgrollup_new', NULL, false),
           ('reporting', 'reporting_events', 'pgrollup_reporting_update', 'UPDATE', 'pgrollup_internal.reporting_capture', 'pgrollup_old', 'pgrollup_new', NULL, false),
           ('reporting', 'reporting_events', 'pgrollup_reporting_delete', 'DELETE', 'pgrollup_internal.reporting_capture', 'pgrollup_old', NULL, NULL, false),
           ('reporting', 'reporting_events', 'pgrollup_reporting_truncate', 'TRUNCATE', 'pgrollup_internal.reporting_capture', NULL, NULL, NULL, true);
    UPDATE pgrollup_internal.modules AS m
       SET slices_function = 'pgrollup_internal.reporting_partition_slices',
           restate_function = 'pgrollup_internal.reporting_restate_slices'
     WHERE m.module = 'reporting';
    -- a TRUNCATE trigger of reporting_capture on a partition would empty every rollup
    PERFORM pgrollup_internal.drop_triggers_of('pgrollup_internal.reporting_capture()'::regprocedure,
                                               'pgrollup_reporting_truncate', true);
    PERFORM pgrollup_internal.attach_capture('reporting');
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_attach() FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_attach() IS 'Attach hook of the reporting module (on a reporting_events distributed by Citus: pgrollup_internal.reporting_citus_layout()): declares its capture triggers and partition hooks to the core and creates the statement-level capture triggers (INSERT, UPDATE, DELETE with transition tables, and TRUNCATE) on reporting_events and, when it is partitioned, the INSERT, UPDATE and DELETE ones on every partition at any depth (a partition''s TRUNCATE is covered by the core''s pgrollup_partition_truncate trigger); idempotent.';

-- (replaced by pgrollup_internal.drop_triggers_of)
DROP FUNCTION IF EXISTS pgrollup_internal.reporting_drop_partition_truncate();

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_partition_slices(p_table text, p_relid oid)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
-- Slices hook of the reporting module (see pgrollup_internal.cover_partitions): the accounts with
-- a reporting zone that have registered events in one member of reporting_events (a partition, or
-- a detached former one), with the first and last local day of those events, as
-- [{"key": account_id, "from": date, "to": date}, ...].
DECLARE
    v_slices jsonb;
BEGIN
    IF p_table IS DISTINCT FROM 'reporting_events' THEN
        RETURN NULL;
    END IF;
    EXECUTE pg_catalog.format(
        'SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''key'', x.account_id,
                    ''from'', (x.lo AT TIME ZONE x.timezone)::date, ''to'', (x.hi AT TIME ZONE x.timezone)::date)
                ORDER BY x.account_id)
           FROM (SELECT a.account_id, a.timezone,
                        pg_catalog.min(pgrollup_internal.utc(e.created_at)) AS lo,
                        pg_catalog.max(pgrollup_internal.utc(e.created_at)) AS hi
                   FROM %s AS e
                   JOIN pgrollup_internal.reporting_accounts AS a ON a.account_id = e.account_id
                  WHERE a.timezone IS NOT NULL
                    AND e.name::text IN (SELECT m.event_name FROM pgrollup.event_metrics AS m)
                  GROUP BY a.account_id, a.timezone) AS x',
        p_relid::regclass)
       INTO v_slices;
    RETURN COALESCE(v_slices, '[]'::jsonb);
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_partition_slices(text, oid) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_partition_slices(text, oid) IS 'reporting slices hook: the accounts with a zone whose registered events are in one member of reporting_events (partition or detached table), with their first and last local day, as a jsonb array of {"key", "from", "to"}.';

CREATE OR REPLACE FUNCTION pgrollup_internal.reporting_restate_slices(p_slices jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- Restate hook of the reporting module: the listed accounts' local days (NULL: every account with
-- a zone, all days), through pgrollup.backfill_reporting, which takes the module lock and reads the
-- source and consumes the change log in one snapshot.
DECLARE
    v_slice record;
    v_n bigint := 0;
BEGIN
    FOR v_slice IN
        SELECT a.account_id, NULL::date AS d_from, NULL::date AS d_to
          FROM pgrollup_internal.reporting_accounts AS a
         WHERE p_slices IS NULL AND a.timezone IS NOT NULL
        UNION ALL
        SELECT (s.value ->> 'key')::bigint, (s.value ->> 'from')::date, (s.value ->> 'to')::date
          FROM pg_catalog.jsonb_array_elements(COALESCE(p_slices, '[]'::jsonb)) AS s(value)
         WHERE EXISTS (SELECT 1 FROM pgrollup_internal.reporting_accounts AS a
                        WHERE a.account_id = (s.value ->> 'key')::bigint AND a.timezone IS NOT NULL)
        ORDER BY 1, 2
    LOOP
        v_n := v_n + pgrollup.backfill_reporting(v_slice.account_id, v_slice.d_from, v_slice.d_to);
    END LOOP;
    RETURN v_n;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup_internal.reporting_restate_slices(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup_internal.reporting_restate_slices(jsonb) IS 'reporting restate hook: rebuilds the listed accounts'' local days ({"key": account_id, "from", "to"}; NULL: every account with a zone, all days) with pgrollup.backfill_reporting; returns the rollup rows written.';

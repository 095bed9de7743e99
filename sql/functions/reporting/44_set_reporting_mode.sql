CREATE OR REPLACE FUNCTION pgrollup.set_reporting_mode(p_mode text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_schema text;
BEGIN
    IF p_mode IS NULL OR p_mode NOT IN ('immediate', 'deferred') THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_mode must be immediate or deferred, not %s', COALESCE(pg_catalog.quote_literal(p_mode), 'NULL'));
    END IF;
    PERFORM pgrollup_internal.lock_module('reporting', true);
    -- wait for writers in progress (they may have captured in the old mode) and hold new ones
    -- until the switch commits; then the log is drained so immediate mode is current at once
    SELECT m.source_schema INTO v_schema FROM pgrollup_internal.modules AS m WHERE m.module = 'reporting';
    EXECUTE pg_catalog.format('LOCK TABLE %I.%I IN SHARE MODE', v_schema, 'reporting_events');
    UPDATE pgrollup_internal.settings AS s SET value = p_mode WHERE s.name = 'reporting_mode';
    IF NOT FOUND THEN
        INSERT INTO pgrollup_internal.settings (name, value) VALUES ('reporting_mode', p_mode);
    END IF;
    IF p_mode = 'immediate' THEN
        PERFORM pgrollup_internal.reporting_refresh();
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.set_reporting_mode(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.set_reporting_mode(text) IS 'Switches the reporting write path: immediate (default; rollups current when the writing transaction commits) or deferred (writers append to a change log, pgrollup.refresh(''reporting'') applies it).';

CREATE OR REPLACE FUNCTION pgrollup.set_reporting_mode(p_mode text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- One mode is left: realtime (writers append to the change log, reads fold its tail in,
    -- refresh applies it). The immediate and deferred modes were removed (docs/REPORTING.md).
    IF p_mode IS NULL OR p_mode <> 'realtime' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('p_mode must be realtime (the only reporting mode; immediate and deferred were removed), not %s',
                                        COALESCE(pg_catalog.quote_literal(p_mode), 'NULL'));
    END IF;
    PERFORM pgrollup_internal.lock_module('reporting', true);
    UPDATE pgrollup_internal.settings AS s SET value = p_mode WHERE s.name = 'reporting_mode';
    IF NOT FOUND THEN
        INSERT INTO pgrollup_internal.settings (name, value) VALUES ('reporting_mode', p_mode);
    END IF;
END;
$$;
REVOKE ALL ON FUNCTION pgrollup.set_reporting_mode(text) FROM PUBLIC;
COMMENT ON FUNCTION pgrollup.set_reporting_mode(text) IS 'Sets the reporting mode; realtime is the only one (writers append to a change log, every read folds the changes not applied yet in, pgrollup.refresh(''reporting'') applies them). Anything else raises 22023.';

-- Tell listening instances the moment a change commits, so they can answer conditional GETs
-- from memory instead of asking the database on every request.
CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bumped bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        UPDATE data_version SET version = version + 1, changed_at = clock_timestamp()
            RETURNING version INTO bumped;
        -- Delivered when the transaction commits, not before.
        PERFORM pg_notify('township_stats_data_version', bumped::text);
    END IF;
    RETURN NULL;
END;
$$;

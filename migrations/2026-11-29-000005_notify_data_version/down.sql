CREATE OR REPLACE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        UPDATE data_version SET version = version + 1, changed_at = clock_timestamp();
    END IF;
    RETURN NULL;
END;
$$;

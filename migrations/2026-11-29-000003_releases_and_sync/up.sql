-- Releases, change tracking for incremental sync, retraction instead of deletion, and the
-- revision history that keeps every value ever published.

-- Each load that changes observations is a release.
CREATE TABLE releases (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    released_at timestamptz NOT NULL,
    title text NOT NULL,
    summary text NOT NULL,
    observations_added integer NOT NULL CHECK (observations_added >= 0),
    observations_changed integer NOT NULL CHECK (observations_changed >= 0),
    observations_retracted integer NOT NULL CHECK (observations_retracted >= 0)
);

CREATE INDEX releases_released_at_idx ON releases (released_at DESC, id DESC);

ALTER TABLE observations
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the observation left the published data; the row stays as a tombstone.
    ADD COLUMN retracted_at timestamptz,
    -- The release that last added, changed or retracted it.
    ADD COLUMN release_id bigint REFERENCES releases (id),
    ADD CHECK (retracted_at IS NULL OR retracted_at = updated_at);

-- Incremental sync reads changes in (updated_at, id) order.
CREATE INDEX observations_updated_idx ON observations (updated_at, id);
CREATE INDEX observations_release_idx ON observations (release_id, id);

-- The value an observation had before each change, with the time span it was published for.
CREATE TABLE observation_revisions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    observation_id bigint NOT NULL REFERENCES observations (id),
    value numeric NOT NULL,
    qualifier text NOT NULL,
    value_as_written text NOT NULL,
    unit_as_written text NOT NULL,
    quote text NOT NULL,
    quote_start integer NOT NULL,
    quote_end integer NOT NULL,
    note text,
    retracted_at timestamptz,
    published_from timestamptz NOT NULL,
    published_until timestamptz NOT NULL,
    -- The release that replaced this revision.
    superseded_by bigint REFERENCES releases (id)
);

CREATE INDEX observation_revisions_observation_idx ON observation_revisions (observation_id, id);

CREATE FUNCTION observations_keep_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO observation_revisions (observation_id, value, qualifier, value_as_written,
        unit_as_written, quote, quote_start, quote_end, note, retracted_at, published_from,
        published_until, superseded_by)
    VALUES (OLD.id, OLD.value, OLD.qualifier, OLD.value_as_written, OLD.unit_as_written, OLD.quote,
        OLD.quote_start, OLD.quote_end, OLD.note, OLD.retracted_at, OLD.updated_at, NEW.updated_at,
        NEW.release_id);
    RETURN NEW;
END;
$$;

CREATE TRIGGER observations_keep_revision
    BEFORE UPDATE ON observations
    FOR EACH ROW
    WHEN (OLD.value IS DISTINCT FROM NEW.value
          OR OLD.qualifier IS DISTINCT FROM NEW.qualifier
          OR OLD.value_as_written IS DISTINCT FROM NEW.value_as_written
          OR OLD.unit_as_written IS DISTINCT FROM NEW.unit_as_written
          OR OLD.quote IS DISTINCT FROM NEW.quote
          OR OLD.quote_start IS DISTINCT FROM NEW.quote_start
          OR OLD.note IS DISTINCT FROM NEW.note
          OR OLD.retracted_at IS DISTINCT FROM NEW.retracted_at)
    EXECUTE FUNCTION observations_keep_revision();

-- Published observations are retracted, never deleted.
CREATE FUNCTION observations_refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'observations are never deleted; set retracted_at instead (id %)', OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER observations_refuse_delete
    BEFORE DELETE ON observations
    FOR EACH ROW EXECUTE FUNCTION observations_refuse_delete();

-- One number that changes whenever any published row changes, whoever writes it: the version in
-- every ETag. Statement triggers with transition tables bump it only when rows really changed.
CREATE TABLE data_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL,
    changed_at timestamptz NOT NULL
);

INSERT INTO data_version (version, changed_at) VALUES (1, now());

CREATE FUNCTION bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        UPDATE data_version SET version = version + 1, changed_at = clock_timestamp();
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER places_bump_version_insert AFTER INSERT ON places
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER places_bump_version_update AFTER UPDATE ON places
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER indicators_bump_version_insert AFTER INSERT ON indicators
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER indicators_bump_version_update AFTER UPDATE ON indicators
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER sources_bump_version_insert AFTER INSERT ON sources
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER sources_bump_version_update AFTER UPDATE ON sources
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER observations_bump_version_insert AFTER INSERT ON observations
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER observations_bump_version_update AFTER UPDATE ON observations
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();
CREATE TRIGGER releases_bump_version_insert AFTER INSERT ON releases
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_data_version();

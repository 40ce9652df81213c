DROP TRIGGER releases_bump_version_insert ON releases;
DROP TRIGGER observations_bump_version_update ON observations;
DROP TRIGGER observations_bump_version_insert ON observations;
DROP TRIGGER sources_bump_version_update ON sources;
DROP TRIGGER sources_bump_version_insert ON sources;
DROP TRIGGER indicators_bump_version_update ON indicators;
DROP TRIGGER indicators_bump_version_insert ON indicators;
DROP TRIGGER places_bump_version_update ON places;
DROP TRIGGER places_bump_version_insert ON places;
DROP FUNCTION bump_data_version();
DROP TABLE data_version;
DROP TRIGGER observations_refuse_delete ON observations;
DROP FUNCTION observations_refuse_delete();
DROP TRIGGER observations_keep_revision ON observations;
DROP FUNCTION observations_keep_revision();
DROP TABLE observation_revisions;
DROP INDEX observations_release_idx;
DROP INDEX observations_updated_idx;
ALTER TABLE observations
    DROP COLUMN release_id,
    DROP COLUMN retracted_at,
    DROP COLUMN updated_at,
    DROP COLUMN created_at;
DROP TABLE releases;

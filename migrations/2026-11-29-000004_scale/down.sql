DROP INDEX observations_source_place_idx;
CREATE INDEX observations_source_idx ON observations (source_id);

DROP INDEX observations_place_idx;

ALTER TABLE observations DROP CONSTRAINT observations_place_code_fkey;
ALTER TABLE places DROP CONSTRAINT places_parent_code_fkey;

ALTER TABLE places
    ALTER COLUMN code TYPE text COLLATE "default",
    ALTER COLUMN parent_code TYPE text COLLATE "default";
ALTER TABLE observations ALTER COLUMN place_code TYPE text COLLATE "default";

ALTER TABLE places
    ADD CONSTRAINT places_parent_code_fkey FOREIGN KEY (parent_code) REFERENCES places (code);
ALTER TABLE observations
    ADD CONSTRAINT observations_place_code_fkey FOREIGN KEY (place_code) REFERENCES places (code);

CREATE INDEX observations_place_idx ON observations (place_code text_pattern_ops, indicator_code);

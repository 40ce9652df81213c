-- National scale. Place codes compare byte by byte (collation "C"), so that "this place and
-- everything below it" (code LIKE '5119%') is a range scan of an ordinary btree index, and the
-- natural key index serves indicator + place-prefix filters. Bulk loads check synthetic
-- coverage by (source, place).

ALTER TABLE observations DROP CONSTRAINT observations_place_code_fkey;
ALTER TABLE places DROP CONSTRAINT places_parent_code_fkey;

ALTER TABLE places
    ALTER COLUMN code TYPE text COLLATE "C",
    ALTER COLUMN parent_code TYPE text COLLATE "C";
ALTER TABLE observations ALTER COLUMN place_code TYPE text COLLATE "C";

ALTER TABLE places
    ADD CONSTRAINT places_parent_code_fkey FOREIGN KEY (parent_code) REFERENCES places (code);
ALTER TABLE observations
    ADD CONSTRAINT observations_place_code_fkey FOREIGN KEY (place_code) REFERENCES places (code);

DROP INDEX observations_place_idx;
CREATE INDEX observations_place_idx ON observations (place_code, indicator_code);

DROP INDEX observations_source_idx;
CREATE INDEX observations_source_place_idx ON observations (source_id, place_code);

DROP INDEX observations_place_idx;
CREATE INDEX observations_place_idx ON observations (place_code, indicator_code);

-- Listings filtered by place are ordered by (place_code, id): this index returns them in that
-- order from a code prefix, so every page of a province costs what the first one does.
DROP INDEX observations_place_idx;
CREATE INDEX observations_place_idx ON observations (place_code, id);

ALTER TABLE sources DROP COLUMN place_code;
ALTER TABLE releases DROP COLUMN published_by;
DROP TABLE api_tokens;

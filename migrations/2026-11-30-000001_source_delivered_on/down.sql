ALTER TABLE sources DROP COLUMN delivered_on;

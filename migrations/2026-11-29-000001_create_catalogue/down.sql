DROP TABLE loads;
DROP TABLE sources;
DROP TABLE indicators;
DROP TABLE places;

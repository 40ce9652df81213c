DROP INDEX observations_indicator_idx;
DROP INDEX observations_period_idx;
CREATE INDEX observations_period_idx ON observations (period_start, period_end);

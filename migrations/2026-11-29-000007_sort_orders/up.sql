-- Each order a listing can take has an index in that order, ending in id, so the first page and
-- every keyset page after it read only the rows they return (when the filters are not
-- selective) instead of sorting the table: sort=period and sort=-period (read backwards) on
-- (period_start, period_end, id), sort=indicator on (indicator_code, id).
DROP INDEX observations_period_idx;
CREATE INDEX observations_period_idx ON observations (period_start, period_end, id);
CREATE INDEX observations_indicator_idx ON observations (indicator_code, id);

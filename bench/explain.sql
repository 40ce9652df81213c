-- EXPLAIN ANALYZE of each documented query shape of /v1/observations, in the form the service
-- sends it (the select list shortened to the observation id; joins, filters, order and limit as
-- sent). Run against the national database: psql -d township_stats_national -f bench/explain.sql
\pset pager off
\echo '== series: place=511903114&indicator=abandoned_land_reclaimed_area'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.place_code = ANY(ARRAY['511903114']) AND o.indicator_code = ANY(ARRAY['abandoned_land_reclaimed_area']) AND o.retracted_at IS NULL ORDER BY o.id LIMIT 101;
\echo '== district × indicator × year: place=511903&descendants=true&indicator=…&from=2018&to=2018'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.place_code LIKE '511903%' AND o.indicator_code = ANY(ARRAY['abandoned_land_reclaimed_area']) AND o.period_end >= 2018 AND o.period_start <= 2018 AND o.retracted_at IS NULL ORDER BY o.id LIMIT 101;
\echo '== province, page 1: place=51&descendants=true (default order with a place filter: place)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.place_code LIKE '51%' AND o.retracted_at IS NULL ORDER BY o.place_code, o.id LIMIT 101;
\echo '== province, a page deep into the listing (keyset: (place_code, id) > (511923, …))'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.place_code LIKE '51%' AND o.retracted_at IS NULL AND (o.place_code, o.id) > ('511923', 0) ORDER BY o.place_code, o.id LIMIT 101;
\echo '== whole table, page 1 and the last pages (keyset on id)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.retracted_at IS NULL ORDER BY o.id LIMIT 101;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.retracted_at IS NULL AND o.id > 16600000 ORDER BY o.id LIMIT 101;
\echo '== one indicator, every place, one year: indicator=…&from=2015&to=2015'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.indicator_code = ANY(ARRAY['abandoned_land_reclaimed_area']) AND o.period_end >= 2015 AND o.period_start <= 2015 AND o.retracted_at IS NULL ORDER BY o.id LIMIT 101;
\echo '== category: category=sanitation (sent as the category and its indicator codes)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.indicator_code = ANY(ARRAY['sanitary_toilets_renovated','public_toilets_built','sanitary_toilet_coverage_rate','waste_bins_installed','sorting_bin_sets_installed','waste_harmless_treatment_rate','sewage_harmless_treatment_rate']) AND i.category = 'sanitation' AND o.retracted_at IS NULL ORDER BY o.id LIMIT 101;
\echo '== incremental sync: updated_since=…, order (updated_at, id)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.updated_at > '2026-01-01' ORDER BY o.updated_at, o.id LIMIT 101;
\echo '== the capped exact count of a large listing (reads at most 10,001 entries)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.place_code LIKE '51%' AND o.retracted_at IS NULL LIMIT 10001;
\echo '== the full count, done once per data version and remembered'
EXPLAIN (ANALYZE, COSTS OFF) SELECT count(*) FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.place_code LIKE '51%' AND o.retracted_at IS NULL;

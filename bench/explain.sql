-- EXPLAIN ANALYZE of each documented query shape of /v1/observations, in the form the service
-- sends it: the page is chosen from observations alone in a subquery, then only its rows are joined
-- to indicators and places (the select list shortened to the observation id). Run against the
-- national database: psql -d township_stats_national -f bench/explain.sql
\pset pager off
\echo '== series: place=511903114&indicator=abandoned_land_reclaimed_area (default order with a place: place)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE place_code = '511903114' AND indicator_code = 'abandoned_land_reclaimed_area' AND retracted_at IS NULL ORDER BY place_code, id LIMIT 101) ORDER BY o.place_code, o.id;
\echo '== district × indicator × year: place=511903&descendants=true&indicator=…&from=2018&to=2018'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE place_code >= '511903' AND place_code < '511904' AND indicator_code = 'abandoned_land_reclaimed_area' AND period_end >= 2018 AND period_start <= 2018 AND retracted_at IS NULL ORDER BY place_code, id LIMIT 101) ORDER BY o.place_code, o.id;
\echo '== province, page 1: place=51&descendants=true'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE place_code >= '51' AND place_code < '52' AND retracted_at IS NULL ORDER BY place_code, id LIMIT 101) ORDER BY o.place_code, o.id;
\echo '== province, a page deep into the listing (keyset: (place_code, id) > ('511923', 0))'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE place_code >= '51' AND place_code < '52' AND retracted_at IS NULL AND (place_code, id) > ('511923', 0) ORDER BY place_code, id LIMIT 101) ORDER BY o.place_code, o.id;
\echo '== whole table, page 1 (keyset on id)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE retracted_at IS NULL ORDER BY id LIMIT 101) ORDER BY o.id;
\echo '== whole table, a last page (id > 16,600,000)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE retracted_at IS NULL AND id > 16600000 ORDER BY id LIMIT 101) ORDER BY o.id;
\echo '== one indicator, every place, one year: indicator=…&from=2015&to=2015'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE indicator_code = 'abandoned_land_reclaimed_area' AND period_end >= 2015 AND period_start <= 2015 AND retracted_at IS NULL ORDER BY id LIMIT 101) ORDER BY o.id;
\echo '== category: category=sanitation (its indicator codes, and the category through a subquery)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE indicator_code = ANY(ARRAY['sanitary_toilets_renovated','public_toilets_built','sanitary_toilet_coverage_rate','waste_bins_installed','sorting_bin_sets_installed','waste_harmless_treatment_rate','sewage_harmless_treatment_rate']) AND indicator_code IN (SELECT code FROM indicators WHERE category = 'sanitation') AND retracted_at IS NULL ORDER BY id LIMIT 101) ORDER BY o.id;
\echo '== sort=period, a page deep into it (keyset (period_start, period_end, id))'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE retracted_at IS NULL AND (period_start, period_end, id) > (2015, 2015, 8000000) ORDER BY period_start, period_end, id LIMIT 101) ORDER BY o.period_start, o.period_end, o.id;
\echo '== sort=-period, page 1'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE retracted_at IS NULL ORDER BY period_start DESC, period_end DESC, id DESC LIMIT 101) ORDER BY o.period_start DESC, o.period_end DESC, o.id DESC;
\echo '== sort=indicator, a page deep into it (keyset (indicator_code, id))'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE retracted_at IS NULL AND (indicator_code, id) > ('gdp', 0) ORDER BY indicator_code, id LIMIT 101) ORDER BY o.indicator_code, o.id;
\echo '== kind=target (0.5 % of the rows), order id'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE kind = 'target' AND retracted_at IS NULL ORDER BY id LIMIT 101) ORDER BY o.id;
\echo '== incremental sync: updated_since=…, page 2 inside one large release (keyset (updated_at, id))'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE updated_at > '2020-01-01' AND (updated_at, id) > ((SELECT max(updated_at) FROM observations), 200) ORDER BY updated_at, id LIMIT 101) ORDER BY o.updated_at, o.id;
\echo '== province ordered by period, page 1 (the slowest shape left: the rows of Sichuan come late in each period)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT o.id FROM observations o JOIN indicators i ON o.indicator_code = i.code JOIN places p ON o.place_code = p.code
WHERE o.id IN (SELECT id FROM observations WHERE place_code >= '51' AND place_code < '52' AND retracted_at IS NULL ORDER BY period_start, period_end, id LIMIT 101) ORDER BY o.period_start, o.period_end, o.id;
\echo '== a total up to 10,000, counted by reading at most 10,001 matching ids (once per data version and filter)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM observations WHERE place_code >= '51' AND place_code < '52' AND retracted_at IS NULL LIMIT 10001;
\echo '== the full count, done once per data version and filter'
EXPLAIN (ANALYZE, COSTS OFF) SELECT count(*) FROM observations WHERE place_code >= '51' AND place_code < '52' AND retracted_at IS NULL;

-- Synthetic observations for benchmarks: :townships townships (in code order) × every indicator
-- × :years years ending in 2020, under a source of their own ('bench-synthetic') so they never
-- mix with published data. Run with psql -v townships=N -v years=Y.
INSERT INTO sources (id, title_zh, title_en, publisher_zh, publisher_en, published_on, licence, content, sha256)
VALUES ('bench-synthetic', '基准测试合成数据', 'Synthetic benchmark data', 'township-stats', 'township-stats',
        DATE '2026-01-01', 'CC0-1.0', 'synthetic', encode(sha256(convert_to('synthetic', 'UTF8')), 'hex'))
ON CONFLICT (id) DO NOTHING;

INSERT INTO observations (indicator_code, place_code, period_start, period_end, kind, value, qualifier,
                          value_as_written, unit_as_written, source_id, quote, quote_start, quote_end)
SELECT i.code, p.code, y, y, 'actual', v, 'exact', v::text, i.unit, 'bench-synthetic', 'synthetic', 0, 9
FROM (SELECT code FROM places WHERE level = 'township' ORDER BY code LIMIT :townships) p
CROSS JOIN indicators i
CROSS JOIN generate_series(2021 - :years, 2020) y
CROSS JOIN LATERAL (SELECT round((abs(hashtext(p.code || i.code || y)) % 1000000)::numeric / 100, 2) AS v) val
ON CONFLICT DO NOTHING;

ANALYZE observations;

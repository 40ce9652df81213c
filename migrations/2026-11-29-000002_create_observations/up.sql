-- One number about one indicator, one place, one period and one kind, with its provenance.

CREATE TABLE observations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    indicator_code text NOT NULL REFERENCES indicators (code),
    place_code text NOT NULL REFERENCES places (code),
    -- A single year has period_start = period_end.
    period_start integer NOT NULL CHECK (period_start BETWEEN 1949 AND 2100),
    period_end integer NOT NULL CHECK (period_end BETWEEN 1949 AND 2100),
    kind text NOT NULL CHECK (kind IN ('actual', 'target')),
    -- Exact, in the indicator's canonical unit.
    value numeric NOT NULL,
    qualifier text NOT NULL DEFAULT 'exact'
        CHECK (qualifier IN ('exact', 'more_than', 'at_least', 'approx', 'less_than', 'at_most')),
    value_as_written text NOT NULL,
    unit_as_written text NOT NULL,
    source_id text NOT NULL REFERENCES sources (id),
    -- The verbatim quote and its span in the source text, in characters (code points), end exclusive.
    quote text NOT NULL CHECK (quote <> ''),
    quote_start integer NOT NULL CHECK (quote_start >= 0),
    quote_end integer NOT NULL,
    note text,
    CHECK (period_start <= period_end),
    CHECK (quote_end - quote_start = char_length(quote)),
    CONSTRAINT observations_natural_key
        UNIQUE (indicator_code, place_code, period_start, period_end, kind, source_id)
);

-- The unique key serves indicator-first filters; these serve place-first filters (exact code and
-- code-prefix for descendants), period overlap and per-source listing.
CREATE INDEX observations_place_idx ON observations (place_code text_pattern_ops, indicator_code);
CREATE INDEX observations_period_idx ON observations (period_start, period_end);
CREATE INDEX observations_source_idx ON observations (source_id);

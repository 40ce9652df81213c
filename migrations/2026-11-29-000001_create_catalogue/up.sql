-- The place tree, the indicator catalogue and the published source documents.

CREATE TABLE places (
    -- NBS statistical division code at its natural length (51, 5119, 511903, 511903114), or a
    -- local code for a village the NBS list does not cover: the township's code, 'L' and a serial
    -- (511903114L001). Either way a place's code begins with its parent's code, which is what lets
    -- "this place and everything below it" be a prefix match.
    code text PRIMARY KEY
        CHECK (code ~ '^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}(L[0-9]{3}|[0-9]{3})?)?)?)?$'),
    parent_code text REFERENCES places (code),
    level text NOT NULL
        CHECK (level IN ('province', 'city', 'county', 'township', 'village')),
    name_zh text NOT NULL CHECK (name_zh <> ''),
    name_en text NOT NULL CHECK (name_en <> ''),
    -- Lower-case toneless pinyin of name_zh with nothing between syllables: what `q` matches.
    search_key text NOT NULL,
    CHECK ((level = 'province') = (parent_code IS NULL)),
    CHECK (parent_code IS NULL OR (code LIKE parent_code || '%' AND code <> parent_code))
);

CREATE INDEX places_parent_code_idx ON places (parent_code, code);
CREATE INDEX places_level_idx ON places (level, code);

CREATE TABLE indicators (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name_zh text NOT NULL CHECK (name_zh <> ''),
    name_en text NOT NULL CHECK (name_en <> ''),
    description_zh text NOT NULL,
    description_en text NOT NULL,
    category text NOT NULL CHECK (category ~ '^[a-z][a-z_]*$'),
    -- The canonical unit every value of this indicator is stored in (yuan, mu, percent, persons, ...).
    unit text NOT NULL CHECK (unit ~ '^[a-z][a-z_]*$'),
    value_type text NOT NULL
        CHECK (value_type IN ('count', 'money', 'area', 'percent', 'ratio', 'rank'))
);

CREATE INDEX indicators_category_idx ON indicators (category, code);

CREATE TABLE sources (
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]*$'),
    title_zh text NOT NULL,
    title_en text NOT NULL,
    publisher_zh text NOT NULL,
    publisher_en text NOT NULL,
    published_on date NOT NULL,
    url text,
    licence text NOT NULL,
    content text NOT NULL,
    -- The database itself refuses a digest that does not match the text.
    sha256 text NOT NULL CHECK (sha256 = encode(sha256(convert_to(content, 'UTF8')), 'hex'))
);

-- One row per named load (the gazetteer, the report seed) with the digest of what was loaded, so
-- a start-up with unchanged seed files can skip the load after a single lookup.
CREATE TABLE loads (
    name text PRIMARY KEY,
    sha256 text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now()
);

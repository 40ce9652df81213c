-- Publishers' tokens: only the SHA-256 of a token is kept; the token itself is shown once.
CREATE TABLE api_tokens (
    id bigserial PRIMARY KEY,
    -- Names are never reused, so a release's publisher stays unambiguous after a revocation.
    name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    sha256 bytea NOT NULL UNIQUE CHECK (length(sha256) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz
);

-- The token that published a release (its name); NULL for loads from the command line.
ALTER TABLE releases ADD COLUMN published_by text;

-- The place a source is about, when it is about one.
ALTER TABLE sources ADD COLUMN place_code text REFERENCES places (code);

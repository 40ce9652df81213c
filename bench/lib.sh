# Helpers shared by the benchmark scripts (sourced, not run).

# Datasette from PyPI into VENV, once.
ensure_datasette() { # venv
    if [ ! -x "$1/bin/datasette" ]; then
        [ -x "$1/bin/pip" ] || python3 -m venv "$1"
        "$1/bin/pip" install --quiet --disable-pip-version-check datasette
    fi
}

# The observations of a PostgreSQL database copied into SQLite, with an index on (place,
# indicator), once.
observations_to_sqlite() { # postgres-db sqlite-file scratch-dir
    [ -s "$2" ] && return 0
    mkdir -p "$(dirname "$2")"
    psql -d "$1" -Atc "\\copy (SELECT id, indicator_code, place_code, period_start, period_end, kind, value, qualifier, value_as_written, unit_as_written, source_id, quote, note FROM observations) TO '$3/obs.csv' WITH (FORMAT csv)"
    sqlite3 "$2" <<SQL
CREATE TABLE observations (id INTEGER PRIMARY KEY, indicator_code TEXT, place_code TEXT, period_start INTEGER,
  period_end INTEGER, kind TEXT, value NUMERIC, qualifier TEXT, value_as_written TEXT, unit_as_written TEXT,
  source_id TEXT, quote TEXT, note TEXT);
.mode csv
.import $3/obs.csv observations
CREATE INDEX observations_series ON observations (place_code, indicator_code);
SQL
    rm "$3/obs.csv"
}

# DATABASE_URL's database with the seed and `synth` data for the first TOWNSHIPS townships × 40
# indicators × 10 years, built once and reused.
ensure_synthetic() { # binary townships
    local have
    have=$(psql -d "${DATABASE_URL#postgres:///}" -Atc "SELECT count(DISTINCT place_code) FROM observations WHERE source_id = 'synthetic'" 2>/dev/null || echo 0)
    if [ "$have" -lt "$2" ]; then
        "$1" migrate && "$1" seed >/dev/null
        "$1" synth --townships "$2" --indicators 40 --years 10
    fi
}

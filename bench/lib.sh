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

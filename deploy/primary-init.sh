#!/usr/bin/env bash
# Run once by the postgres image when the primary's data directory is created: a role for
# streaming replication, and the replica's right to use it.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -c "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD 'replication'"
echo "host replication replicator all scram-sha-256" >>"$PGDATA/pg_hba.conf"

#!/usr/bin/env bash
# The replica's entrypoint: on first start, a base backup of the primary that starts streaming
# from it (pg_basebackup -R writes standby.signal and primary_conninfo); then PostgreSQL as a hot
# standby that tells the primary which rows its queries still read (hot_standby_feedback), so
# replay does not cancel them.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h primary -U township; do sleep 1; done
    # A replication slot keeps the WAL this replica has not received, so a replica that was down
    # during a large import catches up instead of breaking (the primary bounds what it keeps:
    # max_slot_wal_keep_size).
    pg_basebackup -h primary -U replicator -D "$PGDATA" -R -X stream -c fast -C -S replica1
    chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on

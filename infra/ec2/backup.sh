#!/usr/bin/env bash
# Nightly logical backup of the warehouse to the backup bucket: the database in pg_dump's
# custom format and the cluster's roles (without passwords: those live in Parameter
# Store). Run by clickstream-backup.timer; the restore drill is in docs/runbook.md.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/clickstream/stack.env
: "${BACKUP_BUCKET:?}" "${AWS_REGION:?}"
export AWS_DEFAULT_REGION=$AWS_REGION
readonly DATABASE=clickstream
readonly MARKER=/var/lib/clickstream/last-backup-at

stamp=$(date -u +%Y%m%dT%H%M%SZ)
prefix="s3://$BACKUP_BUCKET/postgres/$(date -u +%Y/%m/%d)"

# --expected-size lets the CLI pick part sizes for a stream of up to ~500 GB.
runuser -u postgres -- pg_dump --format=custom --compress=6 --dbname="$DATABASE" |
    aws s3 cp --only-show-errors --expected-size 500000000000 - "$prefix/$DATABASE-$stamp.dump"
runuser -u postgres -- pg_dumpall --globals-only --no-role-passwords |
    aws s3 cp --only-show-errors - "$prefix/globals-$stamp.sql"

# The age of this marker is the BackupAgeHours metric (infra/ec2/after_load.py).
date -u +%s >"$MARKER.new"
chmod 0644 "$MARKER.new"
mv "$MARKER.new" "$MARKER"
echo "backup: $prefix/$DATABASE-$stamp.dump"

#!/usr/bin/env bash
# dbt by hand on the warehouse instance, as the transform role with the services' settings
# (installed as /usr/local/sbin/clickstream-dbt):
#   sudo clickstream-dbt build --full-refresh
#   sudo clickstream-dbt build --select fact_sessions+
# The five-minute transform timer is paused meanwhile, so two builds never overlap.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "clickstream-dbt: run it with sudo" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: sudo clickstream-dbt DBT_COMMAND [ARGS...]" >&2; exit 2; }
set -a
# shellcheck source=/dev/null
. /etc/clickstream/stack.env
# shellcheck source=/dev/null
. /etc/clickstream/runtime.env
# shellcheck source=/dev/null
. /run/clickstream/transform.env
set +a

systemctl stop clickstream-transform.timer
trap 'systemctl start clickstream-transform.timer' EXIT
while systemctl is-active --quiet clickstream-transform.service; do
    echo "clickstream-dbt: waiting for the running transform tick to finish" >&2
    sleep 10
done
cd "$CLICKSTREAM_APP_DIR"
runuser -u clickstream -- "$CLICKSTREAM_DBT_COMMAND" "$@" --target "${DBT_TARGET:-prod}" \
    --vars "{\"reporting_timezone\": \"$REPORTING_TIMEZONE\"}"

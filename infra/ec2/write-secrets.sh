#!/usr/bin/env bash
# Fetches the database passwords from Parameter Store into one environment file per
# service under /run/clickstream (tmpfs, root only; systemd reads them as root before
# dropping privileges), so each service holds only its own role's password.
# Run by clickstream-secrets.service; re-run it after rotating a password (docs/runbook.md).
set -euo pipefail
# shellcheck source=/dev/null
. /etc/clickstream/stack.env
: "${PARAMETER_PREFIX:?}" "${AWS_REGION:?}"
export AWS_DEFAULT_REGION=$AWS_REGION
readonly RUN_DIR=/run/clickstream

parameter() {
    aws ssm get-parameter --with-decryption --name "$PARAMETER_PREFIX/$1" \
        --query Parameter.Value --output text
}

# systemd environment files take a value in single quotes verbatim; refuse what would
# break out of them rather than write a file that means something else.
env_line() {
    local name=$1 value=$2
    case $value in
        *"'"* | *$'\n'* | *\\*)
            echo "write-secrets: $name contains a quote, backslash or newline;" \
                "set a password without them in $PARAMETER_PREFIX" >&2
            exit 1
            ;;
    esac
    printf "%s='%s'\n" "$name" "$value"
}

write_env_file() {
    local file=$1
    shift
    local temp
    temp=$(mktemp "$RUN_DIR/.env.XXXXXX")
    chmod 0600 "$temp"
    printf '%s\n' "$@" >"$temp"
    mv "$temp" "$RUN_DIR/$file"
}

install -d -m 0700 "$RUN_DIR"
transform=$(parameter db/transform-password)
reader=$(parameter db/reader-password)
# Assignments, so that a refused value stops the script (set -e).
transform_line=$(env_line CLICKSTREAM_TRANSFORM_PASSWORD "$transform")
dbt_line=$(env_line DBT_ENV_SECRET_PG_PASSWORD "$transform")
reader_line=$(env_line CLICKSTREAM_READER_PASSWORD "$reader")
write_env_file transform.env "$transform_line" "$dbt_line"
write_env_file reader.env "$reader_line"
echo "write-secrets: wrote transform.env and reader.env in $RUN_DIR"

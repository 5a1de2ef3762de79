#!/usr/bin/env bash
# Creates the SecureString parameters the stack reads, once per account, region and prefix:
#   PREFIX/ingest/user-id-salt         salt of the user_id hash (ingest Lambda)
#   PREFIX/db/loader-password          role clickstream_loader (loader Lambda)
#   PREFIX/db/transform-password       role clickstream_transform (dbt on the instance)
#   PREFIX/db/reader-password          role clickstream_reader (dashboard)
# CloudFormation cannot create SecureString parameters, hence this script. Existing
# parameters are left alone, unless --rotate names one: it then gets a new random value
# (what to do after a rotation is in docs/runbook.md).
#   usage: infra/create-secrets.sh [--rotate NAME] [PREFIX]     (default PREFIX /clickstream)
#   e.g.   infra/create-secrets.sh --rotate db/loader-password
set -euo pipefail

names=(ingest/user-id-salt db/loader-password db/transform-password db/reader-password)
rotate=
if [ "${1:-}" = --rotate ]; then
    rotate=${2:?usage: infra/create-secrets.sh --rotate NAME [PREFIX]}
    shift 2
    case " ${names[*]} " in
        *" $rotate "*) ;;
        *) echo "create-secrets: --rotate takes one of: ${names[*]}" >&2 && exit 2 ;;
    esac
fi
prefix=${1:-/clickstream}
case $prefix in
    /*) ;;
    *) echo "create-secrets: PREFIX must start with / (got $prefix)" >&2 && exit 2 ;;
esac
command -v aws >/dev/null || { echo "create-secrets: the AWS CLI v2 is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "create-secrets: python3 is required" >&2; exit 1; }

# The value goes to the CLI on stdin, never on a command line; URL-safe characters only,
# so it fits a connection URL and a systemd environment file unquoted.
put_random_secret() {
    local parameter=$1 overwrite=$2
    python3 - "$parameter" "$overwrite" <<'PY' | aws ssm put-parameter --cli-input-json file:///dev/stdin >/dev/null
import json, secrets, sys
print(json.dumps({
    "Name": sys.argv[1],
    "Type": "SecureString",
    "Value": secrets.token_urlsafe(32),
    "Description": "clickstream secret (infra/create-secrets.sh)",
    "Overwrite": sys.argv[2] == "true",
}))
PY
}

if [ -n "$rotate" ]; then
    put_random_secret "$prefix/$rotate" true
    echo "create-secrets: rotated $prefix/$rotate; now follow docs/runbook.md (Rotating secrets)"
    exit 0
fi
for name in "${names[@]}"; do
    parameter="$prefix/$name"
    if aws ssm get-parameter --name "$parameter" >/dev/null 2>&1; then
        echo "create-secrets: $parameter exists, left as it is"
        continue
    fi
    put_random_secret "$parameter" false
    echo "create-secrets: created $parameter"
done

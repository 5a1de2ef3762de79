#!/usr/bin/env bash
# From a checkout to a running stack, and every upgrade after: build the artifacts, upload
# them to the artifact bucket, deploy infra/template.yaml, install the new release on the
# warehouse instance. Prerequisites and the first-time steps: docs/deploy.md.
#   usage: infra/deploy.sh STACK_NAME PARAMETERS_FILE      (see infra/parameters.example.env)
# Environment: AWS_REGION / AWS_PROFILE as for the AWS CLI; PYTHON (default .venv/bin/python).
set -euo pipefail

stack=${1:?usage: infra/deploy.sh STACK_NAME PARAMETERS_FILE}
parameters_file=${2:?usage: infra/deploy.sh STACK_NAME PARAMETERS_FILE}
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}

fail() {
    echo "deploy: $*" >&2
    exit 1
}

command -v aws >/dev/null || fail "the AWS CLI v2 is required (https://aws.amazon.com/cli/)"
[ -x "$python" ] || fail "$python not found; run 'make install' or set PYTHON"
[ -f "$parameters_file" ] || fail "$parameters_file not found; copy infra/parameters.example.env"

region=${AWS_REGION:-$(aws configure get region || true)}
[ -n "$region" ] || fail "no region: set AWS_REGION or 'aws configure set region ...'"
export AWS_REGION=$region AWS_DEFAULT_REGION=$region
account=$(aws sts get-caller-identity --query Account --output text)
bucket="clickstream-artifacts-$account-$region"

overrides=()
while IFS= read -r line || [ -n "$line" ]; do
    case $line in '' | '#'*) continue ;; esac
    overrides+=("$line")
done <"$parameters_file"
prefix=/clickstream
image=
for item in "${overrides[@]}"; do
    case $item in
        ParameterPrefix=*) prefix=${item#ParameterPrefix=} ;;
        InstanceImageId=*) image=${item#InstanceImageId=} ;;
    esac
done

# The instance's image is chosen once, on the first deploy; later deploys keep the stack's
# value. Amazon Linux is upgraded in place (docs/runbook.md): a new image id would replace
# the instance, and the new one cannot take over the data volume the old one holds.
if [ -z "$image" ] && ! aws cloudformation describe-stacks --stack-name "$stack" >/dev/null 2>&1; then
    image=$(aws ssm get-parameter --query Parameter.Value --output text \
        --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64)
    echo "deploy: new stack; warehouse image $image (latest Amazon Linux 2023 arm64)"
    overrides+=("InstanceImageId=$image")
fi

echo "deploy: checking the secrets under $prefix"
for name in ingest/user-id-salt db/loader-password db/transform-password db/reader-password; do
    aws ssm get-parameter --name "$prefix/$name" >/dev/null 2>&1 ||
        fail "$prefix/$name is missing; run infra/create-secrets.sh $prefix first"
done

ensure_artifact_bucket() {
    if aws s3api head-bucket --bucket "$bucket" 2>/dev/null; then
        return
    fi
    echo "deploy: creating the artifact bucket $bucket"
    if [ "$region" = us-east-1 ]; then
        aws s3api create-bucket --bucket "$bucket" >/dev/null
    else
        aws s3api create-bucket --bucket "$bucket" \
            --create-bucket-configuration "LocationConstraint=$region" >/dev/null
    fi
    aws s3api put-public-access-block --bucket "$bucket" --public-access-block-configuration \
        BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
    aws s3api put-bucket-encryption --bucket "$bucket" --server-side-encryption-configuration \
        '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":true}]}'
    aws s3api put-bucket-policy --bucket "$bucket" --policy "$(printf '%s' \
        '{"Version":"2012-10-17","Statement":[{"Sid":"TlsOnly","Effect":"Deny","Principal":"*",' \
        '"Action":"s3:*","Resource":["arn:aws:s3:::'"$bucket"'","arn:aws:s3:::'"$bucket"'/*"],' \
        '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}')"
}

manifest_value() {
    "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' \
        "$root/build/infra/manifest.json" "$1" "$2"
}

upload() {
    local file key
    file=$(manifest_value "$1" file)
    key=$(manifest_value "$1" key)
    if aws s3api head-object --bucket "$bucket" --key "$key" >/dev/null 2>&1; then
        echo "deploy: s3://$bucket/$key is already uploaded" >&2
    else
        aws s3 cp --only-show-errors "$file" "s3://$bucket/$key"
        echo "deploy: uploaded s3://$bucket/$key" >&2
    fi
    echo "$key"
}

echo "deploy: building the Lambda zips and the instance bundle"
"$python" "$root/infra/package.py"
ensure_artifact_bucket
ingest_key=$(upload ingest)
loader_key=$(upload loader)
bundle_key=$(upload instance)

echo "deploy: deploying stack $stack in $region"
aws cloudformation deploy \
    --stack-name "$stack" \
    --template-file "$root/infra/template.yaml" \
    --s3-bucket "$bucket" --s3-prefix templates \
    --capabilities CAPABILITY_IAM \
    --no-fail-on-empty-changeset \
    --parameter-overrides "${overrides[@]}" \
    "ArtifactBucket=$bucket" "IngestCodeKey=$ingest_key" "LoaderCodeKey=$loader_key" \
    "InstanceBundleKey=$bundle_key"

instance=$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='DataInstanceId'].OutputValue" --output text)
online=$(aws ssm describe-instance-information \
    --filters "Key=InstanceIds,Values=$instance" --query "InstanceInformationList[0].PingStatus" \
    --output text 2>/dev/null || true)
if [ "$online" != Online ]; then
    echo "deploy: instance $instance is not online in Systems Manager yet; a new instance"
    echo "deploy: installs the release itself on first boot (log: /var/log/clickstream-install.log)"
    exit 0
fi
echo "deploy: installing the release on $instance"
command_id=$(aws ssm send-command --instance-ids "$instance" --document-name AWS-RunShellScript \
    --comment "clickstream $bundle_key" --parameters commands=/usr/local/sbin/clickstream-install \
    --timeout-seconds 1800 --query Command.CommandId --output text)
if aws ssm wait command-executed --command-id "$command_id" --instance-id "$instance"; then
    echo "deploy: done"
else
    fail "the install on $instance did not succeed; see: aws ssm get-command-invocation" \
        "--command-id $command_id --instance-id $instance"
fi

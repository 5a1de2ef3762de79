#!/usr/bin/env bash
# Bootstrap, and every later upgrade, of the warehouse instance (Amazon Linux 2023, arm64).
# Run as root by /usr/local/sbin/clickstream-install (the stack's user data) with the
# unpacked release: RELEASE/app is the project, RELEASE/wheels every wheel it needs.
#
# The instance has no internet route: dnf reaches Amazon Linux's repositories and the
# release bundle comes from S3 through the gateway endpoint; Parameter Store and CloudWatch
# through interface endpoints. Every step checks before it changes anything, so re-running
# the whole script is how an upgrade or a changed setting is applied.
set -euo pipefail

release=${1:?usage: bootstrap.sh RELEASE_DIR}
# shellcheck source=/dev/null
. /etc/clickstream/stack.env
: "${STACK_NAME:?}" "${AWS_REGION:?}" "${PARAMETER_PREFIX:?}" "${BACKUP_BUCKET:?}"
: "${LOADER_SUBNET_CIDRS:?}" "${DATA_VOLUME_ID:?}" "${REPORTING_TIMEZONE:?}"
export AWS_DEFAULT_REGION=$AWS_REGION

readonly PG_MAJOR=16
readonly PG_HOME=/var/lib/pgsql
readonly PGDATA=$PG_HOME/data
readonly STATE_DIR=/var/lib/clickstream
readonly SERVICE_USER=clickstream
readonly DATABASE=clickstream
readonly CURRENT=/opt/clickstream/current

log() { echo "bootstrap: $*"; }

install_packages() {
    log "installing Postgres $PG_MAJOR and Python 3.12"
    dnf install -y -q "postgresql$PG_MAJOR-server" "postgresql$PG_MAJOR" python3.12 python3.12-pip \
        openssl xfsprogs util-linux
}

# The data volume is attached by CloudFormation after the instance starts; on Nitro its
# NVMe serial number is the volume id without the dash.
mount_data_volume() {
    local device="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${DATA_VOLUME_ID//-/}"
    local waited=0
    until [ -e "$device" ]; do
        if [ "$waited" -ge 900 ]; then
            echo "bootstrap: data volume $DATA_VOLUME_ID never appeared at $device;" \
                "check the DataVolumeAttachment in the stack's events" >&2
            exit 1
        fi
        sleep 5
        waited=$((waited + 5))
    done
    if ! blkid "$device" >/dev/null 2>&1; then
        log "formatting the new data volume $DATA_VOLUME_ID"
        mkfs.xfs -q -L pgdata "$device"
    fi
    local uuid
    uuid=$(blkid -s UUID -o value "$device")
    if ! grep -q "UUID=$uuid" /etc/fstab; then
        echo "UUID=$uuid $PG_HOME xfs defaults,noatime,nofail 0 2" >>/etc/fstab
    fi
    install -d "$PG_HOME"
    mountpoint -q "$PG_HOME" || mount "$PG_HOME"
    chown postgres:postgres "$PG_HOME"
    chmod 0700 "$PG_HOME"
}

create_service_user() {
    if ! id "$SERVICE_USER" >/dev/null 2>&1; then
        useradd --system --home-dir "$STATE_DIR" --shell /sbin/nologin "$SERVICE_USER"
    fi
    install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0750 "$STATE_DIR" \
        "$STATE_DIR/dbt" "$STATE_DIR/site"
    install -d -o "$SERVICE_USER" -g "$SERVICE_USER" -m 0755 "$STATE_DIR/site/docs"
    [ -f "$STATE_DIR/bootstrapped-at" ] || date -u +%s >"$STATE_DIR/bootstrapped-at"
}

install_release() {
    local venv="$release/venv"
    if [ ! -x "$venv/bin/clickstream" ]; then
        log "installing the release into $venv (offline, from the bundle's wheels)"
        python3.12 -m venv "$venv"
        "$venv/bin/pip" install --quiet --no-index --find-links "$release/wheels" \
            --editable "$release/app"
    fi
    ln -sfn "$release" "$CURRENT.new"
    mv -T "$CURRENT.new" "$CURRENT"
}

parameter() {
    aws ssm get-parameter --with-decryption --name "$PARAMETER_PREFIX/$1" \
        --query Parameter.Value --output text
}

memory_mb() {
    awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo
}

private_ip() {
    local token
    token=$(curl -sf -X PUT http://169.254.169.254/latest/api/token \
        -H "X-aws-ec2-metadata-token-ttl-seconds: 60")
    curl -sf -H "X-aws-ec2-metadata-token: $token" \
        http://169.254.169.254/latest/meta-data/local-ipv4
}

write_postgres_config() {
    local memory cidr
    memory=$(memory_mb)
    cat >"$PGDATA/clickstream.conf" <<EOF
# Written by infra/ec2/bootstrap.sh on every install; edit there, not here.
listen_addresses = 'localhost,$(private_ip)'
port = 5432
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
max_connections = 50
shared_buffers = '$((memory / 4))MB'
effective_cache_size = '$((memory / 2))MB'
work_mem = '16MB'
maintenance_work_mem = '128MB'
timezone = 'UTC'
log_timezone = 'UTC'
log_min_duration_statement = 5000
EOF
    # The loader connects from its Lambda subnets only, over TLS, with a scram password;
    # dbt and the dashboard on this host over loopback. Anything else matches no line
    # and is refused (and the security group admits only the loader on 5432).
    {
        echo "# Written by infra/ec2/bootstrap.sh on every install; edit there, not here."
        echo "local   all          postgres                                   peer"
        echo "host    $DATABASE  clickstream_transform,clickstream_reader   127.0.0.1/32  scram-sha-256"
        for cidr in ${LOADER_SUBNET_CIDRS//,/ }; do
            echo "hostssl $DATABASE  clickstream_loader  $cidr  scram-sha-256"
        done
    } >"$PGDATA/pg_hba.conf"
    chown postgres:postgres "$PGDATA/clickstream.conf" "$PGDATA/pg_hba.conf"
    chmod 0600 "$PGDATA/clickstream.conf" "$PGDATA/pg_hba.conf"
}

configure_postgres() {
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        log "initialising the cluster in $PGDATA"
        postgresql-setup --initdb
    fi
    if [ ! -f "$PGDATA/server.key" ]; then
        # Self-signed: the loader asks for an encrypted channel (sslmode=require) inside
        # the VPC; there is no public name to certify.
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=clickstream-warehouse" \
            -keyout "$PGDATA/server.key" -out "$PGDATA/server.crt" 2>/dev/null
        chown postgres:postgres "$PGDATA/server.key" "$PGDATA/server.crt"
        chmod 0600 "$PGDATA/server.key"
    fi
    if ! grep -q "^include_if_exists = 'clickstream.conf'" "$PGDATA/postgresql.conf"; then
        echo "include_if_exists = 'clickstream.conf'" >>"$PGDATA/postgresql.conf"
    fi
    write_postgres_config
    systemctl enable postgresql
    # listen_addresses needs a restart; a restart every install is a few seconds.
    systemctl restart postgresql
}

# Roles, schemas and raw tables come from the project's own bootstrap; the role passwords
# from Parameter Store, in this shell's environment only (never on a command line).
bootstrap_database() {
    if ! runuser -u postgres -- psql -qAtc "select 1 from pg_database where datname = '$DATABASE'" |
        grep -q 1; then
        runuser -u postgres -- createdb "$DATABASE"
    fi
    CLICKSTREAM_LOADER_PASSWORD=$(parameter db/loader-password)
    CLICKSTREAM_TRANSFORM_PASSWORD=$(parameter db/transform-password)
    CLICKSTREAM_READER_PASSWORD=$(parameter db/reader-password)
    export CLICKSTREAM_LOADER_PASSWORD CLICKSTREAM_TRANSFORM_PASSWORD CLICKSTREAM_READER_PASSWORD
    DATABASE_URL="postgresql:///$DATABASE?host=/run/postgresql" \
        runuser -u postgres -- "$CURRENT/venv/bin/clickstream" db bootstrap
    unset CLICKSTREAM_LOADER_PASSWORD CLICKSTREAM_TRANSFORM_PASSWORD CLICKSTREAM_READER_PASSWORD
}

# Settings every service reads (no secrets: those are in /run/clickstream, written by
# clickstream-secrets.service).
write_runtime_env() {
    cat >/etc/clickstream/runtime.env <<EOF
DATABASE_URL=postgresql://127.0.0.1:5432/$DATABASE
CLICKSTREAM_STATE_DIR=$STATE_DIR
HOME=$STATE_DIR
DBT_PG_HOST=127.0.0.1
DBT_PG_PORT=5432
DBT_PG_USER=clickstream_transform
DBT_PG_DBNAME=$DATABASE
DBT_PROFILES_DIR=$CURRENT/app
DBT_TARGET_PATH=$STATE_DIR/dbt/target
DBT_LOG_PATH=$STATE_DIR/dbt/logs
DBT_SEND_ANONYMOUS_USAGE_STATS=false
CLICKSTREAM_APP_DIR=$CURRENT/app
CLICKSTREAM_DBT_COMMAND=$CURRENT/venv/bin/dbt
CLICKSTREAM_DATA_DIR=$PGDATA
EOF
    chmod 0644 /etc/clickstream/runtime.env
}

install_units() {
    install -m 0755 "$CURRENT/app/infra/ec2/write-secrets.sh" /usr/local/sbin/clickstream-write-secrets
    install -m 0755 "$CURRENT/app/infra/ec2/backup.sh" /usr/local/sbin/clickstream-backup
    install -m 0755 "$CURRENT/app/infra/ec2/run-dbt.sh" /usr/local/sbin/clickstream-dbt
    install -m 0644 "$CURRENT"/app/infra/ec2/systemd/*.service "$CURRENT"/app/infra/ec2/systemd/*.timer \
        /etc/systemd/system/
    systemctl daemon-reload
    systemctl restart clickstream-secrets.service
    # restart, not just start: a changed timer takes effect only then.
    systemctl enable clickstream-transform.timer clickstream-backup.timer
    systemctl restart clickstream-transform.timer clickstream-backup.timer
    systemctl enable clickstream-dashboard.service clickstream-docs.service
    systemctl restart clickstream-dashboard.service clickstream-docs.service
}

# Keeps the running release and the newest other one (to roll back to).
remove_old_releases() {
    local keep
    keep=$(readlink -f "$CURRENT")
    find /opt/clickstream/releases -mindepth 1 -maxdepth 1 -type d ! -path "$keep" \
        -printf '%T@ %p\n' | sort -rn | tail -n +2 | cut -d' ' -f2- | xargs -r rm -rf
}

main() {
    install_packages
    mount_data_volume
    create_service_user
    install_release
    configure_postgres
    bootstrap_database
    write_runtime_env
    install_units
    remove_old_releases
    log "done: release $(basename "$release"), reporting time zone $REPORTING_TIMEZONE"
}

main

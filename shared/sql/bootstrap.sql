-- Schemas, raw tables and grants. Run by `clickstream db bootstrap` as an administrator;
-- idempotent. The raw tables belong to the administrator, never to an application role:
-- the loader may only add rows, dbt may only read them.

create schema if not exists raw;

-- One row per landed line of a raw/ object. (object_key, line_no) is the line's identity
-- in the lake: the primary key makes a double load impossible even if the manifest were bypassed.
create table if not exists raw.events (
    object_key text not null,
    line_no integer not null,
    load_id uuid not null,
    loaded_at timestamptz not null default now(),
    payload jsonb not null,
    primary key (object_key, line_no)
);
comment on table raw.events is
    'One row per valid line of a raw/ lake object, as landed by the loader (payload = the event JSON).';
-- loaded_at only grows, so a BRIN index costs almost nothing on COPY and serves dbt''s cursor.
create index if not exists events_loaded_at_brin on raw.events using brin (loaded_at);

-- One row per line that did not become a raw.events row: refused by the ingest API
-- (objects under invalid/) or by the loader (not JSON, too large, bad encoding).
create table if not exists raw.events_rejected (
    object_key text not null,
    line_no integer not null,
    load_id uuid not null,
    loaded_at timestamptz not null default now(),
    stage text not null check (stage in ('ingest', 'loader')),
    reason text not null,
    detail text,
    received_at timestamptz,
    event_id text,
    raw_line bytea not null,
    raw_bytes integer not null,
    primary key (object_key, line_no)
);
comment on table raw.events_rejected is
    'One row per lake line that was refused, with the stage, the reason and the exact bytes (truncated to the loader''s line limit; raw_bytes is the full length).';
create index if not exists events_rejected_loaded_at_brin
    on raw.events_rejected using brin (loaded_at);

-- One row per object loaded, committed in the same transaction as the object's rows.
create table if not exists raw.load_manifest (
    object_key text primary key,
    etag text not null,
    bytes bigint not null,
    lines integer not null,
    rows_loaded integer not null,
    rows_rejected integer not null,
    load_id uuid not null,
    loaded_at timestamptz not null default now(),
    object_last_modified timestamptz
);
comment on table raw.load_manifest is
    'One row per lake object landed exactly once: lines = rows_loaded + rows_rejected.';

-- Objects that could not be read (corrupt or truncated gzip, unreadable); retried every run.
create table if not exists raw.load_failures (
    object_key text primary key,
    etag text not null,
    reason text not null,
    attempts integer not null default 1,
    first_failed_at timestamptz not null default now(),
    last_failed_at timestamptz not null default now(),
    last_load_id uuid not null
);
comment on table raw.load_failures is
    'One row per lake object that failed to load and is not yet loaded; removed once it loads.';

-- One row per loader run.
create table if not exists raw.load_runs (
    load_id uuid primary key,
    started_at timestamptz not null,
    finished_at timestamptz,
    status text not null check (status in ('running', 'succeeded', 'failed')),
    objects_loaded integer not null default 0,
    objects_failed integer not null default 0,
    rows_loaded bigint not null default 0,
    rows_rejected bigint not null default 0,
    bytes_loaded bigint not null default 0,
    seconds double precision,
    lag_seconds double precision,
    error text
);
comment on table raw.load_runs is 'One row per loader run, with its totals.';

revoke all on schema raw from public;
grant usage on schema raw to clickstream_loader, clickstream_transform;
grant insert on raw.events, raw.events_rejected to clickstream_loader;
grant select, insert on raw.load_manifest to clickstream_loader;
grant select, insert, update, delete on raw.load_failures to clickstream_loader;
grant select, insert, update on raw.load_runs to clickstream_loader;
grant select on all tables in schema raw to clickstream_transform;

create schema if not exists reference authorization clickstream_transform;
create schema if not exists staging authorization clickstream_transform;
create schema if not exists intermediate authorization clickstream_transform;
create schema if not exists marts authorization clickstream_transform;

-- The dashboard reads marts and nothing else, read-only.
grant usage on schema marts to clickstream_reader;
grant select on all tables in schema marts to clickstream_reader;
alter default privileges for role clickstream_transform in schema marts
    grant select on tables to clickstream_reader;
alter role clickstream_reader set default_transaction_read_only = on;

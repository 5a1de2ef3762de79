{{ config(materialized='view') }}

{#- One row, computed when queried (checked_at = now()): how fresh the data is. Loader
    figures are read live from the raw tables (through the staging views), warehouse
    figures as of the last dbt build. -#}

with

load_runs as (
    select * from {{ ref('stg_raw__load_runs') }}
),

load_failures as (
    select * from {{ ref('stg_raw__load_failures') }}
),

arrivals as (
    select * from {{ ref('int_arrivals_latest') }}
),

latest_run as (
    select
        load_status,
        finished_at
    from load_runs
    order by started_at desc
    limit 1
),

-- Subqueries, not joins: the row exists even before the first load or build.
final as (
    select
        now() as checked_at,
        (
            select max(load_runs.finished_at)
            from load_runs
            where load_runs.objects_loaded > 0
        ) as last_loaded_at,
        (select arrivals.last_received_at from arrivals) as last_received_at,
        (select arrivals.last_event_at from arrivals) as last_event_at,
        (select count(*) from load_failures) as failed_objects,
        (select latest_run.load_status from latest_run) as last_load_status,
        (select latest_run.finished_at from latest_run) as last_load_finished_at,
        (select arrivals.processed_at from arrivals) as last_built_at,
        (
            select
                cast(
                    extract(epoch from now() - arrivals.last_received_at) as double precision
                )
            from arrivals
        ) as seconds_since_last_received
)

select * from final

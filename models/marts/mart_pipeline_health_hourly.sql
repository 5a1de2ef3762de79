{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='hour_at',
        touched_kind='hours',
    )
}}

{#- One row per load hour (the hour the loader committed the objects): objects and rows
    landed, rows rejected at any stage, bot and duplicate events among them, and how long
    objects waited in the lake. Each figure is read through an index on load time, so an
    hour is cheap to recompute however many rows it landed. -#}

with

manifest as (
    select * from {{ ref('stg_raw__load_manifest') }}
),

hours as (
    {% if is_incremental() %}
        {{ touched_keys('hours') }}
    {% else %}
        select distinct {{ reporting_hour('loaded_at') }} as hour_at
        from manifest
    {% endif %}
),

objects as (
    select
        hours.hour_at,
        count(*) as objects_loaded,
        sum(manifest.rows_loaded) as rows_loaded,
        sum(manifest.rows_rejected) as rows_rejected_on_load,
        max(extract(epoch from manifest.loaded_at - manifest.object_written_at))
            as max_lag_seconds,
        avg(extract(epoch from manifest.loaded_at - manifest.object_written_at))
            as avg_lag_seconds
    from hours
    inner join manifest
        on
            hours.hour_at <= manifest.loaded_at
            and hours.hour_at + interval '1 hour' > manifest.loaded_at
    group by hours.hour_at
),

staged_counts as (
    select
        hours.hour_at,
        count(*) filter (where staged.is_duplicate) as duplicate_events,
        count(*) filter (where not staged.is_valid) as invalid_events
    from hours
    inner join {{ ref('stg_raw__events') }} as staged
        on
            hours.hour_at <= staged.loaded_at
            and hours.hour_at + interval '1 hour' > staged.loaded_at
            and (staged.is_duplicate or not staged.is_valid)
    group by hours.hour_at
),

bot_counts as (
    select
        hours.hour_at,
        count(*) as bot_events
    from hours
    inner join {{ ref('fact_events') }} as fact_events
        on
            hours.hour_at <= fact_events.loaded_at
            and hours.hour_at + interval '1 hour' > fact_events.loaded_at
            and fact_events.is_bot
    group by hours.hour_at
),

final as (
    select
        objects.hour_at,
        objects.objects_loaded,
        objects.rows_loaded,
        objects.rows_rejected_on_load + coalesce(staged_counts.invalid_events, 0)
            as rows_rejected,
        coalesce(bot_counts.bot_events, 0) as bot_events,
        coalesce(staged_counts.duplicate_events, 0) as duplicate_events,
        coalesce(staged_counts.invalid_events, 0) as invalid_events,
        cast(objects.max_lag_seconds as double precision) as max_lag_seconds,
        cast(objects.avg_lag_seconds as double precision) as avg_lag_seconds,
        {{ processed_at() }} as processed_at
    from objects
    left join staged_counts on objects.hour_at = staged_counts.hour_at
    left join bot_counts on objects.hour_at = bot_counts.hour_at
)

select * from final

-- Incremental runs find the touched load hours in these (macros/incremental.sql):
-- name them for dbt's DAG.
-- depends_on: {{ ref('stg_raw__load_manifest') }}
-- depends_on: {{ ref('stg_raw__events') }}
-- depends_on: {{ ref('fact_events') }}

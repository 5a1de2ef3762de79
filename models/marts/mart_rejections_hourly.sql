{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='hour_at',
        touched_kind='hours',
    )
}}

{#- One row per load hour, stage and reason with rejected lines: refused by the ingest API
    (lines under invalid/), by the loader (not JSON, too large, bad encoding) or by the
    warehouse (a landed line missing what every event needs; see stg_raw__events). -#}

with

hours as (
    {% if is_incremental() %}
        {{ touched_keys('hours') }}
    {% else %}
        select distinct {{ reporting_hour('loaded_at') }} as hour_at
        from {{ ref('stg_raw__load_manifest') }}
    {% endif %}
),

rejected_lines as (
    select
        loaded_at,
        stage,
        reason
    from {{ ref('stg_raw__events_rejected') }}
    union all
    select
        loaded_at,
        'warehouse' as stage,
        invalid_reason as reason
    from {{ ref('stg_raw__events') }}
    where not is_valid and not is_duplicate
),

final as (
    select
        hours.hour_at,
        rejected_lines.stage,
        rejected_lines.reason,
        count(*) as rows_rejected,
        {{ processed_at() }} as processed_at
    from hours
    inner join rejected_lines
        on
            hours.hour_at <= rejected_lines.loaded_at
            and hours.hour_at + interval '1 hour' > rejected_lines.loaded_at
    group by hours.hour_at, rejected_lines.stage, rejected_lines.reason
)

select * from final

-- Incremental runs find the touched load hours in these (macros/incremental.sql):
-- name them for dbt's DAG.
-- depends_on: {{ ref('stg_raw__load_manifest') }}
-- depends_on: {{ ref('stg_raw__events') }}
-- depends_on: {{ ref('fact_events') }}

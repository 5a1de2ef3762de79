{{
    config(
        materialized='incremental',
        unique_key='scope',
        incremental_strategy='delete+insert',
    )
}}

{#- One row: the newest received_at and event time among the landed, valid event rows.
    Rows never leave staging, so the newest values only grow: an incremental run compares
    the new rows with the stored row instead of scanning all of staging. -#}

with

new_rows as (
    select
        max(received_at) as last_received_at,
        max(event_at) filter (where not is_out_of_window) as last_event_at
    from {{ ref('stg_raw__events') }}
    where
        is_valid
        and {{ in_incremental_runs('processed_at > ' ~ watermark()) }}
),

{% if is_incremental() %}
    merged as (
        select
            greatest(previous.last_received_at, new_rows.last_received_at) as last_received_at,
            greatest(previous.last_event_at, new_rows.last_event_at) as last_event_at
        from new_rows
        left join {{ this }} as previous on true
    ),
{% else %}
    merged as (
        select * from new_rows
    ),
{% endif %}

final as (
    select
        'warehouse' as scope,
        last_received_at,
        last_event_at,
        {{ processed_at() }} as processed_at
    from merged
)

select * from final

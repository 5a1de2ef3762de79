{{
    config(
        materialized='incremental',
        unique_key=['user_id', 'anonymous_id'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['user_id', 'anonymous_id'], 'unique': True},
            {'columns': ['processed_at']},
        ],
    )
}}

{#- One row per user_id and anonymous_id it was seen on (a signed-in event): which devices
    a user has used. The change log asks it whether a visitor's new identity merges them
    with a user already active on another device. Pairs never disappear: incremental runs
    add the pairs of the newly landed events. -#}

with

identified_events as (
    select
        user_id,
        anonymous_id
    from {{ ref('int_events_distinct') }}
    where
        user_id is not null
        and {{ in_incremental_runs('processed_at > ' ~ watermark()) }}
),

final as (
    select distinct
        user_id,
        anonymous_id,
        {{ processed_at() }} as processed_at
    from identified_events
)

select * from final

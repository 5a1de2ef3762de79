{{
    config(
        materialized='incremental',
        unique_key='anonymous_id',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['anonymous_id'], 'unique': True},
            {'columns': ['changed_at']},
            {'columns': ['processed_at']},
        ],
        post_hook="{{ refresh_statistics(['changed_at', 'processed_at']) }}",
    )
}}

{#- Identity stitching: each anonymous_id that ever carried a user_id maps to the first
    user_id seen on it (by event time, then event id). Incremental runs recompute the
    visitors with newly landed identified rows from all their identified events;
    `changed_at` moves only when a visitor's user_id changes, and the change log then
    reprocesses every session of that visitor; `previous_user_id` is the user_id before that
    change (null when the visitor was anonymous until then). -#}

with

{% if is_incremental() %}
    visitors_to_recompute as (
        select distinct anonymous_id
        from {{ ref('int_events_distinct') }}
        where
            processed_at > {{ watermark() }}
            and user_id is not null
    ),
{% endif %}

identified_events as (
    select
        distinct_events.anonymous_id,
        distinct_events.user_id,
        distinct_events.event_at,
        distinct_events.event_id
    from {{ ref('int_events_distinct') }} as distinct_events
    where
        distinct_events.user_id is not null
        and {{ in_incremental_runs(any_of(
            'distinct_events.anonymous_id',
            'select visitors_to_recompute.anonymous_id from visitors_to_recompute'
        )) }}
),

first_identities as (
    select distinct on (anonymous_id)
        anonymous_id,
        user_id,
        event_at as identified_at,
        event_id as identified_by_event_id
    from identified_events
    order by anonymous_id asc, event_at asc, event_id asc
),

final as (
    select
        first_identities.anonymous_id,
        first_identities.user_id,
        first_identities.identified_at,
        first_identities.identified_by_event_id,
        {% if is_incremental() %}
            case
                when previous.user_id = first_identities.user_id then previous.changed_at
                else {{ processed_at() }}
            end as changed_at,
            case
                when previous.user_id = first_identities.user_id then previous.previous_user_id
                else previous.user_id
            end as previous_user_id,
        {% else %}
            {{ processed_at() }} as changed_at,
            cast(null as text) as previous_user_id,
        {% endif %}
        {{ processed_at() }} as processed_at
    from first_identities
    {% if is_incremental() %}
        left join {{ this }} as previous
            on first_identities.anonymous_id = previous.anonymous_id
    {% endif %}
)

select * from final

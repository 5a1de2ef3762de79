{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='session_id',
        touched_kind='sessions',
        indexes=[
            {'columns': ['session_date']},
            {'columns': ['processed_at']},
        ],
        post_hook="{{ refresh_statistics() }}",
    )
}}

{#- One row per human session. A session whose landing came back from the shop itself or
    from a payment provider (and carries no campaign tags) keeps the channel of the same
    visitor's previous attributable session: the window below carries it forward. -#}

with

{% if is_incremental() %}
    touched_visitors as (
        select distinct touched.anonymous_id
        from {{ ref('int_sessions_aggregated') }} as touched
        where {{ is_touched('touched.session_id', 'sessions') }}
    ),
{% endif %}

-- Every human session of the touched sessions' visitors: the inheritance window needs them.
sessions as (
    select * from {{ ref('int_sessions_aggregated') }}
    where
        not is_bot
        and {{ in_incremental_runs(any_of(
            'anonymous_id', 'select touched_visitors.anonymous_id from touched_visitors'
        )) }}
),

attribution_groups as (
    select
        *,
        count(*) filter (where not is_attribution_inherited) over (
            partition by anonymous_id
            order by session_start_at, session_id
            rows between unbounded preceding and current row
        ) as attribution_group
    from sessions
),

inherited as (
    select
        *,
        first_value(channel) over visitor_group as group_channel,
        first_value(source) over visitor_group as group_source,
        first_value(medium) over visitor_group as group_medium,
        first_value(campaign) over visitor_group as group_campaign
    from attribution_groups
    window visitor_group as (
        partition by anonymous_id, attribution_group
        order by session_start_at, session_id
    )
),

final as (
    select
        session_id,
        anonymous_id,
        user_key,
        session_start_at,
        session_end_at,
        session_date,
        duration_seconds,
        page_views,
        event_count,
        is_bounce,
        device_type,
        country,
        case
            when not is_attribution_inherited then channel
            when attribution_group > 0 then group_channel
            else 'Internal'
        end as channel,
        case
            when not is_attribution_inherited then source
            when attribution_group > 0 then group_source
            else '(internal)'
        end as source,
        case
            when not is_attribution_inherited then medium
            when attribution_group > 0 then group_medium
            else '(none)'
        end as medium,
        case
            when not is_attribution_inherited then campaign
            when attribution_group > 0 then group_campaign
        end as campaign,
        is_attribution_inherited,
        landing_page_url,
        landing_referrer,
        referrer_host,
        reached_product_view,
        reached_add_to_cart,
        reached_checkout,
        reached_purchase,
        orders,
        revenue,
        {{ processed_at() }} as processed_at
    from inherited
    {% if is_incremental() %}
        -- A semi-join, not any_of: these rows are filtered, not looked up in an index.
        where session_id in ({{ touched_keys('sessions') }})
    {% endif %}
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}

{{
    config(
        materialized='incremental',
        incremental_strategy='replace_touched',
        touched_key='session_id',
        touched_kind='sessions',
        indexes=[
            {'columns': ['session_id'], 'unique': True},
            {'columns': ['anonymous_id', 'session_start_at']},
            {'columns': ['processed_at']},
        ],
        post_hook="{{ refresh_statistics() }}",
    )
}}

{#- One row per session, bots included: bounds, counts, funnel stages, the landing page's
    own attribution and the bot layers. Built from the session's distinct, in-window events;
    incremental runs rebuild the touched sessions. -#}

{%- set bot_rules_enabled = var('bot_rules_enabled') -%}

with

events as (
    select
        event_id,
        event_type,
        event_at,
        session_id,
        anonymous_id,
        user_id,
        page_url,
        referrer,
        device_type,
        country,
        user_agent,
        is_bot_user_agent,
        product_id,
        order_id,
        price,
        qty
    from {{ ref('int_events_distinct') }}
    where
        not is_out_of_window
        and {{ in_incremental_runs(is_touched('session_id', 'sessions')) }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

bot_user_agent_rules as (
    select * from {{ ref('bot_user_agent_rules') }}
),

channel_rules as (
    select * from {{ ref('channel_rules') }}
),

referral_exclusions as (
    select * from {{ ref('referral_exclusions') }}
),

session_totals as (
    select
        session_id,
        min(event_at) as session_start_at,
        max(event_at) as session_end_at,
        count(*) as event_count,
        count(*) filter (where event_type = 'view') as page_views,
        {{ first_non_null('user_id', 'event_at, event_id') }} as first_user_id,
        {{ first_non_null('country', 'event_at, event_id') }} as country,
        min(event_at) filter (
            where event_type = 'view' and product_id is not null
        ) as first_product_view_at,
        array_agg(event_at) filter (where event_type = 'add_to_cart') as add_to_cart_times,
        array_agg(event_at) filter (where event_type = 'checkout') as checkout_times,
        array_agg(event_at) filter (where event_type = 'purchase') as purchase_times,
        count(distinct order_id) filter (where event_type = 'purchase') as orders,
        coalesce(
            sum(price * coalesce(qty, 1)) filter (where event_type = 'purchase'), 0
        ) as revenue
    from events
    group by session_id
),

landings as (
    select distinct on (session_id)
        session_id,
        anonymous_id,
        device_type,
        page_url as landing_page_url,
        referrer as landing_referrer,
        {{ url_host('page_url') }} as landing_host,
        {{ url_host('referrer') }} as referrer_host,
        {{ url_parameter('page_url', 'utm_source') }} as utm_source,
        {{ url_parameter('page_url', 'utm_medium') }} as utm_medium,
        {{ url_parameter('page_url', 'utm_campaign') }} as utm_campaign,
        lower(substring(
            page_url from '[?&](gclid|gbraid|wbraid|dclid|msclkid)=[^&#]'
        )) as ad_click_id
    from events
    order by session_id asc, event_at asc, event_id asc
),

-- Funnel stages in order: each stage counts only at or after the previous one's first
-- event, found among the session's own (few) stage times.
funnel_stages as (
    select
        session_totals.session_id,
        carts.first_add_to_cart_at,
        checkouts.first_checkout_at,
        purchases.first_purchase_at
    from session_totals
    cross join
        lateral (
            select min(times.event_at) as first_add_to_cart_at
            from unnest(session_totals.add_to_cart_times) as times (event_at)
            where times.event_at >= session_totals.first_product_view_at
        ) as carts
    cross join
        lateral (
            select min(times.event_at) as first_checkout_at
            from unnest(session_totals.checkout_times) as times (event_at)
            where times.event_at >= carts.first_add_to_cart_at
        ) as checkouts
    cross join lateral (
        select min(times.event_at) as first_purchase_at
        from unnest(session_totals.purchase_times) as times (event_at)
        where times.event_at >= checkouts.first_checkout_at
    ) as purchases
),

-- Bot layer 1: the User-Agent. Rules are matched once per distinct User-Agent.
session_user_agents as (
    select distinct
        session_id,
        user_agent,
        is_bot_user_agent
    from events
),

distinct_user_agents as (
    select distinct user_agent
    from session_user_agents
),

user_agent_verdicts as (
    select
        agents.user_agent,
        coalesce(bool_or(bot_user_agent_rules.action = 'flag'), false) as is_flagged,
        coalesce(bool_or(bot_user_agent_rules.action = 'allow'), false) as is_allowed,
        string_agg(
            bot_user_agent_rules.rule_id, ', ' order by bot_user_agent_rules.rule_id
        ) as matched_rules
    from distinct_user_agents as agents
    left join bot_user_agent_rules
        on
            bot_user_agent_rules.is_enabled
            and lower(agents.user_agent) ~ bot_user_agent_rules.pattern
    group by agents.user_agent
),

user_agent_flags as (
    select
        session_user_agents.session_id,
        bool_or(
            (
                session_user_agents.is_bot_user_agent
                or coalesce(user_agent_verdicts.is_flagged, false)
            )
            and not coalesce(user_agent_verdicts.is_allowed, false)
        ) as is_bot_user_agent
    from session_user_agents
    left join user_agent_verdicts
        on session_user_agents.user_agent = user_agent_verdicts.user_agent
    group by session_user_agents.session_id
),

-- Referrers that never count as a source: the shop itself and payment providers.
referrer_hosts as (
    select distinct referrer_host
    from landings
    where referrer_host is not null
),

referrer_exclusions as (
    select
        referrer_hosts.referrer_host,
        min(referral_exclusions.kind) as exclusion_kind
    from referrer_hosts
    inner join referral_exclusions
        on referrer_hosts.referrer_host ~ referral_exclusions.host_pattern
    group by referrer_hosts.referrer_host
),

landing_signals as (
    select
        landings.*,
        case
            when landings.referrer_host = landings.landing_host then 'self'
            else referrer_exclusions.exclusion_kind
        end as referral_exclusion_kind
    from landings
    left join referrer_exclusions
        on landings.referrer_host = referrer_exclusions.referrer_host
),

attribution_inputs as (
    select
        *,
        case
            when referral_exclusion_kind is null then referrer_host
        end as attributed_referrer_host,
        utm_source is null
        and utm_medium is null
        and ad_click_id is null
        and referral_exclusion_kind is not null as is_attribution_inherited
    from landing_signals
),

-- Channel rules are matched once per distinct combination of the landing's signals.
signal_combinations as (
    select distinct
        coalesce(utm_source, '') as utm_source_key,
        coalesce(utm_medium, '') as utm_medium_key,
        coalesce(attributed_referrer_host, '') as referrer_host_key,
        ad_click_id is not null as has_ad_click_id
    from attribution_inputs
    where not is_attribution_inherited
),

combination_channels as (
    select distinct on (
        combinations.utm_source_key,
        combinations.utm_medium_key,
        combinations.referrer_host_key,
        combinations.has_ad_click_id
    )
        combinations.utm_source_key,
        combinations.utm_medium_key,
        combinations.referrer_host_key,
        combinations.has_ad_click_id,
        channel_rules.channel,
        channel_rules.default_medium
    from signal_combinations as combinations
    inner join channel_rules
        on
            (
                channel_rules.utm_source_pattern is null
                or nullif(combinations.utm_source_key, '') ~ channel_rules.utm_source_pattern
            )
            and (
                channel_rules.utm_medium_pattern is null
                or nullif(combinations.utm_medium_key, '') ~ channel_rules.utm_medium_pattern
            )
            and (
                channel_rules.referrer_host_pattern is null
                or nullif(combinations.referrer_host_key, '')
                ~ channel_rules.referrer_host_pattern
            )
            and (not channel_rules.needs_ad_click_id or combinations.has_ad_click_id)
    order by
        combinations.utm_source_key,
        combinations.utm_medium_key,
        combinations.referrer_host_key,
        combinations.has_ad_click_id,
        channel_rules.priority
),

-- An inherited attribution is resolved in fact_sessions, from the visitor's sessions.
attributions as (
    select
        attribution_inputs.session_id,
        attribution_inputs.is_attribution_inherited,
        case
            when not attribution_inputs.is_attribution_inherited
                then combination_channels.channel
        end as channel,
        case
            when attribution_inputs.is_attribution_inherited then null
            else coalesce(
                attribution_inputs.utm_source,
                case
                    when attribution_inputs.ad_click_id = 'msclkid' then 'bing'
                    when attribution_inputs.ad_click_id is not null then 'google'
                end,
                attribution_inputs.attributed_referrer_host,
                '(direct)'
            )
        end as source,
        case
            when not attribution_inputs.is_attribution_inherited
                then coalesce(attribution_inputs.utm_medium, combination_channels.default_medium)
        end as medium,
        attribution_inputs.utm_campaign as campaign
    from attribution_inputs
    left join combination_channels
        on
            coalesce(attribution_inputs.utm_source, '') = combination_channels.utm_source_key
            and coalesce(attribution_inputs.utm_medium, '') = combination_channels.utm_medium_key
            and coalesce(attribution_inputs.attributed_referrer_host, '')
            = combination_channels.referrer_host_key
            and (attribution_inputs.ad_click_id is not null)
            = combination_channels.has_ad_click_id
),

sessions_joined as (
    select
        session_totals.session_id,
        landings.anonymous_id,
        coalesce(
            session_totals.first_user_id, identities.user_id, landings.anonymous_id
        ) as user_key,
        session_totals.session_start_at,
        session_totals.session_end_at,
        {{ reporting_date('session_totals.session_start_at') }} as session_date,
        extract(
            epoch from session_totals.session_end_at - session_totals.session_start_at
        ) as duration_seconds,
        session_totals.page_views,
        session_totals.event_count,
        session_totals.page_views = 1 and session_totals.event_count = 1 as is_bounce,
        landings.device_type,
        session_totals.country,
        landings.landing_page_url,
        landings.landing_referrer,
        landing_signals.referrer_host,
        landing_signals.referral_exclusion_kind,
        attributions.is_attribution_inherited,
        attributions.channel,
        attributions.source,
        attributions.medium,
        attributions.campaign,
        session_totals.first_product_view_at is not null as reached_product_view,
        funnel_stages.first_add_to_cart_at is not null as reached_add_to_cart,
        funnel_stages.first_checkout_at is not null as reached_checkout,
        funnel_stages.first_purchase_at is not null as reached_purchase,
        session_totals.orders,
        session_totals.revenue,
        {% if 'user_agent' in bot_rules_enabled %}
            user_agent_flags.is_bot_user_agent,
        {% else %}
            false as is_bot_user_agent,
        {% endif %}
        {% if 'event_rate' in bot_rules_enabled %}
            session_totals.event_count >= {{ var('bot_min_events_for_rate') }}
            and session_totals.event_count / greatest(
                extract(
                    epoch from session_totals.session_end_at - session_totals.session_start_at
                ) / 60,
                1
            ) > {{ var('bot_max_events_per_minute') }} as is_bot_event_rate,
        {% else %}
            false as is_bot_event_rate,
        {% endif %}
        {% if 'session_length' in bot_rules_enabled %}
            session_totals.session_end_at - session_totals.session_start_at
            > interval '{{ var("max_session_length_hours") }} hours' as is_bot_session_length
        {% else %}
            false as is_bot_session_length
        {% endif %}
    from session_totals
    inner join landings on session_totals.session_id = landings.session_id
    inner join landing_signals on session_totals.session_id = landing_signals.session_id
    inner join attributions on session_totals.session_id = attributions.session_id
    inner join user_agent_flags on session_totals.session_id = user_agent_flags.session_id
    left join identities on landings.anonymous_id = identities.anonymous_id
    inner join funnel_stages on session_totals.session_id = funnel_stages.session_id
),

final as (
    select
        *,
        is_bot_user_agent or is_bot_event_rate or is_bot_session_length as is_bot,
        {{ processed_at() }} as processed_at
    from sessions_joined
)

select * from final

-- Incremental runs read the change log (macros/incremental.sql): name it for dbt's DAG.
-- depends_on: {{ ref('int_sessions_touched') }}

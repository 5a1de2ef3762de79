{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['processed_at']}],
        post_hook=["{{ prune_change_log() }}", "analyze {{ this }}"],
    )
}}

{#- The change log that drives every model keyed by session or by day: one row per session,
    reporting day and dbt invocation that touched the session, for every day its events
    fall on (all copies, old and new, so a session that moves to another day clears the
    old one).

    A session is touched when a row of it lands (new, late or duplicate), when a session
    of the same visitor that started before it is touched (it may inherit that session's
    channel), or when its visitor's identity changes (then `is_identity_only` unless one
    of the other reasons holds too: marts without user counts skip those). An identity
    change can change a user count only where the visitor's activity shares a trailing
    window with activity that holds the visitor's new or previous user_id: another device
    of either user, or the visitor's own signed-in events. `previous_merge_day` and
    `next_merge_day` are the nearest days of such activity, so that the marts with user
    counts recompute only the days whose windows hold both. A full build touches nothing
    (every downstream model builds in full then) and writes one marker row instead, so
    that the next run starts from it rather than from the first row ever.
    -#}

with

changed_rows as (
    select
        session_id,
        anonymous_id
    from {{ ref('stg_raw__events') }}
    where
        is_valid
        {% if is_incremental() %}
            and processed_at > {{ watermark() }}
        {% else %}
            and false
        {% endif %}
),

changed_identities as (
    select
        anonymous_id,
        user_id,
        previous_user_id
    from {{ ref('int_identities_stitched') }}
    where
        {% if is_incremental() %}
            changed_at > {{ watermark() }}
        {% else %}
            false
        {% endif %}
),

-- The days of activity that holds a key the change may merge the visitor's sessions
-- with: the events of every other device of the new or the previous user, and the
-- visitor's own events signed in as either (docs/warehouse.md, "Identity changes").
merge_days as (
    select distinct
        changed_identities.anonymous_id,
        {{ reporting_date('holding.event_at') }} as date_day
    from changed_identities
    inner join {{ ref('int_user_devices') }} as devices
        on devices.user_id in (changed_identities.user_id, changed_identities.previous_user_id)
    cross join lateral (
        select staged.event_at
        from {{ ref('stg_raw__events') }} as staged
        where
            staged.anonymous_id = devices.anonymous_id
            and staged.is_valid
            and (
                devices.anonymous_id != changed_identities.anonymous_id
                or staged.user_id in (
                    changed_identities.user_id, changed_identities.previous_user_id
                )
            )
    ) as holding
),

-- Each visitor's earliest event in a changed session: the sessions after it may inherit.
visitors_touched as (
    select
        staged.anonymous_id,
        min(staged.event_at) as touched_from
    from {{ ref('stg_raw__events') }} as staged
    where
        staged.is_valid
        and {{ any_of('staged.session_id', 'select changed_rows.session_id from changed_rows') }}
    group by staged.anonymous_id
),

-- Lateral lookups, one per visitor, through the (anonymous_id, event_at) index.
content_sessions as (
    select changed_rows.session_id
    from changed_rows
    union
    select later.session_id
    from visitors_touched
    cross join lateral (
        select staged.session_id
        from {{ ref('stg_raw__events') }} as staged
        where
            staged.anonymous_id = visitors_touched.anonymous_id
            and staged.event_at >= visitors_touched.touched_from
            and staged.is_valid
    ) as later
),

identity_sessions as (
    select distinct
        visited.session_id,
        changed_identities.anonymous_id
    from changed_identities
    cross join
        lateral (
            select staged.session_id
            from {{ ref('stg_raw__events') }} as staged
            where
                staged.anonymous_id = changed_identities.anonymous_id
                and staged.is_valid
        ) as visited
),

touched_sessions as (
    select
        coalesce(content_sessions.session_id, identity_sessions.session_id) as session_id,
        identity_sessions.anonymous_id as changed_visitor,
        content_sessions.session_id is null as is_identity_only
    from content_sessions
    full outer join identity_sessions
        on content_sessions.session_id = identity_sessions.session_id
),

touched_days as (
    select distinct
        staged.session_id,
        {{ reporting_date('staged.event_at') }} as date_day
    from {{ ref('stg_raw__events') }} as staged
    where
        staged.is_valid
        and {{ any_of(
            'staged.session_id', 'select touched_sessions.session_id from touched_sessions'
        ) }}
),

final as (
    select
        touched_sessions.session_id,
        touched_days.date_day,
        touched_sessions.is_identity_only,
        (
            select max(merge_days.date_day)
            from merge_days
            where
                touched_sessions.is_identity_only
                and merge_days.anonymous_id = touched_sessions.changed_visitor
                and merge_days.date_day <= touched_days.date_day
        ) as previous_merge_day,
        (
            select min(merge_days.date_day)
            from merge_days
            where
                touched_sessions.is_identity_only
                and merge_days.anonymous_id = touched_sessions.changed_visitor
                and merge_days.date_day >= touched_days.date_day
        ) as next_merge_day,
        false as is_full_build,
        {{ processed_at() }} as processed_at
    from touched_sessions
    inner join touched_days on touched_sessions.session_id = touched_days.session_id
    {% if not is_incremental() %}
        union all
        select
            null as session_id,
            null as date_day,
            false as is_identity_only,
            null as previous_merge_day,
            null as next_merge_day,
            true as is_full_build,
            {{ processed_at() }} as processed_at
    {% endif %}
)

select * from final

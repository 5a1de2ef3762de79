{#- Reporting days and hours follow var('reporting_timezone'); stored timestamps are UTC. -#}

{% macro reporting_date(timestamp_expression) -%}
    cast(({{ timestamp_expression }}) at time zone '{{ var("reporting_timezone") }}' as date)
{%- endmacro %}


{% macro reporting_hour(timestamp_expression) -%}
    date_trunc('hour', {{ timestamp_expression }}, '{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- One row per day from start_date to end_date inclusive (both SQL date expressions),
    named date_day: the date spine that dbt_utils would give, on Postgres' generate_series. -#}
{% macro date_spine(start_date, end_date) -%}
    select cast(spine.day_start as date) as date_day
    from generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval '1 day'
    ) as spine (day_start)
{%- endmacro %}


{#- on-run-start: fail fast, naming the variable, when the time zone is not one Postgres knows. -#}
{% macro check_reporting_timezone() -%}
    {%- if execute -%}
        {%- set known = run_query(
            "select count(*) from pg_timezone_names where name = '"
            ~ (var('reporting_timezone') | replace("'", "''")) ~ "'"
        ).columns[0].values()[0] -%}
        {%- if known == 0 and var('reporting_timezone') | upper != 'UTC' -%}
            {{ exceptions.raise_compiler_error(
                "var reporting_timezone = '" ~ var('reporting_timezone')
                ~ "' is not a time zone Postgres knows; use an IANA name such as "
                ~ "'Asia/Ho_Chi_Minh' (see pg_timezone_names)"
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}


{#- The instant a reporting day starts (a date expression): reporting_date(t) = d exactly
    when reporting_day_start(d) <= t < reporting_day_start(d + 1), daylight saving included. -#}
{% macro reporting_day_start(date_expression) -%}
    (cast({{ date_expression }} as timestamp) at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}


{#- Distinct users active on a day or in the days before it, for each window of
    `window_days` (e.g. [7, 30]) and each day of `user_days_relation` (distinct user_key,
    date_day); columns date_day, users (the day's own distinct users) and
    active_<n>_days. An active day counts its user for the n days from it on, except the
    days the user's previous active day already counts: it adds 1 on the later of its own
    day and the day the previous one's window ends, and removes 1 n days after its own day.
    A user's windows then never overlap, so a running sum of the changes counts every user
    once. The additions are grouped by day as the user-days are read, and the removals are
    each day's user count: one sort of the user-days for all windows (by user, for the
    previous active day), instead of one distinct count per day and window. -#}
{% macro trailing_active_users(user_days_relation, window_days) -%}
    with

    daily_counts as (
        select
            date_day,
            count(*) as users
        from {{ user_days_relation }}
        group by date_day
    ),

    previous_days as (
        select
            date_day,
            {#- the users may come in any order: byte order sorts them fastest #}
            lag(date_day) over (
                partition by user_key collate "C" order by date_day
            ) as previous_day
        from {{ user_days_relation }}
    ),

    {#- one grouping set per window: in its rows the other windows' columns are null #}
    additions as (
        select
            {%- for window in window_days %}
                greatest(date_day, previous_day + {{ window }}) as from_day_{{ window }},
            {%- endfor %}
            count(*) as users
        from previous_days
        group by grouping sets (
            {%- for window in window_days %}
                (from_day_{{ window }}){{ ',' if not loop.last }}
            {%- endfor %}
        )
    ),

    changes as (
        {%- for window in window_days %}
            select
                {{ window }} as window_days,
                from_day_{{ window }} as date_day,
                users as change
            from additions
            where from_day_{{ window }} is not null
            union all
            select
                {{ window }} as window_days,
                date_day + {{ window }} as date_day,
                -users as change
            from daily_counts
            union all
        {%- endfor %}
        {#- every active day, so that the running sum has a row for it on a day without changes #}
        select
            null as window_days,
            date_day,
            0 as change
        from daily_counts
    ),

    running as (
        select
            date_day
            {%- for window in window_days %},
            sum(sum(change) filter (where window_days = {{ window }})) over (
                order by date_day
            ) as active_{{ window }}_days
            {%- endfor %}
        from changes
        group by date_day
    )

    select
        running.date_day,
        daily_counts.users
        {%- for window in window_days %},
        cast(running.active_{{ window }}_days as bigint) as active_{{ window }}_days
        {%- endfor %}
    from running
    inner join daily_counts on running.date_day = daily_counts.date_day
{%- endmacro %}

{#- The incremental machinery (docs/warehouse.md, "Incremental strategy").

    Every incremental model stamps the rows it (re)writes with `processed_at` = the start
    of the dbt invocation. A model's watermark is the newest stamp in its own table: the
    upstream rows stamped after it are the changes it has not absorbed yet, however many
    runs ago they happened (a model that failed or was skipped catches up next time). -#}

{% macro processed_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}+00' as timestamptz)
{%- endmacro %}


{#- The model's watermark as a literal, so that the planner sees `processed_at > <literal>`
    and picks index scans of the few new rows instead of planning for a third of the table.
    It is read when the model is compiled, before anything is written, so the model's select
    and its incremental strategy see the same value. In unit tests `this` is a fixture:
    there the watermark stays a subquery over it. A full build has no watermark. -#}
{% macro watermark(relation=none) -%}
    {%- set relation = relation if relation is not none else this -%}
    {%- set newest = "select coalesce(max(processed_at), '-infinity'::timestamptz) from " ~ relation -%}
    {%- if model.resource_type == 'unit_test' -%}
        ({{ newest }})
    {%- elif execute and is_incremental() -%}
        {%- set value = run_query(newest).columns[0].values()[0] -%}
        cast('{{ value }}' as timestamptz)
    {%- else -%}
        {#- parsing, or a full build (nothing to read: the table is being created) -#}
        cast('-infinity' as timestamptz)
    {%- endif -%}
{%- endmacro %}


{#- The keys of the rows a model keyed by session, day or load hour must rewrite: those
    the change log (int_sessions_touched) or the load tables mark as changed since the
    model's watermark.
      sessions      every session touched (new, late, duplicate rows; identity; channel)
      days          every reporting day those sessions' events fall on, each followed by
                    `following_days` more days (trailing windows such as WAU/MAU); for a
                    session touched only by an identity change, only the days whose
                    window also holds activity it may merge with (its merge days)
      content_days  the same, leaving out every session touched only by an identity
                    change (marts without user counts do not change then)
      hours         every load hour with new or rewritten rows (pipeline marts) -#}
{% macro touched_keys(kind, following_days=0) -%}
    {%- if kind == 'sessions' -%}
        select change_log.session_id
        from {{ ref('int_sessions_touched') }} as change_log
        where change_log.processed_at > {{ watermark() }}
    {%- elif kind in ['days', 'content_days'] -%}
        select distinct change_log.date_day + following.day_offset as date_day
        from {{ ref('int_sessions_touched') }} as change_log
        cross join generate_series(0, {{ following_days }}) as following (day_offset)
        where
            change_log.processed_at > {{ watermark() }}
            and (
                not change_log.is_identity_only
                {%- if kind == 'days' %}
                    {#- the days whose trailing window also holds merge-day activity #}
                    or change_log.date_day + following.day_offset
                    <= change_log.previous_merge_day + {{ following_days }}
                    or change_log.date_day + following.day_offset >= change_log.next_merge_day
                {%- endif %}
            )
    {%- elif kind == 'hours' -%}
        {%- set since = watermark() -%}
        select {{ reporting_hour('manifest.loaded_at') }} as hour_at
        from {{ ref('stg_raw__load_manifest') }} as manifest
        where manifest.processed_at > {{ since }}
        union
        select {{ reporting_hour('staged.loaded_at') }} as hour_at
        from {{ ref('stg_raw__events') }} as staged
        where staged.processed_at > {{ since }}
        union
        select {{ reporting_hour('fact_events.loaded_at') }} as hour_at
        from {{ ref('fact_events') }} as fact_events
        where fact_events.processed_at > {{ since }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "touched_keys: kind must be sessions, days, content_days or hours; got " ~ kind
        ) }}
    {%- endif -%}
{%- endmacro %}


{#- `column = any(array(query))`: Postgres takes the set as one small parameter and reads
    the large table through its index on `column`. With `column in (query)` it plans a hash
    join over a full scan as soon as the set holds a few thousand keys, and an hourly run
    would cost as much as the history. -#}
{% macro any_of(column, query) -%}
    {{ column }} = any(array({{ query }}))
{%- endmacro %}


{#- The rows of a model's input whose `column` is a touched key (see touched_keys). -#}
{% macro is_touched(column, kind, following_days=0) -%}
    {{ any_of(column, touched_keys(kind, following_days)) }}
{%- endmacro %}


{#- `column` (a timestamp) falls on one of the touched reporting days (touched_keys), for a
    model that reads whole days of a large input. The days are read when the model is
    compiled, like the watermark, and written out as literal time ranges. Joined to the
    days as a relation, the planner cannot see how few rows they hold, and it may choose
    to scan the whole input (docs/BENCHMARKS.md, run C). In unit tests the days stay a
    subquery over the fixtures; a full build reads every day. -#}
{% macro within_touched_days(column, kind) -%}
    {%- if execute and is_incremental() and model.resource_type != 'unit_test' -%}
        {#- without the full build's marker row: it has no day -#}
        {%- set days = run_query(touched_keys(kind)).columns[0].values() | reject('none') | sort -%}
        {%- if days | length == 0 -%}
            false
        {%- else -%}
            (
            {%- for day in days %}
                {{ 'or ' if not loop.first }}(
                    {{ column }} >= {{ reporting_day_start("cast('" ~ day ~ "' as date)") }}
                    and {{ column }} < {{ reporting_day_start("cast('" ~ day ~ "' as date) + 1") }}
                )
            {%- endfor %}
            )
        {%- endif -%}
    {%- elif is_incremental() -%}
        {{ reporting_date(column) }} in ({{ touched_keys(kind) }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- incremental_strategy='replace_touched': delete every touched key (config touched_key,
    touched_kind, touched_following_days), then insert the model's rows. Keys that no
    longer produce a row (a session now flagged as a bot, a day left without human
    traffic) are deleted and not re-inserted, exactly as a full refresh would leave them.
    The delete runs before the insert in one transaction, when the table is still as the
    model's select saw it, so both compute the same touched keys. -#}
{% macro get_incremental_replace_touched_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set key = config.require('touched_key') -%}
    delete from {{ target }}
    where {{ is_touched(key, config.require('touched_kind'), config.get('touched_following_days', 0)) }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
{%- endmacro %}


{#- Post-hook of the large tables. A table just created (first build, full refresh) has no
    statistics: analyze it all. After an incremental run, `watermark_columns` are analyzed
    again from a small sample: the models downstream select `processed_at > watermark`
    in this same run, and with last run's statistics the planner would take the rows just
    written for a handful and pick nested loops over them. Other columns are left to
    autovacuum. -#}
{% macro refresh_statistics(watermark_columns=[]) -%}
    do $$
    begin
        if not exists (
            select 1
            from pg_stat_user_tables
            where
                relid = '{{ this }}'::regclass
                and coalesce(last_analyze, last_autoanalyze) is not null
        ) then
            analyze {{ this }};
        {%- if watermark_columns %}
        else
            perform set_config('default_statistics_target', '10', true);
            analyze {{ this }} ({{ watermark_columns | join(', ') }});
        {%- endif %}
        end if;
    end
    $$
{%- endmacro %}


{#- Post-hook of the change log: entries older than var('change_log_retention_days') have
    been read by every model long ago. The newest entries stay whatever their age: they
    are the change log's own watermark. -#}
{% macro prune_change_log() -%}
    delete from {{ this }}
    where
        processed_at < now() - interval '{{ var("change_log_retention_days") }} days'
        and processed_at < (select max(newest.processed_at) from {{ this }} as newest)
{%- endmacro %}


{#- `condition` in an incremental run, `true` in a full build: for the last condition of
    a where clause, where an `{% if is_incremental() %}` block would leave the full
    build's SQL laid out differently from the incremental one's (sqlfluff lints whichever
    the warehouse's state makes dbt render). -#}
{% macro in_incremental_runs(condition) -%}
    {{ condition if is_incremental() else 'true' }}
{%- endmacro %}

{#- marts.dbt_invocations: one row per dbt invocation that builds or tests, written by the
    on-run-end hook, so the dashboard's reliability page can show the last runs. -#}

{% macro invocation_log_relation() -%}
    {{ adapter.quote('marts') }}.{{ adapter.quote('dbt_invocations') }}
{%- endmacro %}


{% macro create_invocation_log() -%}
    {%- if flags.WHICH in ['build', 'run', 'test', 'seed', 'snapshot'] -%}
        create table if not exists {{ invocation_log_relation() }} (
            invocation_id text primary key,
            command text not null,
            started_at timestamptz not null,
            finished_at timestamptz not null,
            status text not null check (status in ('success', 'error')),
            models_ok integer not null,
            models_error integer not null,
            tests_passed integer not null,
            tests_failed integer not null,
            tests_warned integer not null,
            elapsed_seconds double precision not null
        );
        comment on table {{ invocation_log_relation() }} is
            'One row per dbt invocation (build, run, test, seed, snapshot), written when it ends.';
        grant select on {{ invocation_log_relation() }} to clickstream_reader;
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{% macro record_invocation(results) -%}
    {%- if flags.WHICH in ['build', 'run', 'test', 'seed', 'snapshot'] -%}
        {%- set counts = {
            'models_ok': 0, 'models_error': 0,
            'tests_passed': 0, 'tests_failed': 0, 'tests_warned': 0, 'errors': 0
        } -%}
        {%- for result in results -%}
            {%- set status = result.status | string | lower -%}
            {%- set kind = result.node.resource_type | string | lower -%}
            {%- if status in ['error', 'fail', 'runtime error'] -%}
                {%- do counts.update({'errors': counts['errors'] + 1}) -%}
            {%- endif -%}
            {%- if kind in ['model', 'seed', 'snapshot'] -%}
                {%- if status == 'success' -%}
                    {%- do counts.update({'models_ok': counts['models_ok'] + 1}) -%}
                {%- elif status == 'error' -%}
                    {%- do counts.update({'models_error': counts['models_error'] + 1}) -%}
                {%- endif -%}
            {%- elif kind in ['test', 'unit_test'] -%}
                {%- if status == 'pass' -%}
                    {%- do counts.update({'tests_passed': counts['tests_passed'] + 1}) -%}
                {%- elif status in ['fail', 'error'] -%}
                    {%- do counts.update({'tests_failed': counts['tests_failed'] + 1}) -%}
                {%- elif status == 'warn' -%}
                    {%- do counts.update({'tests_warned': counts['tests_warned'] + 1}) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        insert into {{ invocation_log_relation() }} (
            invocation_id, command, started_at, finished_at, status, models_ok, models_error,
            tests_passed, tests_failed, tests_warned, elapsed_seconds
        )
        select
            '{{ invocation_id }}',
            '{{ flags.WHICH }}',
            {{ processed_at() }},
            clock_timestamp(),
            '{{ "error" if counts["errors"] > 0 else "success" }}',
            {{ counts['models_ok'] }},
            {{ counts['models_error'] }},
            {{ counts['tests_passed'] }},
            {{ counts['tests_failed'] }},
            {{ counts['tests_warned'] }},
            extract(epoch from clock_timestamp() - {{ processed_at() }})
        on conflict (invocation_id) do nothing
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Safe extraction from the raw JSON: a malformed value becomes null (and the row is
    flagged in staging) instead of failing the whole build. The ingest API validated every
    lake record, so these checks only guard against objects written by other means. -#}

{#- Whether the server has pg_input_is_valid (PostgreSQL 16+): one fast, exact check of
    a cast. Older servers (14, 15) get regular expressions instead. -#}
{% macro has_input_validation() -%}
    {%- if execute -%}
        {{ return(run_query("select current_setting('server_version_num')::int >= 160000").columns[0].values()[0]) }}
    {%- else -%}
        {{ return(true) }}
    {%- endif -%}
{%- endmacro %}


{#- An ISO-8601 timestamp with offset, or null. `like` keeps out the words Postgres
    accepts as timestamps ('now', 'infinity', 'epoch'). -#}
{% macro safe_timestamptz(text_expression, validate) -%}
    case
        when
            {{ text_expression }} like '____-__-__%'
            {%- if validate %}
                and pg_input_is_valid({{ text_expression }}, 'timestamptz')
            {%- else %}
                and {{ text_expression }} ~ '^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$'
                and cast(substr({{ text_expression }}, 9, 2) as integer) <= extract(
                    day from make_date(
                        cast(substr({{ text_expression }}, 1, 4) as integer),
                        cast(substr({{ text_expression }}, 6, 2) as integer),
                        1
                    ) + interval '1 month - 1 day'
                )
            {%- endif %}
            then cast({{ text_expression }} as timestamptz)
    end
{%- endmacro %}


{#- A UUID (any case, with hyphens), or null. -#}
{% macro safe_uuid(text_expression, validate) -%}
    case
        when
            {%- if validate %}
                pg_input_is_valid({{ text_expression }}, 'uuid')
            {%- else %}
                {{ text_expression }} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            {%- endif %}
            then cast({{ text_expression }} as uuid)
    end
{%- endmacro %}


{#- A JSON number within [minimum, maximum] as numeric, or null. -#}
{% macro json_number(json_expression, minimum=none, maximum=none) -%}
    case
        when jsonb_typeof({{ json_expression }}) = 'number'
            {%- if minimum is not none %}
                and cast({{ json_expression }} as numeric) >= {{ minimum }}
            {%- endif %}
            {%- if maximum is not none %}
                and cast({{ json_expression }} as numeric) <= {{ maximum }}
            {%- endif %}
            then cast({{ json_expression }} as numeric)
    end
{%- endmacro %}


{#- A JSON value as text, empty → null (strings unquoted; the contract makes them strings). -#}
{% macro json_text(json_path) -%}
    nullif(payload #>> '{{ "{" ~ json_path ~ "}" }}', '')
{%- endmacro %}


{#- The host of an http(s) URL, lower-cased, without a leading "www.". -#}
{% macro url_host(url_expression) -%}
    regexp_replace(
        lower(substring({{ url_expression }} from '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^:/?#]+)')),
        '^www\.',
        ''
    )
{%- endmacro %}


{#- One query-string parameter's value: lower-cased, "+" and "%20" read as spaces, trimmed,
    empty → null. Other percent-escapes are kept as sent (UTM values rarely carry them). -#}
{% macro url_parameter(url_expression, name) -%}
    nullif(
        btrim(replace(replace(lower(substring({{ url_expression }} from '[?&]{{ name }}=([^&#]*)')), '+', ' '), '%20', ' ')),
        ''
    )
{%- endmacro %}


{#- A search query as the marts group it: lower-cased, white space collapsed, trimmed. -#}
{% macro normalise_search_query(text_expression) -%}
    nullif(btrim(regexp_replace(lower({{ text_expression }}), '\s+', ' ', 'g')), '')
{%- endmacro %}


{#- A list of strings as an SQL list: ('a', 'b'). -#}
{% macro sql_list(values) -%}
    ('{{ values | join("', '") }}')
{%- endmacro %}


{#- Aggregate: the first non-null `column` in `order_by` order (e.g. the latest name with
    'event_at desc'). -#}
{% macro first_non_null(column, order_by) -%}
    (array_agg({{ column }} order by {{ order_by }}) filter (where {{ column }} is not null))[1]
{%- endmacro %}

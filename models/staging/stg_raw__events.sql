{{
    config(
        materialized='incremental',
        unique_key=['object_key', 'line_no'],
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['object_key', 'line_no'], 'unique': True},
            {'columns': ['event_id']},
            {'columns': ['session_id']},
            {'columns': ['anonymous_id', 'event_at']},
            {'columns': ['event_at']},
            {'columns': ['processed_at']},
            {'columns': ['is_valid', 'is_duplicate', 'loaded_at']},
        ],
        post_hook="{{ refresh_statistics(['processed_at']) }}",
    )
}}

{#- One row per landed line, typed and flattened. Incremental runs read only the rows of
    objects new in stg_raw__load_manifest, and re-rank every earlier copy of the event ids
    they bring, so `is_duplicate` is always decided over all copies (earliest received wins). -#}

{%- set validate = has_input_validation() -%}
{%- set event_types = [
    'view', 'click', 'search', 'add_to_cart', 'remove_from_cart', 'checkout', 'purchase',
] -%}
{%- set device_types = ['mobile', 'desktop', 'tablet', 'bot', 'other'] -%}
{%- set row_columns = [
    'object_key', 'line_no', 'load_id', 'loaded_at', 'event_id', 'event_type', 'session_id',
    'anonymous_id', 'user_id', 'client_ts', 'sent_at', 'ts_corrected', 'received_at', 'event_at',
    'request_id', 'page_url', 'page_title', 'referrer', 'device_type', 'user_agent', 'browser',
    'os', 'is_bot_user_agent', 'country', 'city', 'product_id', 'product_name', 'category',
    'brand', 'currency', 'price', 'qty', 'order_id', 'search_query', 'results_count',
    'list_name', 'listed_product_ids', 'schema_version', 'invalid_reason', 'is_out_of_window',
] -%}

with

{% if is_incremental() %}
    new_objects as (
        select object_key
        from {{ ref('stg_raw__load_manifest') }}
        where
            processed_at > {{ watermark() }}
            and lake_area = 'raw'
            and rows_loaded > 0
    ),
{% endif %}

source as (
    select * from {{ source('raw', 'events') }}
    {% if is_incremental() %}
        where {{ any_of('object_key', 'select new_objects.object_key from new_objects') }}
    {% endif %}
),

renamed as (
    select
        object_key,
        line_no,
        load_id,
        loaded_at,
        payload ->> 'event_id' as event_id_text,
        {{ json_text('event_type') }} as event_type,
        {{ json_text('session_id') }} as session_id,
        {{ json_text('anonymous_id') }} as anonymous_id,
        {{ json_text('user_id') }} as user_id,
        payload ->> 'ts' as client_ts_text,
        payload ->> 'sent_at' as sent_at_text,
        payload ->> 'ts_corrected' as ts_corrected_text,
        payload ->> 'received_at' as received_at_text,
        {{ json_text('request_id') }} as request_id,
        {{ json_text('page_url') }} as page_url,
        {{ json_text('page_title') }} as page_title,
        {{ json_text('referrer') }} as referrer,
        lower(coalesce(
            {{ json_text('device,type') }},
            {{ json_text('ua,device_type') }}
        )) as reported_device_type,
        {{ json_text('ua,user_agent') }} as user_agent,
        {{ json_text('ua,browser') }} as browser,
        {{ json_text('ua,os') }} as os,
        coalesce(payload #> '{ua,is_bot}' = 'true'::jsonb, false) as is_bot_user_agent,
        upper({{ json_text('geo,country') }}) as reported_country,
        {{ json_text('geo,city') }} as city,
        {{ json_text('ecom,product_id') }} as product_id,
        {{ json_text('ecom,product_name') }} as product_name,
        {{ json_text('ecom,category') }} as category,
        {{ json_text('ecom,brand') }} as brand,
        upper({{ json_text('ecom,currency') }}) as currency,
        {{ json_number("payload #> '{ecom,price}'", minimum=0, maximum=1000000000) }} as price,
        cast(
            round({{ json_number("payload #> '{ecom,qty}'", minimum=1, maximum=1000000) }})
            as integer
        ) as qty,
        {{ json_text('ecom,order_id') }} as order_id,
        {{ normalise_search_query(json_text('props,search_query')) }} as search_query,
        cast(
            round({{
                json_number("payload #> '{props,results_count}'", minimum=0, maximum=1000000000)
            }}) as integer
        ) as results_count,
        {{ json_text('props,list') }} as list_name,
        case
            when jsonb_typeof(payload #> '{props,items}') = 'array'
                then payload #> '{props,items}'
        end as listed_product_ids,
        {{ json_text('schema_version') }} as schema_version
    from source
),

-- Materialised: later steps refer to these typed values many times, and an inlined CTE
-- would repeat their parsing in every reference.
typed as materialized (
    select
        *,
        {{ safe_uuid('event_id_text', validate) }} as event_id,
        {{ safe_timestamptz('client_ts_text', validate) }} as client_ts,
        {{ safe_timestamptz('sent_at_text', validate) }} as sent_at,
        {{ safe_timestamptz('ts_corrected_text', validate) }} as ts_corrected,
        {{ safe_timestamptz('received_at_text', validate) }} as received_at
    from renamed
),

validated as (
    select
        *,
        coalesce(ts_corrected, client_ts) as event_at,
        case
            when reported_device_type in {{ sql_list(device_types) }}
                then reported_device_type
            else 'other'
        end as device_type,
        case when reported_country ~ '^[A-Z]{2}$' then reported_country end as country,
        case
            when event_id is null then 'invalid_event_id'
            when event_type is null or event_type not in {{ sql_list(event_types) }}
                then 'invalid_event_type'
            when session_id is null then 'missing_session_id'
            when anonymous_id is null then 'missing_anonymous_id'
            when client_ts is null then 'invalid_ts'
            when received_at is null then 'invalid_received_at'
        end as invalid_reason
    from typed
),

windowed as (
    select
        {{ row_columns[:-1] | join(',\n        ') }},
        coalesce(
            event_at > received_at + interval '{{ var("future_tolerance_hours") }} hours'
            or event_at < received_at - interval '{{ var("late_horizon_days") }} days',
            false
        ) as is_out_of_window
    from validated
),

{% if is_incremental() %}
    earlier_copies as (
        select {{ row_columns | join(', ') }}
        from {{ this }} as processed
        where
            processed.is_valid
            and {{ any_of(
                'processed.event_id',
                'select windowed.event_id from windowed where windowed.invalid_reason is null'
            ) }}
            and not exists (
                select 1
                from windowed
                where
                    windowed.object_key = processed.object_key
                    and windowed.line_no = processed.line_no
            )
    ),

    candidates as (
        select * from windowed
        union all
        select * from earlier_copies
    ),
{% else %}
    candidates as (
        select * from windowed
    ),
{% endif %}

ranked as (
    select
        *,
        row_number() over (
            partition by case when invalid_reason is null then event_id end
            order by received_at, loaded_at, object_key, line_no
        ) as copy_number
    from candidates
),

final as (
    select
        {{ row_columns | join(',\n        ') }},
        invalid_reason is null as is_valid,
        invalid_reason is null and copy_number > 1 as is_duplicate,
        {{ processed_at() }} as processed_at
    from ranked
)

select * from final

-- Incremental runs read the manifest's new objects: name it for dbt's DAG.
-- depends_on: {{ ref('stg_raw__load_manifest') }}

{{
    config(
        materialized='incremental',
        unique_key='object_key',
        incremental_strategy='delete+insert',
        indexes=[
            {'columns': ['object_key'], 'unique': True},
            {'columns': ['processed_at']},
            {'columns': ['loaded_at']},
        ],
        post_hook="{{ refresh_statistics(['processed_at']) }}",
    )
}}

{#- The incremental cursor of the whole project. The loader commits an object's rows and
    its manifest row in one transaction, so an object listed here has all its rows in
    raw.events. Objects are new when not yet copied here; only manifest rows loaded within
    var('load_lookback_hours') of the newest copied one are compared, which bounds the work
    and still catches a loader transaction that committed late. -#}

with

source as (
    select * from {{ source('raw', 'load_manifest') }}
    {% if is_incremental() %}
        where
            loaded_at >= (
                select coalesce(max(copied.loaded_at), '-infinity'::timestamptz)
                from {{ this }} as copied
            ) - interval '{{ var("load_lookback_hours") }} hours'
    {% endif %}
),

renamed as (
    select
        source.object_key,
        case
            when source.object_key like 'invalid/%' then 'invalid' else 'raw'
        end as lake_area,
        source.etag,
        source.bytes as object_bytes,
        source.lines,
        source.rows_loaded,
        source.rows_rejected,
        source.load_id,
        source.loaded_at,
        source.object_last_modified as object_written_at,
        {{ processed_at() }} as processed_at
    from source
    {% if is_incremental() %}
        where not exists (
            select 1
            from {{ this }} as already_processed
            where already_processed.object_key = source.object_key
        )
    {% endif %}
)

select * from renamed

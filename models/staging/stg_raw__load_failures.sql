with

source as (
    select * from {{ source('raw', 'load_failures') }}
),

renamed as (
    select
        object_key,
        etag,
        reason,
        attempts,
        first_failed_at,
        last_failed_at,
        last_load_id
    from source
)

select * from renamed

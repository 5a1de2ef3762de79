with

source as (
    select * from {{ source('raw', 'events_rejected') }}
),

renamed as (
    select
        object_key,
        line_no,
        load_id,
        loaded_at,
        stage,
        reason,
        detail,
        received_at,
        event_id,
        raw_bytes
    from source
)

select * from renamed

with

source as (
    select * from {{ source('raw', 'load_runs') }}
),

renamed as (
    select
        load_id,
        started_at,
        finished_at,
        status as load_status,
        objects_loaded,
        objects_failed,
        rows_loaded,
        rows_rejected,
        bytes_loaded,
        seconds as duration_seconds,
        lag_seconds,
        error as error_message
    from source
)

select * from renamed

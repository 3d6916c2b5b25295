-- Quarantined rows, reduced to what the data status counts: delivery, line, municipality
-- and reason (the delivered value and the original line stay in the raw table).
with

source as (

    select * from {{ source('statistikstelle', 'quarantine') }}

),

renamed as (

    select
        delivery_id,
        source as quelle,
        line_no,
        ags,
        column_name as spalte,
        reason as grund

    from source

)

select * from renamed

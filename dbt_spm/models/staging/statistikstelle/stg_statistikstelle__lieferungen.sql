-- The delivery log: one row per received file. File name, checksum and archive path stay
-- in the raw table (a file name can name a person); the models need none of them.
with

source as (

    select * from {{ source('statistikstelle', 'delivery_log') }}

),

renamed as (

    select
        delivery_id,
        source as quelle,
        cast(stichtag as date) as stichtag,
        gliederung,
        cast(received_at as timestamp) as geliefert_am,
        status,
        status in ('loaded', 'replaced') as is_geladen,
        rows_total as zeilen_gesamt,
        rows_loaded as zeilen_geladen,
        rows_quarantined as zeilen_quarantaene

    from source

)

select * from renamed

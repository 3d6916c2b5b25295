with

source as (

    select * from {{ source('geodaten', 'raumgliederung') }}

),

renamed as (

    select
        delivery_id,
        gliederung,
        cast(gueltig_ab as date) as gueltig_ab,
        raum_id,
        raum_name,
        ags,
        geometry_wkt as geometrie_wkt

    from source

)

select * from renamed

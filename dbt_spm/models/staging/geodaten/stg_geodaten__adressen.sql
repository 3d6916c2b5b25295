with

source as (

    select * from {{ source('geodaten', 'adressen') }}

),

renamed as (

    select
        delivery_id,
        cast(stichtag as date) as stichtag,
        ags,
        strasse,
        strasse_norm,
        cast(hausnummer as integer) as hausnummer,
        hausnummer_zusatz,
        coalesce(hausnummer_zusatz_norm, '') as hausnummer_zusatz_norm,
        plz,
        cast(ostwert as double precision) as ostwert,
        cast(nordwert as double precision) as nordwert

    from source

)

select * from renamed

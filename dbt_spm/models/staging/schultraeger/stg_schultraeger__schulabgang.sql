with

source as (

    select * from {{ source('schultraeger', 'schulabgang') }}

),

renamed as (

    select
        delivery_id,
        line_no,
        cast(stichtag as date) as stichtag,
        -- second year of the school year: 2023/24 -> 2024 (indicators.md); the first year
        -- plus one, so that 1999/00 gives 2000
        cast(substring(schuljahr, 1, 4) as integer) + 1 as berichtsjahr,
        ags,
        schueler_id,
        cast(geburtsdatum as date) as geburtsdatum,
        geschlecht,
        schuljahr,
        abschluss,
        strasse,
        strasse_norm,
        cast(hausnummer as integer) as hausnummer,
        coalesce(hausnummer_zusatz_norm, '') as hausnummer_zusatz_norm,
        plz

    from source

)

select * from renamed

with

source as (

    select * from {{ source('schultraeger', 'schule') }}

),

renamed as (

    select
        delivery_id,
        line_no,
        cast(stichtag as date) as stichtag,
        -- first year of the school year: 2024/25 -> 2024 (indicators.md)
        cast(substring(schuljahr, 1, 4) as integer) as berichtsjahr,
        ags,
        schueler_id,
        cast(geburtsdatum as date) as geburtsdatum,
        geschlecht,
        schuljahr,
        schulform,
        cast(foerderbedarf as boolean) as is_foerderbedarf,
        strasse,
        strasse_norm,
        cast(hausnummer as integer) as hausnummer,
        coalesce(hausnummer_zusatz_norm, '') as hausnummer_zusatz_norm,
        plz

    from source

)

select * from renamed

with

source as (

    select * from {{ source('jugendamt', 'kita') }}

),

renamed as (

    select
        delivery_id,
        line_no,
        cast(stichtag as date) as stichtag,
        cast(extract(year from stichtag) as integer) as berichtsjahr,
        ags,
        kind_id,
        cast(geburtsdatum as date) as geburtsdatum,
        geschlecht,
        betreuungsart,
        einrichtung_id,
        cast(wochenstunden as double precision) as wochenstunden,
        cast(betreuungsbeginn as date) as betreuungsbeginn_datum,
        strasse,
        strasse_norm,
        cast(hausnummer as integer) as hausnummer,
        coalesce(hausnummer_zusatz_norm, '') as hausnummer_zusatz_norm,
        plz

    from source

)

select * from renamed

with

source as (

    select * from {{ source('jugendamt', 'hze') }}

),

renamed as (

    select
        delivery_id,
        line_no,
        cast(stichtag as date) as stichtag,
        cast(extract(year from stichtag) as integer) as berichtsjahr,
        ags,
        fall_id,
        person_id,
        cast(geburtsdatum as date) as geburtsdatum,
        geschlecht,
        hilfeart,
        cast(beginn as date) as beginn_datum,
        cast(ende as date) as ende_datum,
        cast(kosten_euro as decimal(18, 2)) as kosten_euro,
        strasse,
        strasse_norm,
        cast(hausnummer as integer) as hausnummer,
        coalesce(hausnummer_zusatz_norm, '') as hausnummer_zusatz_norm,
        plz

    from source

)

select * from renamed

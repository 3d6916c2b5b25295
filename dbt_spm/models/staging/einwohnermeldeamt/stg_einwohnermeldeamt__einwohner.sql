with

source as (

    select * from {{ source('einwohnermeldeamt', 'einwohner') }}

),

renamed as (

    select
        delivery_id,
        line_no,
        cast(stichtag as date) as stichtag,
        ags,
        person_id,
        cast(geburtsdatum as date) as geburtsdatum,
        geschlecht,
        staatsangehoerigkeit,
        weitere_staatsangehoerigkeit,
        familienstand,
        ehegatte_id,
        elternteil1_id,
        elternteil2_id,
        wohnungsstatus,
        wohnungsstatus = 'H' as is_hauptwohnung,
        -- non-German: neither nationality is 000 (docs/decisions.md)
        not (
            staatsangehoerigkeit = '000'
            or coalesce(weitere_staatsangehoerigkeit, '') = '000'
        ) as is_nichtdeutsch,
        cast(zuzug_datum as date) as zuzug_datum,
        strasse,
        strasse_norm,
        cast(hausnummer as integer) as hausnummer,
        coalesce(hausnummer_zusatz_norm, '') as hausnummer_zusatz_norm,
        plz

    from source

)

select * from renamed

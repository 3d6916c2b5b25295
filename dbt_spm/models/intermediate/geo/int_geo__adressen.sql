-- Register addresses with the coordinates of the newest extract that contains them
-- (an address missing from a later extract still locates older records).
with

adressen as (

    select * from {{ ref('stg_geodaten__adressen') }}

),

nummeriert as (

    select
        adressen.*,
        row_number() over (
            partition by ags, strasse_norm, hausnummer, hausnummer_zusatz_norm
            order by stichtag desc, delivery_id desc, ostwert, nordwert
        ) as rang

    from adressen

),

final as (

    select
        ags
        || '|' || strasse_norm
        || '|' || cast(hausnummer as varchar)
        || '|' || hausnummer_zusatz_norm as adresse_id,
        ags,
        strasse,
        strasse_norm,
        hausnummer,
        hausnummer_zusatz_norm,
        plz,
        ostwert,
        nordwert,
        stichtag as stand_stichtag

    from nummeriert
    where rang = 1

)

select * from final

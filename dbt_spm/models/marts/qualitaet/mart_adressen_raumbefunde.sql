-- Register-side findings of the point in polygon (docs/decisions.md): register addresses
-- in no area of a Gliederung (they count for `<ags>-OZ`) and addresses that touch several
-- areas (on a border or in overlapping areas; the smallest raum_id got them).
with

adressen_raeume as (

    select * from {{ ref('int_geo__adressen_raeume') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

befunde as (

    select * from adressen_raeume
    where anzahl_treffer <> 1

),

final as (

    select
        befunde.gliederung,
        befunde.adresse_id,
        adressen.ags,
        coalesce(adressen.strasse, adressen.strasse_norm)
        || ' ' || cast(adressen.hausnummer as varchar)
        || adressen.hausnummer_zusatz_norm as adresse,
        adressen.plz,
        adressen.ostwert,
        adressen.nordwert,
        befunde.anzahl_treffer,
        befunde.raum_id,
        case
            when befunde.anzahl_treffer = 0 then 'kein_raum'
            else 'mehrere_raeume'
        end as befund

    from befunde
    inner join adressen
        on adressen.adresse_id = befunde.adresse_id

)

select * from final

-- Bridge from an area assignment key (`zuordnung_id`) to every Gebiet it counts for:
-- its area in each Gliederung, its municipality and its county. A register address
-- (`zuordnung_id` = `adresse_id`) goes to its point-in-polygon areas; the key `<ags>-OZ`
-- (records whose address is not in the register) goes to `<ags>-OZ` in each Gliederung.
-- Summing microdata over this bridge gives every level from the same records.
with

adressen_raeume as (

    select * from {{ ref('int_geo__adressen_raeume') }}

),

adressen as (

    select * from {{ ref('int_geo__adressen') }}

),

gemeinden as (

    select * from {{ ref('int_geo__gemeinden') }}

),

gliederungen as (

    select distinct gliederung from {{ ref('int_geo__raeume') }}

),

schluessel as (

    select adresse_id as zuordnung_id, ags, true as is_adresse from adressen
    union all
    select ags || '-OZ' as zuordnung_id, ags, false as is_adresse from gemeinden

),

adresse_raeume as (

    select
        adresse_id as zuordnung_id,
        gliederung,
        raum_id

    from adressen_raeume

),

ohne_zuordnung_raeume as (

    select
        gemeinden.ags || '-OZ' as zuordnung_id,
        gliederungen.gliederung,
        gemeinden.ags || '-OZ' as raum_id

    from gemeinden
    cross join gliederungen

),

kommunen as (

    select
        zuordnung_id,
        'kommune' as gliederung,
        ags as raum_id

    from schluessel

),

kreise as (

    select
        zuordnung_id,
        'kreis' as gliederung,
        left(ags, 5) as raum_id

    from schluessel

),

final as (

    select * from adresse_raeume
    union all
    select * from ohne_zuordnung_raeume
    union all
    select * from kommunen
    union all
    select * from kreise

)

select * from final

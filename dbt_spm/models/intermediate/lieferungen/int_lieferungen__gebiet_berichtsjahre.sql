-- Data coverage: for each source, the Gebiete and Berichtsjahre covered by a delivery of
-- every municipality of the Gebiet, with the Stichtag used. For `einwohner` and `sgb2` the
-- Berichtsjahr is the Stichtag's year (a municipality counts as delivered when the source
-- holds records of it for that Stichtag); per municipality the newest Stichtag of the year is
-- that year's delivery (rows with gliederung `kommune` give it per municipality); a Gebiet's
-- Stichtag is the newest of its municipalities'. Gebiete and Berichtsjahre missing here get
-- status `keine_daten` in the mart.
with

einwohner as (

    select * from {{ ref('stg_einwohnermeldeamt__einwohner') }}

),

sgb2 as (

    select * from {{ ref('stg_jobcenter__sgb2') }}

),

gebiete as (

    select * from {{ ref('int_geo__gebiete') }}

),

gebiet_gemeinden as (

    select * from {{ ref('int_geo__gebiet_gemeinden') }}

),

einwohner_lieferungen as (

    select
        'einwohner' as quelle,
        ags,
        cast(extract(year from stichtag) as integer) as berichtsjahr,
        max(stichtag) as stichtag

    from einwohner
    group by
        ags,
        cast(extract(year from stichtag) as integer)

),

sgb2_lieferungen as (

    select
        'sgb2' as quelle,
        ags,
        berichtsjahr,
        max(stichtag) as stichtag

    from sgb2
    group by
        ags,
        berichtsjahr

),

lieferungen as (

    select * from einwohner_lieferungen
    union all
    select * from sgb2_lieferungen

),

berichtsjahre as (

    select
        quelle,
        berichtsjahr,
        max(stichtag) as stichtag

    from lieferungen
    group by
        quelle,
        berichtsjahr

),

gebiet_jahre as (

    select
        berichtsjahre.quelle,
        gebiete.gliederung,
        gebiete.raum_id,
        berichtsjahre.berichtsjahr,
        berichtsjahre.stichtag as stichtag_berichtsjahr

    from gebiete
    cross join berichtsjahre

),

gepruefte_gebiet_jahre as (

    select
        gebiet_jahre.quelle,
        gebiet_jahre.gliederung,
        gebiet_jahre.raum_id,
        gebiet_jahre.berichtsjahr,
        coalesce(max(lieferungen.stichtag), max(gebiet_jahre.stichtag_berichtsjahr)) as stichtag,
        sum(
            case
                when gebiet_gemeinden.ags is not null and lieferungen.ags is null then 1
                else 0
            end
        ) as anzahl_fehlende_gemeinden

    from gebiet_jahre
    left join gebiet_gemeinden
        on gebiet_gemeinden.gliederung = gebiet_jahre.gliederung
        and gebiet_gemeinden.raum_id = gebiet_jahre.raum_id
    left join lieferungen
        on lieferungen.quelle = gebiet_jahre.quelle
        and lieferungen.ags = gebiet_gemeinden.ags
        and lieferungen.berichtsjahr = gebiet_jahre.berichtsjahr
    group by
        gebiet_jahre.quelle,
        gebiet_jahre.gliederung,
        gebiet_jahre.raum_id,
        gebiet_jahre.berichtsjahr

),

final as (

    select
        quelle,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag

    from gepruefte_gebiet_jahre
    where anzahl_fehlende_gemeinden = 0

)

select * from final

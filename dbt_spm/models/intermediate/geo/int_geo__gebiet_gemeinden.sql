-- Which municipalities make up each Gebiet (used for data coverage: a Gebiet has data for
-- a source and Berichtsjahr only when every one of its municipalities delivered).
-- Delivered areas name their `ags`; areas crossing municipal borders (ags NULL) take the
-- municipalities of the register addresses inside them.
with

gebiete as (

    select * from {{ ref('int_geo__gebiete') }}

),

gemeinden as (

    select * from {{ ref('int_geo__gemeinden') }}

),

adressen_raeume as (

    select * from {{ ref('int_geo__adressen_raeume') }}

),

mit_ags as (

    select
        gliederung,
        raum_id,
        ags

    from gebiete
    where ebene in ('raum', 'ohne_zuordnung', 'kommune')
        and ags is not null

),

ueber_gemeindegrenzen as (

    select distinct
        gebiete.gliederung,
        gebiete.raum_id,
        adressen_raeume.ags

    from gebiete
    inner join adressen_raeume
        on adressen_raeume.gliederung = gebiete.gliederung
        and adressen_raeume.raum_id = gebiete.raum_id
    where gebiete.ebene = 'raum'
        and gebiete.ags is null

),

kreise as (

    select
        'kreis' as gliederung,
        kreis_ags as raum_id,
        ags

    from gemeinden

),

final as (

    select * from mit_ags
    union all
    select * from ueber_gemeindegrenzen
    union all
    select * from kreise

)

select * from final

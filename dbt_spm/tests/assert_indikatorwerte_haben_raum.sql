-- Every published indicator value finds its area in published.raeume via (gliederung, raum_id).
-- the Dagster asset check hangs on pub_indikatorwerte
{{ config(meta={'dagster': {'ref': {'name': 'pub_indikatorwerte'}}}) }}

with

indikatorwerte as (

    select * from {{ ref('pub_indikatorwerte') }}

),

raeume as (

    select * from {{ ref('pub_raeume') }}

),

final as (

    select distinct
        indikatorwerte.gliederung,
        indikatorwerte.raum_id

    from indikatorwerte
    left join raeume
        on raeume.gliederung = indikatorwerte.gliederung
        and raeume.raum_id = indikatorwerte.raum_id
    where raeume.raum_id is null

)

select * from final

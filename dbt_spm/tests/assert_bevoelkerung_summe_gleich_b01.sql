-- The population table adds up to B01: per Gebiet and Berichtsjahr the sum of `anzahl` in
-- `mart_bevoelkerung` equals the B01 count of `mart_indikatorwerte`, the table has rows
-- exactly for the Gebiete and Berichtsjahre where B01 has data (`status <> 'keine_daten'`),
-- and each of them has the full grid of 88 rows (11 age groups × 4 sexes × 2 nationalities).
-- the Dagster asset check hangs on mart_bevoelkerung
{{ config(meta={'dagster': {'ref': {'name': 'mart_bevoelkerung'}}}) }}

with

bevoelkerung as (

    select * from {{ ref('mart_bevoelkerung') }}

),

indikatorwerte as (

    select * from {{ ref('mart_indikatorwerte') }}
    where code = 'B01'
        and status <> 'keine_daten'

),

summen as (

    select
        gliederung,
        raum_id,
        berichtsjahr,
        sum(anzahl) as anzahl,
        count(*) as zeilen

    from bevoelkerung
    group by
        gliederung,
        raum_id,
        berichtsjahr

),

final as (

    select
        coalesce(summen.gliederung, indikatorwerte.gliederung) as gliederung,
        coalesce(summen.raum_id, indikatorwerte.raum_id) as raum_id,
        coalesce(summen.berichtsjahr, indikatorwerte.berichtsjahr) as berichtsjahr,
        summen.anzahl,
        summen.zeilen,
        indikatorwerte.zaehler as b01

    from summen
    full outer join indikatorwerte
        on indikatorwerte.gliederung = summen.gliederung
        and indikatorwerte.raum_id = summen.raum_id
        and indikatorwerte.berichtsjahr = summen.berichtsjahr
    where summen.anzahl is null
        or indikatorwerte.zaehler is null
        or summen.anzahl <> indikatorwerte.zaehler
        or summen.zeilen <> 88

)

select * from final

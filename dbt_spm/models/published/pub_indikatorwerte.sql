{{ config(alias='indikatorwerte') }}

-- Published indicator values: every computed indicator, sensitive ones protected by
-- disclosure control (mart_geheimhaltung_protokoll, docs/datenschutz.md). A value whose
-- `zaehler` cell is suppressed publishes neither `zaehler` nor `wert`; a `nenner` that is
-- itself a count of the sensitive source is blank when its own cell is suppressed (and
-- then `wert` too). `status`: `gesperrt` when the numerator failed a primary rule,
-- `gesperrt_sekundaer` when it (or only the denominator) was suppressed to protect others.
with

indikatorwerte as (

    select * from {{ ref('mart_indikatorwerte') }}

),

katalog as (

    select * from {{ ref('indikatoren_katalog') }}

),

protokoll as (

    select * from {{ ref('mart_geheimhaltung_protokoll') }}
    where tabelle = 'indikatorwerte'

),

geschuetzt as (

    select
        indikatorwerte.*,
        zaehler_zelle.status as zaehler_status,
        nenner_zelle.status as nenner_status

    from indikatorwerte
    inner join katalog
        on katalog.code = indikatorwerte.code
    left join protokoll as zaehler_zelle
        on zaehler_zelle.teil = 'z'
        and zaehler_zelle.code = indikatorwerte.code
        and zaehler_zelle.gliederung = indikatorwerte.gliederung
        and zaehler_zelle.raum_id = indikatorwerte.raum_id
        and zaehler_zelle.berichtsjahr = indikatorwerte.berichtsjahr
    left join protokoll as nenner_zelle
        on nenner_zelle.teil = 'n'
        and nenner_zelle.code = indikatorwerte.code
        and nenner_zelle.gliederung = indikatorwerte.gliederung
        and nenner_zelle.raum_id = indikatorwerte.raum_id
        and nenner_zelle.berichtsjahr = indikatorwerte.berichtsjahr
    where katalog.berechnet

),

final as (

    select
        code,
        gliederung,
        raum_id,
        raum_name,
        ags,
        berichtsjahr,
        stichtag,
        bezugszeitraum,
        case when zaehler_status like 'gesperrt%' then null else zaehler end as zaehler,
        case when nenner_status like 'gesperrt%' then null else nenner end as nenner,
        case
            when zaehler_status like 'gesperrt%' or nenner_status like 'gesperrt%' then null
            else wert
        end as wert,
        einheit,
        case
            when zaehler_status = 'gesperrt' then 'gesperrt'
            when zaehler_status like 'gesperrt%' or nenner_status like 'gesperrt%'
                then 'gesperrt_sekundaer'
            else status
        end as status

    from geschuetzt

)

select * from final

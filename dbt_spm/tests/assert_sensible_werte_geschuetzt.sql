-- Every published number of indikatorwerte follows the suppression log: a row of a
-- sensitive indicator that shows a `zaehler` has its numerator cell in the log; a row whose
-- numerator cell is suppressed shows neither `zaehler` nor `wert` and has the one status
-- `gesperrt` (primary and secondary alike), and only such a row has it; the denominator is
-- never suppressed: `nenner` is the mart's in every row. Only numerators are cells.
-- the Dagster asset check hangs on pub_indikatorwerte
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'pub_indikatorwerte'}}}) }}

with

veroeffentlicht as (

    select * from {{ ref('pub_indikatorwerte') }}

),

berechnet as (

    select * from {{ ref('mart_indikatorwerte') }}

),

katalog as (

    select * from {{ ref('indikatoren_katalog') }}

),

protokoll as (

    select * from {{ ref('mart_geheimhaltung_protokoll') }}
    where tabelle = 'indikatorwerte'
        and teil = 'z'

),

final as (

    select
        veroeffentlicht.code,
        veroeffentlicht.gliederung,
        veroeffentlicht.raum_id,
        veroeffentlicht.berichtsjahr,
        veroeffentlicht.status,
        protokoll.status as protokoll_status,
        protokoll.cell_id

    from veroeffentlicht
    inner join katalog
        on katalog.code = veroeffentlicht.code
    inner join berechnet
        on berechnet.code = veroeffentlicht.code
        and berechnet.gliederung = veroeffentlicht.gliederung
        and berechnet.raum_id = veroeffentlicht.raum_id
        and berechnet.berichtsjahr = veroeffentlicht.berichtsjahr
    left join protokoll
        on protokoll.code = veroeffentlicht.code
        and protokoll.gliederung = veroeffentlicht.gliederung
        and protokoll.raum_id = veroeffentlicht.raum_id
        and protokoll.berichtsjahr = veroeffentlicht.berichtsjahr
    where (katalog.sensibel and veroeffentlicht.zaehler is not null and protokoll.cell_id is null)
        or (protokoll.status = 'gesperrt'
            and (veroeffentlicht.zaehler is not null or veroeffentlicht.wert is not null
                 or veroeffentlicht.status <> 'gesperrt'))
        or (veroeffentlicht.status = 'gesperrt' and protokoll.status is distinct from 'gesperrt')
        or veroeffentlicht.nenner is distinct from berechnet.nenner

)

select * from final

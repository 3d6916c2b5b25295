-- Every published number of a sensitive indicator went through disclosure control: a row
-- of published.indikatorwerte with a sensitive code and a `zaehler` has its numerator cell
-- in the suppression log, and nothing suppressed there is shown.
-- the Dagster asset check hangs on pub_indikatorwerte
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'pub_indikatorwerte'}}}) }}

with

veroeffentlicht as (

    select * from {{ ref('pub_indikatorwerte') }}

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
        protokoll.status as protokoll_status,
        protokoll.cell_id

    from veroeffentlicht
    inner join katalog
        on katalog.code = veroeffentlicht.code
    left join protokoll
        on protokoll.code = veroeffentlicht.code
        and protokoll.gliederung = veroeffentlicht.gliederung
        and protokoll.raum_id = veroeffentlicht.raum_id
        and protokoll.berichtsjahr = veroeffentlicht.berichtsjahr
    where katalog.sensibel
        and (
            (veroeffentlicht.zaehler is not null and protokoll.cell_id is null)
            or (veroeffentlicht.zaehler is not null and protokoll.status like 'gesperrt%')
            or (veroeffentlicht.wert is not null and protokoll.status like 'gesperrt%')
        )

)

select * from final

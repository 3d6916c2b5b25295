-- Published indicator values: every computed indicator, sensitive numerators protected by
-- disclosure control (mart_geheimhaltung_protokoll, docs/datenschutz.md). Only the
-- numerator of a sensitive indicator is a cell of the log (`teil = 'z'`): when that cell is
-- not `ok`, neither `zaehler` nor `wert` is published and `status` is `gesperrt` — one
-- status for primary and secondary suppression (which one stays in the private log, a
-- published "primary" would tell that the count is 1 or 2). `nenner` is always published:
-- denominators are no cells and are never suppressed. Fail-safe: any log status other than
-- `ok` counts as suppressed.
with

indikatorwerte as (

    select * from {{ ref('mart_indikatorwerte') }}

),

katalog as (

    select * from {{ ref('indikatoren_katalog') }}

),

zaehler_zellen as (

    select * from {{ ref('mart_geheimhaltung_protokoll') }}
    where tabelle = 'indikatorwerte'
        and teil = 'z'

),

geschuetzt as (

    select
        indikatorwerte.*,
        zaehler_zellen.cell_id is not null
        and zaehler_zellen.status is distinct from 'ok' as is_gesperrt

    from indikatorwerte
    inner join katalog
        on katalog.code = indikatorwerte.code
    left join zaehler_zellen
        on zaehler_zellen.code = indikatorwerte.code
        and zaehler_zellen.gliederung = indikatorwerte.gliederung
        and zaehler_zellen.raum_id = indikatorwerte.raum_id
        and zaehler_zellen.berichtsjahr = indikatorwerte.berichtsjahr
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
        case when is_gesperrt then null else zaehler end as zaehler,
        nenner,
        case when is_gesperrt then null else wert end as wert,
        einheit,
        case when is_gesperrt then 'gesperrt' else status end as status

    from geschuetzt

)

select * from final

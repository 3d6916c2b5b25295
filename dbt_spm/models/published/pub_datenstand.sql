-- Published data status per source and municipality (`mart_datenstand`), without file
-- names and without anything person-level. The row count of a source whose indicators are
-- sensitive (the catalogue's first source of every `sensibel` indicator but the
-- single-parent figures H04 / H06, whose source, the residents register, counts residents,
-- no single parents) is never published: it equals or bounds protected figures (the rows of `hze` are
-- the cases of all Hilfearten, those of `schule` the denominator of BI01, those of `sgb2`
-- bound S01) and would undo their suppression (`hinweis` says so). With 1 to
-- min_count - 1 rows, neither are the quarantined rows and the match rate (`status`
-- `gesperrt`). Quarantined rows are faulty records, no count of persons with a
-- characteristic.
{%- set min_count = var('geheimhaltung', {}).get('min_count', 3) %}
with

datenstand as (

    select * from {{ ref('mart_datenstand') }}

),

katalog as (

    select * from {{ ref('indikatoren_katalog') }}

),

sensible_quellen as (

    select distinct
        datenstand.quelle

    from datenstand
    inner join katalog
        on split_part(katalog.quelle, ';', 1) like '%(' || datenstand.quelle || ')%'
    where katalog.sensibel
        and katalog.code not like 'H%'

),

geprueft as (

    select
        datenstand.*,
        sensible_quellen.quelle is not null as is_sensibel,
        sensible_quellen.quelle is not null
        and datenstand.zeilen between 1 and {{ min_count - 1 }} as is_gesperrt

    from datenstand
    left join sensible_quellen
        on sensible_quellen.quelle = datenstand.quelle

),

final as (

    select
        quelle,
        gliederung,
        ags,
        kommune,
        stichtag,
        anzahl_stichtage,
        geliefert_am,
        case when is_sensibel then null else zeilen end as zeilen,
        case when is_gesperrt then null else zeilen_quarantaene end as zeilen_quarantaene,
        case when is_gesperrt then null else zuordnungsquote end as zuordnungsquote,
        case
            when stichtag is null then 'keine_daten'
            when is_gesperrt then 'gesperrt'
            else 'ok'
        end as status,
        case
            when stichtag is null then 'keine Lieferung'
            when is_gesperrt then 'weniger als {{ min_count }} Zeilen (Geheimhaltung)'
            when is_sensibel then 'Zeilenzahl nicht ausgewiesen (Geheimhaltung)'
            when quelle = 'raumgliederung' and length(ags) = 5
                then 'Räume über Gemeindegrenzen'
        end as hinweis

    from geprueft

)

select * from final
order by quelle, gliederung, ags

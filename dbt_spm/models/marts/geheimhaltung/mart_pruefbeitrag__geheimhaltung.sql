-- Contribution to the published `qualitaet` table (dagster_project/qualitaet.py): the
-- attacker audit of disclosure control (mart_geheimhaltung_audit) with its figures — the
-- suppressed cells checked, those not protected, the narrowest interval — and the number of
-- cells suppressed by each kind of rule (mart_geheimhaltung_protokoll). Severity `error`:
-- an unprotected cell blocks publishing (as does the dbt test on the audit).
with

audit as (

    select * from {{ ref('mart_geheimhaltung_audit') }}

),

protokoll as (

    select * from {{ ref('mart_geheimhaltung_protokoll') }}

),

pruefung as (

    select
        count(*) as geprueft,
        count(case when not geschuetzt then 1 end) as ungeschuetzt,
        min(oben - unten) as engstes_intervall

    from audit

),

sperrungen as (

    select
        count(case when status = 'gesperrt' then 1 end) as primaer,
        count(case when status = 'gesperrt_sekundaer' then 1 end) as sekundaer,
        count(case when status <> 'verborgen' then 1 end) as zellen

    from protokoll

),

kennzahlen as (

    select 'zellen_geprueft' as kennzahl, cast(geprueft as double precision) as wert
    from pruefung
    union all
    select 'zellen_ungeschuetzt', cast(ungeschuetzt as double precision) from pruefung
    union all
    select 'engstes_intervall', engstes_intervall from pruefung
    union all
    select 'zellen_insgesamt', cast(zellen as double precision) from sperrungen
    union all
    select 'gesperrt_primaer', cast(primaer as double precision) from sperrungen
    union all
    select 'gesperrt_sekundaer', cast(sekundaer as double precision) from sperrungen

),

final as (

    select
        'geheimhaltung_audit' as pruefung,
        'published/indikatorwerte, published/hze_hilfearten' as gegenstand,
        'error' as schweregrad,
        case when pruefung.ungeschuetzt = 0 then 'bestanden' else 'fehlgeschlagen' end
            as ergebnis,
        kennzahlen.kennzahl,
        kennzahlen.wert,
        case
            when kennzahlen.kennzahl = 'engstes_intervall'
                then 'Engstes Intervall, das ein Angreifer für einen gesperrten Wert ableiten kann'
            when kennzahlen.kennzahl = 'zellen_ungeschuetzt' and pruefung.ungeschuetzt > 0
                then 'Gesperrte Werte, die sich genauer als der Schutzbereich eingrenzen lassen'
        end as hinweis

    from kennzahlen
    cross join pruefung

)

select * from final

-- Contribution to the published `qualitaet` table (dagster_project/quality/gate.py): the
-- attacker audit of disclosure control (mart_geheimhaltung_audit) with its figures — the
-- suppressed cells checked, those not protected, the narrowest interval — and the number of
-- cells and of suppressed cells (mart_geheimhaltung_protokoll). Every row is published as
-- it is, so there is no split into primary and secondary suppression (`sperrart`): that is
-- recorded in the private log only (privacy-and-publishing.md: knowing that, say, no cell
-- was suppressed secondarily would tell that every suppressed count failed a primary rule,
-- i.e. is small). The private quality report shows the split. Severity `error`: an unprotected cell blocks
-- publishing (as does the dbt test on the audit).
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
        count(*) as zellen,
        count(case when status = 'gesperrt' then 1 end) as gesperrt

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
    select 'zellen_gesperrt', cast(gesperrt as double precision) from sperrungen

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
            when kennzahlen.kennzahl = 'engstes_intervall' and kennzahlen.wert = 0
                then 'Engstes Intervall, das ein Angreifer für einen gesperrten Wert ableiten '
                    || 'kann; 0: ein gesperrter Wert ist schon durch Angaben festgelegt, die '
                    || 'nie gesperrt werden (Nullen, Kreiswerte, Nenner, nicht sensible Zahlen)'
            when kennzahlen.kennzahl = 'engstes_intervall'
                then 'Engstes Intervall, das ein Angreifer für einen gesperrten Wert ableiten kann'
            when kennzahlen.kennzahl = 'zellen_ungeschuetzt' and pruefung.ungeschuetzt > 0
                then 'Gesperrte Werte, die sich genauer eingrenzen lassen, als die Regeln '
                    || 'erlauben'
        end as hinweis

    from kennzahlen
    cross join pruefung

)

select * from final

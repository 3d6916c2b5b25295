-- Contribution to the published `qualitaet` table (dagster_project/quality/gate.py, models
-- `mart_pruefbeitrag__*`): did every municipality of the county deliver every tabular
-- source? Severity `warn`: a missing delivery is published as `keine_daten` and does not
-- block publishing, but the planning units see it in `qualitaet`.
with

datenstand as (

    select * from {{ ref('mart_datenstand') }}

),

final as (

    select
        'lieferung_vollstaendig' as pruefung,
        'raw/' || quelle as gegenstand,
        'warn' as schweregrad,
        case
            when count(case when stichtag is null then 1 end) = 0 then 'bestanden'
            else 'fehlgeschlagen'
        end as ergebnis,
        'gemeinden_ohne_lieferung' as kennzahl,
        cast(count(case when stichtag is null then 1 end) as double precision) as wert,
        case
            when count(case when stichtag is null then 1 end) = 0
                then 'Alle ' || cast(count(*) as varchar) || ' Gemeinden haben geliefert.'
            else 'Ohne Lieferung: '
                || string_agg(case when stichtag is null then ags end, ', ' order by ags)
        end as hinweis

    from datenstand
    where quelle <> 'raumgliederung'
    group by
        quelle

)

select * from final

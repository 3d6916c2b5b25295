{{ config(alias='hze_hilfearten') }}

-- Published Hilfen zur Erziehung by Hilfeart: the figures of mart_hze_hilfearten protected
-- by disclosure control (every figure is sensitive; mart_geheimhaltung_protokoll). A
-- suppressed figure is blank. `status` of the row: `gesperrt` when a figure failed a
-- primary rule, `gesperrt_sekundaer` when figures were suppressed only to protect others,
-- else the mart's status. The helper figures of the dominance rule stay private.
{%- set kennzahlen = ['anzahl_faelle', 'anzahl_laufend', 'anzahl_neu', 'ausgaben_euro'] %}
with

hilfearten as (

    select * from {{ ref('mart_hze_hilfearten') }}

),

gebiete as (

    select * from {{ ref('int_geo__gebiete') }}

),

protokoll as (

    select * from {{ ref('mart_geheimhaltung_protokoll') }}
    where tabelle = 'hze_hilfearten'

),

-- per row: the status of each figure
zellen as (

    select
        gliederung,
        raum_id,
        berichtsjahr,
        code as hilfeart,
        {%- for k in kennzahlen %}
        max(case when teil = '{{ k }}' then status end) as status_{{ k }}{{ "," if not loop.last }}
        {%- endfor %}

    from protokoll
    group by
        gliederung,
        raum_id,
        berichtsjahr,
        code

),

final as (

    select
        hilfearten.gliederung,
        hilfearten.raum_id,
        gebiete.raum_name,
        gebiete.ags,
        hilfearten.berichtsjahr,
        hilfearten.stichtag,
        hilfearten.hilfeart,
        {%- for k in kennzahlen %}
        case
            when zellen.status_{{ k }} like 'gesperrt%' then null
            else hilfearten.{{ k }}
        end as {{ k }},
        {%- endfor %}
        case
            {%- for k in kennzahlen %}
            when zellen.status_{{ k }} = 'gesperrt' then 'gesperrt'
            {%- endfor %}
            {%- for k in kennzahlen %}
            when zellen.status_{{ k }} = 'gesperrt_sekundaer' then 'gesperrt_sekundaer'
            {%- endfor %}
            else hilfearten.status
        end as status

    from hilfearten
    inner join gebiete
        on gebiete.gliederung = hilfearten.gliederung
        and gebiete.raum_id = hilfearten.raum_id
    left join zellen
        on zellen.gliederung = hilfearten.gliederung
        and zellen.raum_id = hilfearten.raum_id
        and zellen.berichtsjahr = hilfearten.berichtsjahr
        and zellen.hilfeart = hilfearten.hilfeart

)

select * from final

-- Published Hilfen zur Erziehung by Hilfeart: the figures of mart_hze_hilfearten protected
-- by disclosure control (every figure is sensitive; mart_geheimhaltung_protokoll). A
-- suppressed figure (a log status other than `ok`) is blank. `status` of the row:
-- `gesperrt` when any of its figures is suppressed — one status for primary and secondary
-- suppression, which one stays in the private log — else the mart's status. The helper
-- figures of the dominance rule stay private.
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

-- per row: whether each figure is suppressed
zellen as (

    select
        gliederung,
        raum_id,
        berichtsjahr,
        code as hilfeart,
        {%- for k in kennzahlen %}
        max(case when teil = '{{ k }}' and status is distinct from 'ok' then 1 else 0 end) = 1
            as is_gesperrt_{{ k }}{{ "," if not loop.last }}
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
            when zellen.is_gesperrt_{{ k }} then null
            else hilfearten.{{ k }}
        end as {{ k }},
        {%- endfor %}
        case
            when
            {%- for k in kennzahlen %}
                {{ "or " if not loop.first }}zellen.is_gesperrt_{{ k }}
            {%- endfor %}
                then 'gesperrt'
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

-- Address match report (private quality figure, contracts.md): per source, Stichtag and
-- municipality the records and how they matched the address register.
with

abgleich as (

    select * from {{ ref('int_adressen__abgleich') }}

),

final as (

    select
        quelle,
        stichtag,
        ags,
        count(*) as datensaetze,
        count(case when adress_abgleich = 'exakt' then 1 end) as exakt,
        count(case when adress_abgleich = 'ohne_zusatz' then 1 end) as ohne_zusatz,
        count(case when adress_abgleich = 'keine' then 1 end) as nicht_zugeordnet,
        100 * cast(count(case when adress_abgleich <> 'keine' then 1 end) as double precision)
        / count(*) as zuordnungsquote

    from abgleich
    group by
        quelle,
        stichtag,
        ags

)

select * from final

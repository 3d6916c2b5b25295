-- The addresses that matched no register address, per source, Stichtag and municipality,
-- as the agency delivered them: the list the statistics office uses to fix the register
-- or the agency's spelling.
with

abgleich as (

    select * from {{ ref('int_adressen__abgleich') }}

),

nicht_zugeordnet as (

    select * from abgleich
    where adress_abgleich = 'keine'

),

final as (

    select
        quelle,
        stichtag,
        ags,
        strasse,
        strasse_norm,
        hausnummer,
        hausnummer_zusatz_norm,
        plz,
        count(*) as anzahl

    from nicht_zugeordnet
    group by
        quelle,
        stichtag,
        ags,
        strasse,
        strasse_norm,
        hausnummer,
        hausnummer_zusatz_norm,
        plz

)

select * from final

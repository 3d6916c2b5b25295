-- Hilfen zur Erziehung by `hilfeart` (indicators.md, "a breakdown table: per area, year and
-- `hilfeart`: cases in the year, laufend at the Stichtag, new in the year, expenditure"),
-- unprotected (private zone, not published until disclosure control exists).
-- Every Gebiet of `int_geo__gebiete` appears for every Berichtsjahr with an `hze` delivery
-- and every one of the 12 `hilfeart` codes of the contract; zero counts where there are no
-- cases. A Gebiet whose municipalities did not all deliver that year gets
-- `status = 'keine_daten'` and NULL figures. A case is a row (`fall_id`) of the delivery for
-- the Stichtag in use (per municipality the newest Stichtag of the Berichtsjahr); all ages.
-- "laufend" = `beginn` <= Stichtag and (`ende` empty or `ende` >= Stichtag); "neu" =
-- `beginn` in the Berichtsjahr. Figures are summed from the microdata of each Gebiet over
-- `int_geo__zuordnung_gebiete` (the largest single case: the largest over the Gebiet).
-- `anzahl_mit_ausgaben` and `max_ausgaben_euro` are for later disclosure control
-- (dominance of a single case), not for publication.
{%- set hilfearten = ['27_2', '28', '29', '30', '31', '32', '33', '34', '35', '35a', '41', '42'] %}
with

hze as (

    select * from {{ ref('int_personen__hze') }}

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

gebiete as (

    select * from {{ ref('int_geo__gebiete') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'hze'

),

hilfearten as (

    select unnest([
        {%- for h in hilfearten %}'{{ h }}'{{ ", " if not loop.last }}{% endfor -%}
    ]) as hilfeart

),

-- per municipality and Berichtsjahr the `hze` Stichtag in use (the newest of the year)
gemeinde_stichtage as (

    select
        raum_id as ags,
        berichtsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

berichtsjahre as (

    select
        berichtsjahr,
        max(stichtag) as stichtag

    from abdeckung
    group by berichtsjahr

),

faelle_je_zuordnung as (

    select
        gemeinde_stichtage.berichtsjahr,
        hze.zuordnung_id,
        hze.hilfeart,
        count(*) as anzahl_faelle,
        count(*) filter (
            where hze.beginn_datum <= hze.stichtag
                and (hze.ende_datum is null or hze.ende_datum >= hze.stichtag)
        ) as anzahl_laufend,
        count(*) filter (
            where extract(year from hze.beginn_datum) = gemeinde_stichtage.berichtsjahr
        ) as anzahl_neu,
        coalesce(sum(hze.kosten_euro), 0) as ausgaben_euro,
        count(*) filter (where hze.kosten_euro > 0) as anzahl_mit_ausgaben,
        coalesce(max(hze.kosten_euro), 0) as max_ausgaben_euro

    from hze
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = hze.ags
        and gemeinde_stichtage.stichtag = hze.stichtag
    group by
        gemeinde_stichtage.berichtsjahr,
        hze.zuordnung_id,
        hze.hilfeart

),

faelle_je_gebiet as (

    {{ aggregate_to_gebiete(
        'faelle_je_zuordnung',
        [
            'anzahl_faelle', 'anzahl_laufend', 'anzahl_neu', 'ausgaben_euro',
            'anzahl_mit_ausgaben', ('max_ausgaben_euro', 'max'),
        ],
        keys=['berichtsjahr', 'hilfeart'],
    ) }}

),

-- every Gebiet, Berichtsjahr and hilfeart
raster as (

    select
        gebiete.gliederung,
        gebiete.raum_id,
        berichtsjahre.berichtsjahr,
        berichtsjahre.stichtag as stichtag_berichtsjahr,
        hilfearten.hilfeart

    from gebiete
    cross join berichtsjahre
    cross join hilfearten

),

final as (

    select
        raster.gliederung,
        raster.raum_id,
        raster.berichtsjahr,
        coalesce(abdeckung.stichtag, raster.stichtag_berichtsjahr) as stichtag,
        raster.hilfeart,
        case when abdeckung.raum_id is null then 'keine_daten' else 'ok' end as status,
        case
            when abdeckung.raum_id is not null
                then cast(coalesce(faelle_je_gebiet.anzahl_faelle, 0) as bigint)
        end as anzahl_faelle,
        case
            when abdeckung.raum_id is not null
                then cast(coalesce(faelle_je_gebiet.anzahl_laufend, 0) as bigint)
        end as anzahl_laufend,
        case
            when abdeckung.raum_id is not null
                then cast(coalesce(faelle_je_gebiet.anzahl_neu, 0) as bigint)
        end as anzahl_neu,
        case
            when abdeckung.raum_id is not null
                then cast(coalesce(faelle_je_gebiet.ausgaben_euro, 0) as decimal(18, 2))
        end as ausgaben_euro,
        case
            when abdeckung.raum_id is not null
                then cast(coalesce(faelle_je_gebiet.anzahl_mit_ausgaben, 0) as bigint)
        end as anzahl_mit_ausgaben,
        case
            when abdeckung.raum_id is not null
                then cast(coalesce(faelle_je_gebiet.max_ausgaben_euro, 0) as decimal(18, 2))
        end as max_ausgaben_euro

    from raster
    left join abdeckung
        on abdeckung.gliederung = raster.gliederung
        and abdeckung.raum_id = raster.raum_id
        and abdeckung.berichtsjahr = raster.berichtsjahr
    left join faelle_je_gebiet
        on faelle_je_gebiet.gliederung = raster.gliederung
        and faelle_je_gebiet.raum_id = raster.raum_id
        and faelle_je_gebiet.berichtsjahr = raster.berichtsjahr
        and faelle_je_gebiet.hilfeart = raster.hilfeart

)

select * from final

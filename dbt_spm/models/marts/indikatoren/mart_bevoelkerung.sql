-- Population by age group, sex and nationality per Gebiet and Berichtsjahr (the
-- "Bevölkerungstabelle"): residents with Hauptwohnung (`wohnungsstatus = H`, indicators.md
-- "Population") at the Stichtag B01 uses (per municipality the newest `einwohner` Stichtag
-- of the Berichtsjahr, `int_lieferungen__gebiet_berichtsjahre`), counted per assignment key
-- and summed over the bridge `int_geo__zuordnung_gebiete` (never from lower levels).
-- Age in completed years at the Stichtag (`int_personen__einwohner.alter`), in half-open
-- groups `0-2` … `80+`; `staatsangehoerigkeit` = `nichtdeutsch` when neither nationality
-- is `000` (docs/decisions.md), else `deutsch`.
-- A full grid: every Gebiet and Berichtsjahr covered by an `einwohner` delivery gets all
-- 11 age groups × 4 sexes × 2 nationalities, zeros included, so a missing row always means
-- "no delivery" and the sum of `anzahl` per Gebiet and Berichtsjahr equals B01.
{%- set altersgruppen = [
    ('0-2', 0, 2),
    ('3-5', 3, 5),
    ('6-9', 6, 9),
    ('10-14', 10, 14),
    ('15-17', 15, 17),
    ('18-20', 18, 20),
    ('21-24', 21, 24),
    ('25-44', 25, 44),
    ('45-64', 45, 64),
    ('65-79', 65, 79),
    ('80+', 80, none),
] %}
{%- set geschlechter = ['m', 'w', 'd', 'o'] %}
{%- set staatsangehoerigkeiten = ['deutsch', 'nichtdeutsch'] %}
with

einwohner as (

    select * from {{ ref('int_personen__einwohner') }}
    where is_hauptwohnung

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

gebiete as (

    select * from {{ ref('int_geo__gebiete') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'einwohner'

),

-- per municipality and Berichtsjahr the Stichtag in use (the newest of the year), as B01
gemeinde_stichtage as (

    select
        raum_id as ags,
        berichtsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

altersgruppen as (

    {%- for name, von, bis in altersgruppen %}
    {%- if not loop.first %}
    union all
    {%- endif %}
    select
        '{{ name }}' as altersgruppe,
        {{ von }} as alter_von,
        {{ bis if bis is not none else 'cast(null as integer)' }} as alter_bis
    {%- endfor %}

),

merkmale as (

    select
        altersgruppen.altersgruppe,
        altersgruppen.alter_von,
        altersgruppen.alter_bis,
        geschlechter.geschlecht,
        staatsangehoerigkeiten.staatsangehoerigkeit

    from altersgruppen
    cross join (
        {%- for g in geschlechter %}
        select '{{ g }}' as geschlecht{{ " union all" if not loop.last }}
        {%- endfor %}
    ) as geschlechter
    cross join (
        {%- for s in staatsangehoerigkeiten %}
        select '{{ s }}' as staatsangehoerigkeit{{ " union all" if not loop.last }}
        {%- endfor %}
    ) as staatsangehoerigkeiten

),

einwohner_im_berichtsjahr as (

    select
        gemeinde_stichtage.berichtsjahr,
        einwohner.zuordnung_id,
        altersgruppen.altersgruppe,
        einwohner.geschlecht,
        case when einwohner.is_nichtdeutsch then 'nichtdeutsch' else 'deutsch' end
            as staatsangehoerigkeit

    from einwohner
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = einwohner.ags
        and gemeinde_stichtage.stichtag = einwohner.stichtag
    inner join altersgruppen
        on einwohner.alter >= altersgruppen.alter_von
        and (altersgruppen.alter_bis is null or einwohner.alter <= altersgruppen.alter_bis)

),

-- first aggregate per assignment key (address), then spread over the bridge
je_zuordnung as (

    select
        berichtsjahr,
        zuordnung_id,
        altersgruppe,
        geschlecht,
        staatsangehoerigkeit,
        count(*) as anzahl

    from einwohner_im_berichtsjahr
    group by
        berichtsjahr,
        zuordnung_id,
        altersgruppe,
        geschlecht,
        staatsangehoerigkeit

),

je_gebiet as (

    {{ aggregate_to_gebiete(
        'je_zuordnung',
        ['anzahl'],
        keys=['berichtsjahr', 'altersgruppe', 'geschlecht', 'staatsangehoerigkeit'],
    ) }}

),

-- every covered Gebiet and Berichtsjahr × every combination, zeros where nobody is
raster as (

    select
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        abdeckung.stichtag,
        merkmale.*

    from abdeckung
    cross join merkmale

),

final as (

    select
        raster.gliederung,
        raster.raum_id,
        gebiete.raum_name,
        gebiete.ags,
        raster.berichtsjahr,
        raster.stichtag,
        raster.altersgruppe,
        raster.alter_von,
        raster.alter_bis,
        raster.geschlecht,
        raster.staatsangehoerigkeit,
        cast(coalesce(je_gebiet.anzahl, 0) as bigint) as anzahl

    from raster
    inner join gebiete
        on gebiete.gliederung = raster.gliederung
        and gebiete.raum_id = raster.raum_id
    left join je_gebiet
        on je_gebiet.gliederung = raster.gliederung
        and je_gebiet.raum_id = raster.raum_id
        and je_gebiet.berichtsjahr = raster.berichtsjahr
        and je_gebiet.altersgruppe = raster.altersgruppe
        and je_gebiet.geschlecht = raster.geschlecht
        and je_gebiet.staatsangehoerigkeit = raster.staatsangehoerigkeit

)

select * from final

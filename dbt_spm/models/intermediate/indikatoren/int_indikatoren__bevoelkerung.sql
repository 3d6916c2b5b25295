-- B indicators (Bevölkerungsstruktur, source `einwohner`): numerator and denominator per
-- Gebiet and Berichtsjahr, summed from the microdata of each Gebiet (never averaged from
-- lower levels). Population = residents with `wohnungsstatus = H`. Rows only for Gebiete
-- and Berichtsjahre covered by a delivery; Gebiete without residents get zero counts.
-- The mart applies `faktor`, `einheit` and the status rules from the catalogue.
with

einwohner as (

    select * from {{ ref('int_personen__einwohner') }}
    where is_hauptwohnung

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'einwohner'

),

-- per municipality and Berichtsjahr the Stichtag in use (the newest of the year)
gemeinde_stichtage as (

    select
        raum_id as ags,
        berichtsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

einwohner_im_berichtsjahr as (

    select
        einwohner.*,
        gemeinde_stichtage.berichtsjahr as berichtsjahr_verwendet

    from einwohner
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = einwohner.ags
        and gemeinde_stichtage.stichtag = einwohner.stichtag

),

-- first aggregate per assignment key (address), then spread over the bridge
je_zuordnung as (

    select
        berichtsjahr_verwendet as berichtsjahr,
        zuordnung_id,
        count(*) as n_gesamt,
        sum(case when alter < 18 then 1 else 0 end) as n_unter_18,
        sum(case when alter < 6 then 1 else 0 end) as n_unter_6,
        sum(case when alter >= 65 then 1 else 0 end) as n_ab_65,
        sum(case when alter >= 80 then 1 else 0 end) as n_ab_80,
        sum(case when alter < 20 then 1 else 0 end) as n_unter_20,
        sum(case when alter >= 20 and alter < 65 then 1 else 0 end) as n_20_bis_64,
        sum(case when is_nichtdeutsch then 1 else 0 end) as n_nichtdeutsch,
        sum(case when is_nichtdeutsch and alter < 18 then 1 else 0 end) as n_nichtdeutsch_unter_18,
        sum(case when zuzug_datum is not null then 1 else 0 end) as n_zuzug_bekannt,
        -- the 365 days that end on the Stichtag (docs/decisions.md)
        sum(case when tage_seit_zuzug between 0 and 364 then 1 else 0 end) as n_zuzug_12_monate,
        sum(case when alter >= 5 and zuzug_datum is not null then 1 else 0 end) as n_ab_5_zuzug_bekannt,
        sum(case when alter >= 5 and wohndauer_jahre >= 5 then 1 else 0 end) as n_ab_5_wohndauer_5

    from einwohner_im_berichtsjahr
    group by berichtsjahr_verwendet, zuordnung_id

),

je_gebiet as (

    select
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        je_zuordnung.berichtsjahr,
        sum(je_zuordnung.n_gesamt) as n_gesamt,
        sum(je_zuordnung.n_unter_18) as n_unter_18,
        sum(je_zuordnung.n_unter_6) as n_unter_6,
        sum(je_zuordnung.n_ab_65) as n_ab_65,
        sum(je_zuordnung.n_ab_80) as n_ab_80,
        sum(je_zuordnung.n_unter_20) as n_unter_20,
        sum(je_zuordnung.n_20_bis_64) as n_20_bis_64,
        sum(je_zuordnung.n_nichtdeutsch) as n_nichtdeutsch,
        sum(je_zuordnung.n_nichtdeutsch_unter_18) as n_nichtdeutsch_unter_18,
        sum(je_zuordnung.n_zuzug_bekannt) as n_zuzug_bekannt,
        sum(je_zuordnung.n_zuzug_12_monate) as n_zuzug_12_monate,
        sum(je_zuordnung.n_ab_5_zuzug_bekannt) as n_ab_5_zuzug_bekannt,
        sum(je_zuordnung.n_ab_5_wohndauer_5) as n_ab_5_wohndauer_5

    from je_zuordnung
    inner join zuordnung_gebiete
        on zuordnung_gebiete.zuordnung_id = je_zuordnung.zuordnung_id
    group by
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        je_zuordnung.berichtsjahr

),

-- every covered Gebiet and Berichtsjahr, zero counts where nobody lives
vollstaendig as (

    select
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        abdeckung.stichtag,
        coalesce(je_gebiet.n_gesamt, 0) as n_gesamt,
        coalesce(je_gebiet.n_unter_18, 0) as n_unter_18,
        coalesce(je_gebiet.n_unter_6, 0) as n_unter_6,
        coalesce(je_gebiet.n_ab_65, 0) as n_ab_65,
        coalesce(je_gebiet.n_ab_80, 0) as n_ab_80,
        coalesce(je_gebiet.n_unter_20, 0) as n_unter_20,
        coalesce(je_gebiet.n_20_bis_64, 0) as n_20_bis_64,
        coalesce(je_gebiet.n_nichtdeutsch, 0) as n_nichtdeutsch,
        coalesce(je_gebiet.n_nichtdeutsch_unter_18, 0) as n_nichtdeutsch_unter_18,
        coalesce(je_gebiet.n_zuzug_bekannt, 0) as n_zuzug_bekannt,
        coalesce(je_gebiet.n_zuzug_12_monate, 0) as n_zuzug_12_monate,
        coalesce(je_gebiet.n_ab_5_zuzug_bekannt, 0) as n_ab_5_zuzug_bekannt,
        coalesce(je_gebiet.n_ab_5_wohndauer_5, 0) as n_ab_5_wohndauer_5

    from abdeckung
    left join je_gebiet
        on je_gebiet.gliederung = abdeckung.gliederung
        and je_gebiet.raum_id = abdeckung.raum_id
        and je_gebiet.berichtsjahr = abdeckung.berichtsjahr

),

-- B10: same Gebiet (today's geography) in the previous Berichtsjahr, if covered
mit_vorjahr as (

    select
        vollstaendig.*,
        vorjahr.n_gesamt as n_gesamt_vorjahr

    from vollstaendig
    left join vollstaendig as vorjahr
        on vorjahr.gliederung = vollstaendig.gliederung
        and vorjahr.raum_id = vollstaendig.raum_id
        and vorjahr.berichtsjahr = vollstaendig.berichtsjahr - 1

),

indikatoren as (

    {%- set quotienten = [
        ('B02', 'n_unter_18', 'n_gesamt'),
        ('B03', 'n_unter_6', 'n_gesamt'),
        ('B04', 'n_ab_65', 'n_gesamt'),
        ('B05', 'n_ab_80', 'n_gesamt'),
        ('B06', 'n_unter_20', 'n_20_bis_64'),
        ('B07', 'n_ab_65', 'n_20_bis_64'),
        ('B08', 'n_nichtdeutsch', 'n_gesamt'),
        ('B09', 'n_nichtdeutsch_unter_18', 'n_unter_18'),
        ('B11', 'n_zuzug_12_monate', 'n_zuzug_bekannt'),
        ('B12', 'n_ab_5_wohndauer_5', 'n_ab_5_zuzug_bekannt'),
    ] %}

    select
        'B01' as code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        n_gesamt as zaehler,
        cast(null as bigint) as nenner
    from mit_vorjahr

    {%- for code, zaehler, nenner in quotienten %}

    union all

    select
        '{{ code }}' as code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        {{ zaehler }} as zaehler,
        {{ nenner }} as nenner
    from mit_vorjahr
    {%- endfor %}

    union all

    select
        'B10' as code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        n_gesamt - n_gesamt_vorjahr as zaehler,
        n_gesamt_vorjahr as nenner
    from mit_vorjahr

),

final as (

    select
        code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        cast(berichtsjahr as varchar) as bezugszeitraum,
        cast(zaehler as bigint) as zaehler,
        cast(nenner as bigint) as nenner

    from indikatoren

)

select * from final

-- S indicators (Soziale Lage, SGB II, source `sgb2`): numerator and denominator per Gebiet
-- and Berichtsjahr, summed from the microdata of each Gebiet (never averaged from lower
-- levels). RLB = `ELB` + `NEF`. Rows only for Gebiete and Berichtsjahre covered by an
-- `sgb2` delivery; Gebiete without records get zero counts.
-- Bedarfsgemeinschaften (S02, S08) are counted as distinct `bg_id` per Gebiet: a BG whose
-- members live at addresses in different areas counts once in each area where a member
-- lives (and once in every higher level, e.g. once for the county).
-- Population denominators (S03–S07, S09, S10): residents with Hauptwohnung from the newest
-- `einwohner` Stichtag of the municipality on or before the `sgb2` Stichtag and at most
-- 12 months before it. When a municipality of the Gebiet has no such delivery, `nenner` is
-- NULL (the mart sets status `kein_nenner`).
-- The mart applies `faktor`, `einheit` and the status rules from the catalogue.
with

sgb2 as (

    select * from {{ ref('int_personen__sgb2') }}

),

einwohner as (

    select * from {{ ref('int_personen__einwohner') }}
    where is_hauptwohnung

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

gebiet_gemeinden as (

    select * from {{ ref('int_geo__gebiet_gemeinden') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'sgb2'

),

-- per municipality and Berichtsjahr the `sgb2` Stichtag in use (the newest of the year)
gemeinde_stichtage as (

    select
        raum_id as ags,
        berichtsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

einwohner_stichtage as (

    select distinct
        ags,
        stichtag

    from einwohner

),

-- the population Stichtag for each municipality's `sgb2` Stichtag (NULL: none)
nenner_stichtage as (

    select
        gemeinde_stichtage.ags,
        gemeinde_stichtage.berichtsjahr,
        gemeinde_stichtage.stichtag,
        max(einwohner_stichtage.stichtag) as stichtag_einwohner

    from gemeinde_stichtage
    left join einwohner_stichtage
        on einwohner_stichtage.ags = gemeinde_stichtage.ags
        and einwohner_stichtage.stichtag <= gemeinde_stichtage.stichtag
        and einwohner_stichtage.stichtag >= gemeinde_stichtage.stichtag - interval 12 month
    group by
        gemeinde_stichtage.ags,
        gemeinde_stichtage.berichtsjahr,
        gemeinde_stichtage.stichtag

),

sgb2_im_berichtsjahr as (

    select
        sgb2.*,
        gemeinde_stichtage.berichtsjahr as berichtsjahr_verwendet

    from sgb2
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = sgb2.ags
        and gemeinde_stichtage.stichtag = sgb2.stichtag

),

einwohner_fuer_nenner as (

    select
        einwohner.*,
        nenner_stichtage.berichtsjahr as berichtsjahr_verwendet

    from einwohner
    inner join nenner_stichtage
        on nenner_stichtage.ags = einwohner.ags
        and nenner_stichtage.stichtag_einwohner = einwohner.stichtag

),

-- persons: first aggregate per assignment key (address), then spread over the bridge
sgb2_je_zuordnung as (

    select
        berichtsjahr_verwendet as berichtsjahr,
        zuordnung_id,
        sum(case when is_regelleistungsberechtigt then 1 else 0 end) as n_rlb,
        sum(case when is_regelleistungsberechtigt and alter < 65 then 1 else 0 end) as n_rlb_unter_65,
        sum(case when is_regelleistungsberechtigt and alter < 15 then 1 else 0 end) as n_rlb_unter_15,
        sum(case when is_regelleistungsberechtigt and alter < 18 then 1 else 0 end) as n_rlb_unter_18,
        sum(
            case when leistungsberechtigung = 'ELB' and alter >= 15 and alter < 65 then 1 else 0 end
        ) as n_elb_15_bis_64,
        sum(
            case
                when leistungsberechtigung = 'ELB' and alter >= 15 and alter < 65 and is_arbeitslos
                    then 1
                else 0
            end
        ) as n_elb_15_bis_64_arbeitslos,
        sum(
            case when is_regelleistungsberechtigt and is_nichtdeutsch and alter < 65 then 1 else 0 end
        ) as n_rlb_nichtdeutsch_unter_65,
        -- every BG member under 15, whatever the `leistungsberechtigung` (incl. KOL)
        sum(case when alter < 15 then 1 else 0 end) as n_bg_mitglieder_unter_15

    from sgb2_im_berichtsjahr
    group by berichtsjahr_verwendet, zuordnung_id

),

sgb2_je_gebiet as (

    select
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        sgb2_je_zuordnung.berichtsjahr,
        sum(sgb2_je_zuordnung.n_rlb) as n_rlb,
        sum(sgb2_je_zuordnung.n_rlb_unter_65) as n_rlb_unter_65,
        sum(sgb2_je_zuordnung.n_rlb_unter_15) as n_rlb_unter_15,
        sum(sgb2_je_zuordnung.n_rlb_unter_18) as n_rlb_unter_18,
        sum(sgb2_je_zuordnung.n_elb_15_bis_64) as n_elb_15_bis_64,
        sum(sgb2_je_zuordnung.n_elb_15_bis_64_arbeitslos) as n_elb_15_bis_64_arbeitslos,
        sum(sgb2_je_zuordnung.n_rlb_nichtdeutsch_unter_65) as n_rlb_nichtdeutsch_unter_65,
        sum(sgb2_je_zuordnung.n_bg_mitglieder_unter_15) as n_bg_mitglieder_unter_15

    from sgb2_je_zuordnung
    inner join zuordnung_gebiete
        on zuordnung_gebiete.zuordnung_id = sgb2_je_zuordnung.zuordnung_id
    group by
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        sgb2_je_zuordnung.berichtsjahr

),

-- Bedarfsgemeinschaften: distinct `bg_id` per Gebiet (not additive over addresses)
bg_je_gebiet as (

    select
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        sgb2_im_berichtsjahr.berichtsjahr_verwendet as berichtsjahr,
        count(distinct sgb2_im_berichtsjahr.bg_id) as n_bg,
        count(distinct case when sgb2_im_berichtsjahr.bg_typ = 'AE' then sgb2_im_berichtsjahr.bg_id end)
            as n_bg_ae,
        count(
            distinct case
                when sgb2_im_berichtsjahr.bg_typ in ('AE', 'PAAR_MK') then sgb2_im_berichtsjahr.bg_id
            end
        ) as n_bg_ae_paar_mk

    from sgb2_im_berichtsjahr
    inner join zuordnung_gebiete
        on zuordnung_gebiete.zuordnung_id = sgb2_im_berichtsjahr.zuordnung_id
    group by
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        sgb2_im_berichtsjahr.berichtsjahr_verwendet

),

einwohner_je_zuordnung as (

    select
        berichtsjahr_verwendet as berichtsjahr,
        zuordnung_id,
        sum(case when alter < 65 then 1 else 0 end) as n_ew_unter_65,
        sum(case when alter < 15 then 1 else 0 end) as n_ew_unter_15,
        sum(case when alter < 18 then 1 else 0 end) as n_ew_unter_18,
        sum(case when alter >= 15 and alter < 65 then 1 else 0 end) as n_ew_15_bis_64,
        sum(case when is_nichtdeutsch and alter < 65 then 1 else 0 end) as n_ew_nichtdeutsch_unter_65

    from einwohner_fuer_nenner
    group by berichtsjahr_verwendet, zuordnung_id

),

einwohner_je_gebiet as (

    select
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        einwohner_je_zuordnung.berichtsjahr,
        sum(einwohner_je_zuordnung.n_ew_unter_65) as n_ew_unter_65,
        sum(einwohner_je_zuordnung.n_ew_unter_15) as n_ew_unter_15,
        sum(einwohner_je_zuordnung.n_ew_unter_18) as n_ew_unter_18,
        sum(einwohner_je_zuordnung.n_ew_15_bis_64) as n_ew_15_bis_64,
        sum(einwohner_je_zuordnung.n_ew_nichtdeutsch_unter_65) as n_ew_nichtdeutsch_unter_65

    from einwohner_je_zuordnung
    inner join zuordnung_gebiete
        on zuordnung_gebiete.zuordnung_id = einwohner_je_zuordnung.zuordnung_id
    group by
        zuordnung_gebiete.gliederung,
        zuordnung_gebiete.raum_id,
        einwohner_je_zuordnung.berichtsjahr

),

-- a Gebiet has population denominators only when each of its municipalities has a
-- population Stichtag for its `sgb2` Stichtag
nenner_vorhanden as (

    select
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        bool_and(
            gebiet_gemeinden.ags is null or nenner_stichtage.stichtag_einwohner is not null
        ) as hat_nenner

    from abdeckung
    left join gebiet_gemeinden
        on gebiet_gemeinden.gliederung = abdeckung.gliederung
        and gebiet_gemeinden.raum_id = abdeckung.raum_id
    left join nenner_stichtage
        on nenner_stichtage.ags = gebiet_gemeinden.ags
        and nenner_stichtage.berichtsjahr = abdeckung.berichtsjahr
    group by
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr

),

-- every covered Gebiet and Berichtsjahr, zero counts where no records are
vollstaendig as (

    select
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        abdeckung.stichtag,
        coalesce(sgb2_je_gebiet.n_rlb, 0) as n_rlb,
        coalesce(sgb2_je_gebiet.n_rlb_unter_65, 0) as n_rlb_unter_65,
        coalesce(sgb2_je_gebiet.n_rlb_unter_15, 0) as n_rlb_unter_15,
        coalesce(sgb2_je_gebiet.n_rlb_unter_18, 0) as n_rlb_unter_18,
        coalesce(sgb2_je_gebiet.n_elb_15_bis_64, 0) as n_elb_15_bis_64,
        coalesce(sgb2_je_gebiet.n_elb_15_bis_64_arbeitslos, 0) as n_elb_15_bis_64_arbeitslos,
        coalesce(sgb2_je_gebiet.n_rlb_nichtdeutsch_unter_65, 0) as n_rlb_nichtdeutsch_unter_65,
        coalesce(sgb2_je_gebiet.n_bg_mitglieder_unter_15, 0) as n_bg_mitglieder_unter_15,
        coalesce(bg_je_gebiet.n_bg, 0) as n_bg,
        coalesce(bg_je_gebiet.n_bg_ae, 0) as n_bg_ae,
        coalesce(bg_je_gebiet.n_bg_ae_paar_mk, 0) as n_bg_ae_paar_mk,
        -- population denominators: NULL when a municipality has no population Stichtag
        case when coalesce(nenner_vorhanden.hat_nenner, false) then coalesce(einwohner_je_gebiet.n_ew_unter_65, 0) end
            as n_ew_unter_65,
        case when coalesce(nenner_vorhanden.hat_nenner, false) then coalesce(einwohner_je_gebiet.n_ew_unter_15, 0) end
            as n_ew_unter_15,
        case when coalesce(nenner_vorhanden.hat_nenner, false) then coalesce(einwohner_je_gebiet.n_ew_unter_18, 0) end
            as n_ew_unter_18,
        case when coalesce(nenner_vorhanden.hat_nenner, false) then coalesce(einwohner_je_gebiet.n_ew_15_bis_64, 0) end
            as n_ew_15_bis_64,
        case
            when coalesce(nenner_vorhanden.hat_nenner, false)
                then coalesce(einwohner_je_gebiet.n_ew_nichtdeutsch_unter_65, 0)
        end as n_ew_nichtdeutsch_unter_65

    from abdeckung
    left join sgb2_je_gebiet
        on sgb2_je_gebiet.gliederung = abdeckung.gliederung
        and sgb2_je_gebiet.raum_id = abdeckung.raum_id
        and sgb2_je_gebiet.berichtsjahr = abdeckung.berichtsjahr
    left join bg_je_gebiet
        on bg_je_gebiet.gliederung = abdeckung.gliederung
        and bg_je_gebiet.raum_id = abdeckung.raum_id
        and bg_je_gebiet.berichtsjahr = abdeckung.berichtsjahr
    left join einwohner_je_gebiet
        on einwohner_je_gebiet.gliederung = abdeckung.gliederung
        and einwohner_je_gebiet.raum_id = abdeckung.raum_id
        and einwohner_je_gebiet.berichtsjahr = abdeckung.berichtsjahr
    left join nenner_vorhanden
        on nenner_vorhanden.gliederung = abdeckung.gliederung
        and nenner_vorhanden.raum_id = abdeckung.raum_id
        and nenner_vorhanden.berichtsjahr = abdeckung.berichtsjahr

),

indikatoren as (

    {%- set indikatoren = [
        ('S01', 'n_rlb', 'cast(null as bigint)'),
        ('S02', 'n_bg', 'cast(null as bigint)'),
        ('S03', 'n_rlb_unter_65', 'n_ew_unter_65'),
        ('S04', 'n_rlb_unter_15', 'n_ew_unter_15'),
        ('S05', 'n_rlb_unter_18', 'n_ew_unter_18'),
        ('S06', 'n_elb_15_bis_64', 'n_ew_15_bis_64'),
        ('S07', 'n_elb_15_bis_64_arbeitslos', 'n_ew_15_bis_64'),
        ('S08', 'n_bg_ae', 'n_bg_ae_paar_mk'),
        ('S09', 'n_rlb_nichtdeutsch_unter_65', 'n_ew_nichtdeutsch_unter_65'),
        ('S10', 'n_bg_mitglieder_unter_15', 'n_ew_unter_15'),
    ] %}

    {%- for code, zaehler, nenner in indikatoren %}
    {%- if not loop.first %}

    union all
    {%- endif %}

    select
        '{{ code }}' as code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        {{ zaehler }} as zaehler,
        {{ nenner }} as nenner
    from vollstaendig
    {%- endfor %}

),

final as (

    select
        code,
        gliederung,
        raum_id,
        berichtsjahr,
        stichtag,
        cast(zaehler as bigint) as zaehler,
        cast(nenner as bigint) as nenner

    from indikatoren

)

select * from final

-- S indicators (Soziale Lage, SGB II, source `sgb2`): numerator and denominator per Gebiet
-- and Berichtsjahr, summed from the microdata of each Gebiet (never averaged from lower
-- levels). RLB = `ELB` + `NEF`. Rows only for Gebiete and Berichtsjahre covered by an
-- `sgb2` delivery; Gebiete without records get zero counts.
-- Bedarfsgemeinschaften (S02, S08) are counted as distinct `bg_id` per Gebiet: a BG whose
-- members live at addresses in different areas counts once in each area where a member
-- lives (and once in every higher level, e.g. once for the county).
-- Population denominators (S03–S07, S09, S10) come from `int_indikatoren__nenner_bevoelkerung`
-- (newest `einwohner` Stichtag on or before the `sgb2` Stichtag, at most 12 months before;
-- none: `nenner` NULL and the mart sets status `kein_nenner`).
-- The mart applies `faktor`, `einheit` and the status rules from the catalogue.
with

sgb2 as (

    select * from {{ ref('int_personen__sgb2') }}

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

nenner as (

    select * from {{ ref('int_indikatoren__nenner_bevoelkerung') }}
    where quelle = 'sgb2'

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

sgb2_im_berichtsjahr as (

    select
        sgb2.*,
        gemeinde_stichtage.berichtsjahr as berichtsjahr_verwendet

    from sgb2
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = sgb2.ags
        and gemeinde_stichtage.stichtag = sgb2.stichtag

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

{%- set zaehlungen = [
    'n_rlb', 'n_rlb_unter_65', 'n_rlb_unter_15', 'n_rlb_unter_18', 'n_elb_15_bis_64',
    'n_elb_15_bis_64_arbeitslos', 'n_rlb_nichtdeutsch_unter_65', 'n_bg_mitglieder_unter_15',
] %}

sgb2_je_gebiet as (

    {{ aggregate_to_gebiete('sgb2_je_zuordnung', zaehlungen) }}

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

-- every covered Gebiet and Berichtsjahr, zero counts where no records are; population
-- denominators NULL when a municipality has no population Stichtag
vollstaendig as (

    {{ fill_abdeckung([
        ('sgb2_je_gebiet', zaehlungen, 0),
        ('bg_je_gebiet', ['n_bg', 'n_bg_ae', 'n_bg_ae_paar_mk'], 0),
        ('nenner', [
            'n_ew_unter_65', 'n_ew_unter_15', 'n_ew_unter_18', 'n_ew_15_bis_64',
            'n_ew_nichtdeutsch_unter_65',
        ], none),
    ]) }}

),

{%- set indikatoren = [
    ('S01', 'n_rlb', none),
    ('S02', 'n_bg', none),
    ('S03', 'n_rlb_unter_65', 'n_ew_unter_65'),
    ('S04', 'n_rlb_unter_15', 'n_ew_unter_15'),
    ('S05', 'n_rlb_unter_18', 'n_ew_unter_18'),
    ('S06', 'n_elb_15_bis_64', 'n_ew_15_bis_64'),
    ('S07', 'n_elb_15_bis_64_arbeitslos', 'n_ew_15_bis_64'),
    ('S08', 'n_bg_ae', 'n_bg_ae_paar_mk'),
    ('S09', 'n_rlb_nichtdeutsch_unter_65', 'n_ew_nichtdeutsch_unter_65'),
    ('S10', 'n_bg_mitglieder_unter_15', 'n_ew_unter_15'),
] %}

final as (

    {{ indikatoren_long('vollstaendig', indikatoren) }}

)

select * from final

-- G indicators (Gesundheit und Entwicklung, source `seu`, Schuleingangsuntersuchung):
-- numerator and denominator per Gebiet and Berichtsjahr, summed from the microdata of each
-- Gebiet (never averaged from lower levels). Denominators are the examined children with
-- the item known (indicators.md), except:
--   G03 = first language not German and `deutschkenntnisse` 3 or 4 / `erstsprache_deutsch` known;
--   G08 = `masern_vollstaendig` J among children whose vaccination document was shown /
--         children whose document was shown (`impfdokument_vorgelegt` J; `masern_vollstaendig`
--         is read only there, and an empty value there counts as not fully vaccinated);
--   G10 = `kita_dauer` 0, 1 or 2 / `kita_dauer` known.
-- Pooling (indicators.md): the values of Berichtsjahr Y pool the Einschulungsjahrgaenge
-- Y-(n-1) .. Y, n = var `seu_pool_jahre` (default 3), on every level alike. Per
-- municipality and Einschulungsjahr only the records of the Stichtag named by
-- `int_lieferungen__gebiet_berichtsjahre` are used; a year of the window that a
-- municipality did not deliver is simply not in its pool. So every Gebiet sums the same
-- municipal pools and the levels stay additive.
-- Rows exist only for Gebiete and Berichtsjahre covered by an `seu` delivery (the newest
-- year of the pool must be delivered); Gebiete without records get zero counts.
-- `bezugszeitraum` names the pooled years of the Gebiet: the years of the window in which at
-- least one of its municipalities delivered, consecutive years as a range with an en dash
-- (`2022–2024`), a single year alone (`2024`), runs separated by ', ' (`2022, 2024`).
-- The mart applies `faktor`, `einheit` and the status rules from the catalogue.
{%- set pool_jahre = var('seu_pool_jahre') | int %}
with

seu as (

    select * from {{ ref('int_personen__seu') }}

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

gebiet_gemeinden as (

    select * from {{ ref('int_geo__gebiet_gemeinden') }}

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'seu'

),

-- per municipality and Einschulungsjahr the `seu` Stichtag in use (the newest one)
gemeinde_stichtage as (

    select
        raum_id as ags,
        berichtsjahr as einschulungsjahr,
        stichtag

    from abdeckung
    where gliederung = 'kommune'

),

seu_verwendet as (

    select seu.*

    from seu
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = seu.ags
        and gemeinde_stichtage.einschulungsjahr = seu.berichtsjahr
        and gemeinde_stichtage.stichtag = seu.stichtag

),

-- children: first aggregate per Einschulungsjahr and assignment key, then spread over the bridge
seu_je_zuordnung as (

    select
        einschulungsjahr,
        zuordnung_id,
        sum(case when gewichtsklasse is not null then 1 else 0 end) as n_gewicht_bekannt,
        sum(case when gewichtsklasse in ('4', '5') then 1 else 0 end) as n_uebergewicht,
        sum(case when gewichtsklasse = '5' then 1 else 0 end) as n_adipositas,
        sum(case when is_erstsprache_deutsch is not null then 1 else 0 end) as n_erstsprache_bekannt,
        sum(case when not is_erstsprache_deutsch then 1 else 0 end) as n_erstsprache_nichtdeutsch,
        sum(
            case when not is_erstsprache_deutsch and deutschkenntnisse in ('3', '4') then 1 else 0 end
        ) as n_deutsch_unzureichend,
        sum(case when is_sprachscreening_auffaellig is not null then 1 else 0 end)
            as n_sprachscreening_bekannt,
        sum(case when is_sprachscreening_auffaellig then 1 else 0 end) as n_sprachscreening_auffaellig,
        sum(case when is_koerperkoordination_auffaellig is not null then 1 else 0 end)
            as n_koerperkoordination_bekannt,
        sum(case when is_koerperkoordination_auffaellig then 1 else 0 end)
            as n_koerperkoordination_auffaellig,
        sum(case when is_visuomotorik_auffaellig is not null then 1 else 0 end)
            as n_visuomotorik_bekannt,
        sum(case when is_visuomotorik_auffaellig then 1 else 0 end) as n_visuomotorik_auffaellig,
        sum(case when is_impfdokument_vorgelegt is not null then 1 else 0 end)
            as n_impfdokument_bekannt,
        sum(case when is_impfdokument_vorgelegt then 1 else 0 end) as n_impfdokument_vorgelegt,
        sum(case when is_impfdokument_vorgelegt and is_masern_vollstaendig then 1 else 0 end)
            as n_masern_vollstaendig,
        sum(case when is_u9_dokumentiert is not null then 1 else 0 end) as n_u9_bekannt,
        sum(case when is_u9_dokumentiert then 1 else 0 end) as n_u9_dokumentiert,
        sum(case when kita_dauer is not null then 1 else 0 end) as n_kita_dauer_bekannt,
        sum(case when kita_dauer in ('0', '1', '2') then 1 else 0 end) as n_kita_unter_2_jahren

    from seu_verwendet
    group by einschulungsjahr, zuordnung_id

),

{%- set zaehlungen = [
    'n_gewicht_bekannt', 'n_uebergewicht', 'n_adipositas',
    'n_erstsprache_bekannt', 'n_erstsprache_nichtdeutsch', 'n_deutsch_unzureichend',
    'n_sprachscreening_bekannt', 'n_sprachscreening_auffaellig',
    'n_koerperkoordination_bekannt', 'n_koerperkoordination_auffaellig',
    'n_visuomotorik_bekannt', 'n_visuomotorik_auffaellig',
    'n_impfdokument_bekannt', 'n_impfdokument_vorgelegt', 'n_masern_vollstaendig',
    'n_u9_bekannt', 'n_u9_dokumentiert',
    'n_kita_dauer_bekannt', 'n_kita_unter_2_jahren',
] %}

seu_je_gebiet_jahr as (

    {{ aggregate_to_gebiete('seu_je_zuordnung', zaehlungen, keys=['einschulungsjahr']) }}

),

-- the pool of each covered Gebiet and Berichtsjahr: the window's Einschulungsjahrgaenge
gepoolt as (

    select
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        {%- for spalte in zaehlungen %}
        coalesce(sum(seu_je_gebiet_jahr.{{ spalte }}), 0) as {{ spalte }}{{ "," if not loop.last }}
        {%- endfor %}

    from abdeckung
    left join seu_je_gebiet_jahr
        on seu_je_gebiet_jahr.gliederung = abdeckung.gliederung
        and seu_je_gebiet_jahr.raum_id = abdeckung.raum_id
        and seu_je_gebiet_jahr.einschulungsjahr
            between abdeckung.berichtsjahr - {{ pool_jahre - 1 }} and abdeckung.berichtsjahr
    group by
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr

),

-- the pooled years of each covered Gebiet and Berichtsjahr: the window's years in which at
-- least one municipality of the Gebiet delivered (the Berichtsjahr itself always is one)
pool_jahre as (

    select distinct
        abdeckung.gliederung,
        abdeckung.raum_id,
        abdeckung.berichtsjahr,
        gemeinde_stichtage.einschulungsjahr

    from abdeckung
    inner join gebiet_gemeinden
        on gebiet_gemeinden.gliederung = abdeckung.gliederung
        and gebiet_gemeinden.raum_id = abdeckung.raum_id
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = gebiet_gemeinden.ags
        and gemeinde_stichtage.einschulungsjahr
            between abdeckung.berichtsjahr - {{ pool_jahre - 1 }} and abdeckung.berichtsjahr

),

-- runs of consecutive years (gaps and islands): equal `lauf` = one run
pool_jahre_nummeriert as (

    select
        gliederung,
        raum_id,
        berichtsjahr,
        einschulungsjahr,
        einschulungsjahr - row_number() over (
            partition by gliederung, raum_id, berichtsjahr order by einschulungsjahr
        ) as lauf

    from pool_jahre

),

pool_laeufe as (

    select
        gliederung,
        raum_id,
        berichtsjahr,
        min(einschulungsjahr) as von,
        max(einschulungsjahr) as bis

    from pool_jahre_nummeriert
    group by
        gliederung,
        raum_id,
        berichtsjahr,
        lauf

),

bezugszeitraeume as (

    select
        gliederung,
        raum_id,
        berichtsjahr,
        string_agg(
            case
                when von = bis then cast(von as varchar)
                else cast(von as varchar) || '–' || cast(bis as varchar)
            end,
            ', '
            order by von
        ) as bezugszeitraum

    from pool_laeufe
    group by
        gliederung,
        raum_id,
        berichtsjahr

),

vollstaendig as (

    select
        gepoolt.*,
        abdeckung.stichtag,
        -- a Gebiet without any municipality (an area with no register address) pools nothing
        coalesce(bezugszeitraeume.bezugszeitraum, cast(abdeckung.berichtsjahr as varchar))
            as bezugszeitraum

    from abdeckung
    inner join gepoolt
        on gepoolt.gliederung = abdeckung.gliederung
        and gepoolt.raum_id = abdeckung.raum_id
        and gepoolt.berichtsjahr = abdeckung.berichtsjahr
    left join bezugszeitraeume
        on bezugszeitraeume.gliederung = abdeckung.gliederung
        and bezugszeitraeume.raum_id = abdeckung.raum_id
        and bezugszeitraeume.berichtsjahr = abdeckung.berichtsjahr

),

{%- set indikatoren = [
    ('G01', 'n_uebergewicht', 'n_gewicht_bekannt'),
    ('G02', 'n_adipositas', 'n_gewicht_bekannt'),
    ('G03', 'n_deutsch_unzureichend', 'n_erstsprache_bekannt'),
    ('G04', 'n_sprachscreening_auffaellig', 'n_sprachscreening_bekannt'),
    ('G05', 'n_koerperkoordination_auffaellig', 'n_koerperkoordination_bekannt'),
    ('G06', 'n_visuomotorik_auffaellig', 'n_visuomotorik_bekannt'),
    ('G07', 'n_impfdokument_vorgelegt', 'n_impfdokument_bekannt'),
    ('G08', 'n_masern_vollstaendig', 'n_impfdokument_vorgelegt'),
    ('G09', 'n_u9_dokumentiert', 'n_u9_bekannt'),
    ('G10', 'n_kita_unter_2_jahren', 'n_kita_dauer_bekannt'),
    ('G11', 'n_erstsprache_nichtdeutsch', 'n_erstsprache_bekannt'),
] %}

final as (

    {{ indikatoren_long('vollstaendig', indikatoren, bezugszeitraum='bezugszeitraum') }}

)

select * from final

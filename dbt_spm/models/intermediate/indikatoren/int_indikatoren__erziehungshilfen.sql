-- E indicators (Hilfen zur Erziehung, source `hze`): numerator and denominator per Gebiet
-- and Berichtsjahr, summed from the microdata of each Gebiet (never averaged from lower
-- levels). A case is a row (`fall_id`) of the delivery for the Stichtag in use; the
-- delivery holds every case active at any time in the Stichtag's calendar year.
-- Rules (indicators.md, docs/decisions.md):
--   HzE in the narrow sense = `27_2`, `29`, `30`, `31`, `32`, `33`, `34`, `35`;
--   "laufend" = `beginn` <= Stichtag and (`ende` empty or `ende` >= Stichtag);
--   E01–E05: laufend cases of young persons under 18 (age at the `hze` Stichtag), so
--     E02 (`27_2`, `29`–`32`, `35`) + E03 (`33`, `34`) = E01;
--   E06 (`42`) and E07 (narrow HzE): cases of any age begun in the calendar year
--     (the Berichtsjahr);
--   E08: sum of `kosten_euro` (a money amount) of every case of narrow HzE, `35a`, `41`,
--     `42` (not `28`) / population under 21;
--   E09: cases laufend at the Stichtag plus cases ended in the Berichtsjahr before the
--     Stichtag, of every `hilfeart` but `42` (incl. `28`), any age / population under 21.
-- Population denominators come from `int_indikatoren__nenner_bevoelkerung` (newest
-- `einwohner` Stichtag on or before the `hze` Stichtag, at most 12 months before; none:
-- `nenner` NULL and the mart sets status `kein_nenner`).
-- Rows only for Gebiete and Berichtsjahre covered by an `hze` delivery; Gebiete without
-- records get zero counts (and zero euros). `zaehler` is a double (E08 holds euros).
-- The mart applies `faktor`, `einheit` and the status rules from the catalogue.
{%- set hze_eng = "('27_2', '29', '30', '31', '32', '33', '34', '35')" %}
with

hze as (

    select * from {{ ref('int_personen__hze') }}

),

zuordnung_gebiete as (

    select * from {{ ref('int_geo__zuordnung_gebiete') }}

),

nenner as (

    select * from {{ ref('int_indikatoren__nenner_bevoelkerung') }}
    where quelle = 'hze'

),

abdeckung as (

    select * from {{ ref('int_lieferungen__gebiet_berichtsjahre') }}
    where quelle = 'hze'

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

faelle as (

    select
        hze.zuordnung_id,
        hze.hilfeart,
        hze.alter,
        hze.kosten_euro,
        gemeinde_stichtage.berichtsjahr,
        hze.hilfeart in {{ hze_eng }} as is_hze_eng,
        hze.beginn_datum <= hze.stichtag
            and (hze.ende_datum is null or hze.ende_datum >= hze.stichtag) as is_laufend,
        coalesce(extract(year from hze.beginn_datum) = gemeinde_stichtage.berichtsjahr, false)
            as is_begonnen_im_jahr,
        coalesce(
            extract(year from hze.ende_datum) = gemeinde_stichtage.berichtsjahr
            and hze.ende_datum < hze.stichtag,
            false
        ) as is_beendet_im_jahr

    from hze
    inner join gemeinde_stichtage
        on gemeinde_stichtage.ags = hze.ags
        and gemeinde_stichtage.stichtag = hze.stichtag

),

-- cases: first aggregate per assignment key (address), then spread over the bridge
faelle_je_zuordnung as (

    select
        berichtsjahr,
        zuordnung_id,
        count(*) filter (where is_laufend and alter < 18 and is_hze_eng) as n_laufend_hze_u18,
        count(*) filter (
            where is_laufend and alter < 18 and hilfeart in ('27_2', '29', '30', '31', '32', '35')
        ) as n_laufend_ambulant_u18,
        count(*) filter (
            where is_laufend and alter < 18 and hilfeart in ('33', '34')
        ) as n_laufend_fremdunterbringung_u18,
        count(*) filter (where is_laufend and alter < 18 and hilfeart = '28') as n_laufend_28_u18,
        count(*) filter (where is_laufend and alter < 18 and hilfeart = '35a') as n_laufend_35a_u18,
        count(*) filter (where is_begonnen_im_jahr and hilfeart = '42') as n_neu_42,
        count(*) filter (where is_begonnen_im_jahr and is_hze_eng) as n_neu_hze,
        coalesce(
            sum(kosten_euro) filter (where is_hze_eng or hilfeart in ('35a', '41', '42')), 0
        ) as ausgaben_euro,
        count(*) filter (
            where hilfeart <> '42' and (is_laufend or is_beendet_im_jahr)
        ) as n_inanspruchnahme

    from faelle
    group by berichtsjahr, zuordnung_id

),

{%- set zaehlungen = [
    'n_laufend_hze_u18', 'n_laufend_ambulant_u18', 'n_laufend_fremdunterbringung_u18',
    'n_laufend_28_u18', 'n_laufend_35a_u18', 'n_neu_42', 'n_neu_hze', 'ausgaben_euro',
    'n_inanspruchnahme',
] %}

faelle_je_gebiet as (

    {{ aggregate_to_gebiete('faelle_je_zuordnung', zaehlungen) }}

),

-- every covered Gebiet and Berichtsjahr, zero counts where no records are; population
-- denominators NULL when a municipality has no population Stichtag
vollstaendig as (

    {{ fill_abdeckung([
        ('faelle_je_gebiet', zaehlungen, 0),
        ('nenner', ['n_ew_unter_18', 'n_ew_unter_21'], none),
    ]) }}

),

{%- set indikatoren = [
    ('E01', 'n_laufend_hze_u18', 'n_ew_unter_18'),
    ('E02', 'n_laufend_ambulant_u18', 'n_ew_unter_18'),
    ('E03', 'n_laufend_fremdunterbringung_u18', 'n_ew_unter_18'),
    ('E04', 'n_laufend_28_u18', 'n_ew_unter_18'),
    ('E05', 'n_laufend_35a_u18', 'n_ew_unter_18'),
    ('E06', 'n_neu_42', 'n_ew_unter_18'),
    ('E07', 'n_neu_hze', 'n_ew_unter_18'),
    ('E08', 'ausgaben_euro', 'n_ew_unter_21'),
    ('E09', 'n_inanspruchnahme', 'n_ew_unter_21'),
] %}

final as (

    {{ indikatoren_long('vollstaendig', indikatoren, zaehler_typ='double precision') }}

)

select * from final

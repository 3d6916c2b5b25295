{#-
    Address matching (docs/decisions.md, "Matching"), the one implementation used for the
    residents register and every agency source.

    `records`: a CTE name or relation with the match key parts `ags`, `strasse_norm`,
    `hausnummer` (integer) and `hausnummer_zusatz_norm` ('' when none).
    `adressen`: a CTE name or relation shaped like `int_geo__adressen` (`adresse_id` and the
    same four key parts, one row per key).

    Renders a select (to be used as a CTE body) of every column of `records` plus
    - `adresse_id`: the register address of the exact key, else the register address with
      the same number and no suffix; NULL when neither exists;
    - `adress_abgleich`: `exakt`, `ohne_zusatz` or `keine`;
    - `zuordnung_id`: `adresse_id`, or `<ags>-OZ` for unmatched records.
    One row per record (the register key is unique, so the joins never fan out).

    The fallback is an equi-join on the suffix to try instead (`hausnummer_zusatz_ersatz`:
    '' for a record with a suffix; NULL, which never matches, for one without), an
    expression of the record side only, so it stays a hash join. A condition on one side
    only in the ON clause (`and records.hausnummer_zusatz_norm <> ''`) made DuckDB fall back
    to a nested loop: 80 s instead of 0.1 s for a county. Portable SQL.
-#}
{% macro match_address(records, adressen='adressen') -%}
    select
        datensatz.*,
        coalesce(exakt.adresse_id, ohne_zusatz.adresse_id) as adresse_id,
        case
            when exakt.adresse_id is not null then 'exakt'
            when ohne_zusatz.adresse_id is not null then 'ohne_zusatz'
            else 'keine'
        end as adress_abgleich,
        coalesce(
            exakt.adresse_id,
            ohne_zusatz.adresse_id,
            datensatz.ags || '-OZ'
        ) as zuordnung_id

    from {{ records }} as datensatz
    left join {{ adressen }} as exakt
        on exakt.ags = datensatz.ags
        and exakt.strasse_norm = datensatz.strasse_norm
        and exakt.hausnummer = datensatz.hausnummer
        and exakt.hausnummer_zusatz_norm = datensatz.hausnummer_zusatz_norm
    left join {{ adressen }} as ohne_zusatz
        on ohne_zusatz.ags = datensatz.ags
        and ohne_zusatz.strasse_norm = datensatz.strasse_norm
        and ohne_zusatz.hausnummer = datensatz.hausnummer
        -- hausnummer_zusatz_ersatz: '' for a record with a suffix, NULL (no match) without
        and ohne_zusatz.hausnummer_zusatz_norm = case
            when datensatz.hausnummer_zusatz_norm <> '' then ''
        end
{%- endmacro %}

{#-
    Generic test (model): for percentage shares (`einheit = '%'`) the numerator is a part of
    the denominator: `0 <= zaehler <= nenner` (and `nenner >= 0`). Checks the rows of a
    long indicator table (`code`, `einheit`, `zaehler`, `nenner`, `status`) that have data
    (`status <> 'keine_daten'`): `zaehler` must be present (zero counts, not NULL); a NULL
    `nenner` (no denominator delivery) only leaves `zaehler >= 0` to check.
    `exclude_codes`: percentage indicators that are not shares of a whole, e.g. B10 (change
    against the previous year: `zaehler` is a difference and may be negative).
    Fails with one row per value breaking the rule.
    Usage:
      data_tests:
        - zaehler_not_above_nenner:
            arguments:
              exclude_codes: [B10]
-#}
{% test zaehler_not_above_nenner(model, exclude_codes=[]) %}

with

werte as (

    select * from {{ model }}
    where einheit = '%'
        and status <> 'keine_daten'
        {%- if exclude_codes %}
        and code not in ({% for c in exclude_codes %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %})
        {%- endif %}

),

final as (

    select * from werte
    where zaehler is null
        or zaehler < 0
        or nenner < 0
        or zaehler > nenner

)

select * from final

{% endtest %}

{#-
    Generic test (column): a percentage share lies between 0 and 100 (indicators.md:
    "Percentages are 100 * zaehler / nenner"). Checks the rows of a long indicator table
    (`code`, `einheit`) whose `einheit` is '%'; NULL values (no value: `kein_nenner`,
    `keine_daten`) pass.
    `exclude_codes`: percentage indicators that are not shares of a whole, e.g. B10 (change
    against the previous year in %, may be negative or above 100).
    Fails with one row per value outside [0, 100].
    Usage:
      columns:
        - name: wert
          data_tests:
            - share_between_0_and_100:
                arguments:
                  exclude_codes: [B10]
-#}
{% test share_between_0_and_100(model, column_name, exclude_codes=[]) %}

with

werte as (

    select * from {{ model }}
    where einheit = '%'
        and {{ column_name }} is not null
        {%- if exclude_codes %}
        and code not in ({% for c in exclude_codes %}'{{ c }}'{{ ", " if not loop.last }}{% endfor %})
        {%- endif %}

),

final as (

    select * from werte
    where {{ column_name }} < 0
        or {{ column_name }} > 100

)

select * from final

{% endtest %}

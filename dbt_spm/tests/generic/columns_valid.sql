{#-
    Generic test: every value rule on the columns of a model, in one scan (issue 12: one
    node per model instead of one per column and rule; the same guarantees as dbt's
    not_null and accepted_values, whose semantics it keeps: NULL is accepted by
    accepted_values, values compared as text).
    Returns one row per broken rule: regel, spalte, anzahl (rows breaking it).
    Usage:
      data_tests:
        - columns_valid:
            arguments:
              not_null: [a, b]
              accepted_values: {status: [ok, gesperrt]}
    `nur_neue_stichtage: true` (models rebuilt per Stichtag): only the rows of the Stichtage
    the run rebuilt (macro nur_neue_stichtage_im_test).
-#}
{% test columns_valid(model, not_null=[], accepted_values={}, nur_neue_stichtage=false) %}

{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append(("not_null", column,
        "count(*) filter (where " ~ adapter.quote(column) ~ " is null)")) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}{%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}{%- endfor -%}
    {%- do rules.append(("accepted_values", column,
        "count(*) filter (where " ~ adapter.quote(column) ~ "::varchar not in (" ~ quoted | join(", ") ~ "))")) -%}
{%- endfor -%}

with counts as (
    select
    {%- for rule in rules %}
        {{ rule[2] }} as regel_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
    {%- if nur_neue_stichtage %}
    where {{ nur_neue_stichtage_im_test('stichtag') }}
    {%- endif %}
)
{%- for rule in rules %}
select '{{ rule[0] }}' as regel, '{{ rule[1] }}' as spalte, regel_{{ loop.index }} as anzahl
from counts where regel_{{ loop.index }} > 0
{{ "union all" if not loop.last }}
{%- endfor %}

{% endtest %}

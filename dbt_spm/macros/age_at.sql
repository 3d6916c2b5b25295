{#-
    Completed years between `birth` and `stichtag` (docs/decisions.md, "Ages and dates"):
    year(stichtag) - year(birth), minus 1 if (month, day) of the Stichtag is before
    (month, day) of the birth date. The birthday on the Stichtag counts; a person born
    29 February becomes a year older on 1 March in years without 29 February (§ 188 BGB).
    Also used for the Wohndauer (completed years since `zuzug_datum`). Portable SQL.
-#}
{% macro age_at(birth, stichtag) -%}
    (
        cast(extract(year from {{ stichtag }}) as integer)
        - cast(extract(year from {{ birth }}) as integer)
        - case
            when extract(month from {{ stichtag }}) < extract(month from {{ birth }})
                or (
                    extract(month from {{ stichtag }}) = extract(month from {{ birth }})
                    and extract(day from {{ stichtag }}) < extract(day from {{ birth }})
                )
                then 1
            else 0
        end
    )
{%- endmacro %}

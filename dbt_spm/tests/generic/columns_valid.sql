{#-
    Generic test: every rule on the rows of a model, as one node (issue 12: one node per
    model instead of one per column and rule). The rules keep the semantics of the tests
    they replace:
      not_null         the column has no NULL;
      accepted_values  NULL or one of the values (compared as text, booleans as true/false),
                       like dbt's accepted_values;
      unique           each list of columns is unique in the model (NULLs group together),
                       like unique_combination;
      references       each combination of `columns` without NULL occurs as `fields` in the
                       model `to` (default: the same names), like dbt's relationships and
                       the former relationships_combination.
    Returns one row per broken rule: regel, spalte, anzahl (rows, repeated keys or missing
    combinations breaking it) and beispiel (one offending value, as text).
    Usage:
      data_tests:
        - columns_valid:
            arguments:
              not_null: [a, b]
              accepted_values: {status: [ok, gesperrt]}
              unique: [[a, b]]
              references:
                - {columns: [gliederung, raum_id], to: ref('int_geo__gebiete')}
                - {columns: [code], to: ref('indikatoren_katalog'), fields: [code]}
    `nur_neue_stichtage: true` (models rebuilt per Stichtag): only the rows of the Stichtage
    the run rebuilt (macro nur_neue_stichtage_im_test).
-#}
{% test columns_valid(model, not_null=[], accepted_values={}, unique=[], references=[],
                      nur_neue_stichtage=false) %}

{%- set filter = nur_neue_stichtage_im_test('stichtag') if nur_neue_stichtage else 'true' -%}

{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- set q = adapter.quote(column) -%}
    {%- do rules.append(("not_null", column, q ~ " is null", "null")) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set q = adapter.quote(column) -%}
    {%- set quoted = [] -%}
    {%- for value in values -%}
        {%- if value is sameas true -%}{%- do quoted.append("'true'") -%}
        {%- elif value is sameas false -%}{%- do quoted.append("'false'") -%}
        {%- else -%}{%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do rules.append(("accepted_values", column,
        q ~ "::varchar not in (" ~ quoted | join(", ") ~ ")", q ~ "::varchar")) -%}
{%- endfor -%}

{%- set parts = [] -%}
{%- for rule in rules -%}
    {%- do parts.append("select '" ~ rule[0] ~ "' as regel, '" ~ rule[1] ~ "' as spalte, anzahl_"
        ~ loop.index ~ " as anzahl, beispiel_" ~ loop.index ~ " as beispiel from counts where anzahl_"
        ~ loop.index ~ " > 0") -%}
{%- endfor -%}

{%- for columns in unique -%}
{%- set part -%}
    select 'unique' as regel, '{{ columns | join(", ") }}' as spalte, count(*) as anzahl,
           min(schluessel) as beispiel
    from (
        select concat_ws(' | ', {% for c in columns %}{{ adapter.quote(c) }}::varchar{{ ", " if not loop.last }}{% endfor %}) as schluessel
        from {{ model }}
        where {{ filter }}
        group by {% for c in columns %}{{ adapter.quote(c) }}{{ ", " if not loop.last }}{% endfor %}
        having count(*) > 1
    ) doppelt
    having count(*) > 0
{%- endset -%}
{%- do parts.append(part) -%}
{%- endfor -%}

{%- for reference in references -%}
{%- set columns = reference['columns'] -%}
{%- set fields = reference.get('fields') or columns -%}
{%- set part -%}
    select 'relationships' as regel,
           '{{ columns | join(", ") }} -> {{ reference["to"].identifier }}({{ fields | join(", ") }})' as spalte,
           count(*) as anzahl, min(schluessel) as beispiel
    from (
        select distinct
            {%- for c in columns %}
            {{ adapter.quote(c) }} as k{{ loop.index }},
            {%- endfor %}
            concat_ws(' | ', {% for c in columns %}{{ adapter.quote(c) }}::varchar{{ ", " if not loop.last }}{% endfor %}) as schluessel
        from {{ model }}
        where {{ filter }}
        {%- for c in columns %}
            and {{ adapter.quote(c) }} is not null
        {%- endfor %}
    ) kinder
    where not exists (
        select 1 from {{ reference["to"] }} eltern
        where {% for f in fields %}eltern.{{ adapter.quote(f) }} = kinder.k{{ loop.index }}{{ " and " if not loop.last }}{% endfor %}
    )
    having count(*) > 0
{%- endset -%}
{%- do parts.append(part) -%}
{%- endfor -%}

{%- if not parts -%}
    {{ exceptions.raise_compiler_error("columns_valid ohne Regel: " ~ model) }}
{%- endif %}

{%- if rules %}
with counts as (
    select
    {%- for rule in rules %}
        count(*) filter (where {{ rule[2] }}) as anzahl_{{ loop.index }},
        min({{ rule[3] }}) filter (where {{ rule[2] }})::varchar as beispiel_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
    where {{ filter }}
)
{%- endif %}

{{ parts | join("\nunion all\n") }}

{% endtest %}

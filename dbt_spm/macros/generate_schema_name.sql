{#-
    Custom schemas are used as is (`staging`, `intermediate`, `marts`, `published`, `seeds`),
    not prefixed with the target schema, so that publishing can take the schema `published` alone.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{#- Schemas are named exactly as configured (`marts`, `staging`, …), not `<target>_marts`:
    analysts and the portal read `marts.<model>`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}

{#- Every listed column is NULL-free: one test node per model instead of one `not_null` per
    column (dbt spends ~30 ms of Python per test node whatever the data size; see
    docs/decisions.md, "Build speed"). The relation is scanned once; the test returns one row
    per offending column (`column_name`, `null_rows`), so dbt's failure count is the number of
    columns with NULLs and the failing rows name them. Column names are always quoted
    (DuckDB still matches them case-insensitively). A not_null that needs its own severity or
    `where` stays a column-level `not_null`.
    Declared on the model, in column order:
      data_tests:
        - not_null_columns:
            name: not_null_columns_<model>
            arguments:
              columns: [id, name, amount] -#}
{% test not_null_columns(model, columns) %}
{%- if columns is string or columns | length == 0 -%}
    {{ exceptions.raise_compiler_error("not_null_columns on " ~ model ~ ": `columns` must be a non-empty list") }}
{%- endif %}
with null_counts as (
    select
    {%- for column in columns %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
select column_name, null_rows
from (unpivot null_counts on columns(*) into name column_name value null_rows)
where null_rows > 0
{% endtest %}

{#-
  exact_decimal(expr, scale=4)
    `expr` (a DOUBLE) as DECIMAL(18, scale), for sums and means that must not depend on the
    order in which DuckDB's parallel aggregation adds the rows. A sum of doubles changes in
    its last bits with the order of the additions (thread scheduling), and a mean of values
    rounded to 4 places often lands exactly on a rounding tie (x.xxxx5), so ROUND() would flip
    between builds of the same data. Decimal sums are exact (HUGEINT), so avg / sum over
    exact_decimal(...) give the same result on every build. Use the scale the values are
    rounded to (4 for the *_hours columns) or 6 for seconds with microseconds.
-#}
{% macro exact_decimal(expr, scale=4) -%}
cast({{ expr }} as decimal(18, {{ scale }}))
{%- endmacro %}

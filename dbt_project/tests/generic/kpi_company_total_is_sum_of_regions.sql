{#- The 全公司 row of each period equals the sum of the region rows, for every amount. -#}
{% test kpi_company_total_is_sum_of_regions(model) %}
with regions as (
    select period_type, period_start,
        sum(signed_amount) as s, sum(collected_amount) as c, sum(invoiced_amount) as i,
        sum(delivered_not_invoiced_amount) as d, sum(invoiced_not_collected_amount) as n
    from {{ model }} where not is_company_total group by all
),
total as (
    select period_type, period_start, signed_amount as s, collected_amount as c,
        invoiced_amount as i, delivered_not_invoiced_amount as d, invoiced_not_collected_amount as n
    from {{ model }} where is_company_total
)
select * from total join regions using (period_type, period_start)
where total.s <> regions.s or total.c <> regions.c or total.i <> regions.i
    or total.d <> regions.d or total.n <> regions.n
{% endtest %}

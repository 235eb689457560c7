{#- One FIFO pass of cash over open invoices, per pool (an order or a contract), set-based.
    Credits (in credit date, id order) and invoices (in invoice date, number order) each get a
    running total per pool; a credit covering (run_end − remaining, run_end] pays the part of
    each invoice interval (run_end − open_amount, run_end] it overlaps.
    credits:  relation with credit_id, credit_date, the pool column and `remaining`
    items:    relation with ar_invoice_number, invoice_date, the pool column and `open_amount`
    Returns allocation rows: credit_id, ar_invoice_number, credit_date, invoice_date,
    applied_amount, allocation_method 'fifo', fifo_pool = pool_name. -#}
{% macro fifo_allocate(credits, remaining, items, open_amount, pool_column, pool_name) -%}
    with cash as (
        select
            credit_id,
            {{ pool_column }} as pool_key,
            credit_date,
            {{ remaining }} as remaining,
            sum({{ remaining }}) over (
                partition by {{ pool_column }} order by credit_date, credit_id rows unbounded preceding
            ) as run_end
        from {{ credits }}
        where {{ remaining }} > 0 and {{ pool_column }} is not null
    ),
    pool_items as (
        select
            ar_invoice_number,
            {{ pool_column }} as pool_key,
            invoice_date,
            {{ open_amount }} as open_amount,
            sum({{ open_amount }}) over (
                partition by {{ pool_column }} order by invoice_date, ar_invoice_number rows unbounded preceding
            ) as run_end
        from {{ items }}
        where {{ open_amount }} > 0 and {{ pool_column }} is not null
    )
    select
        c.credit_id,
        i.ar_invoice_number,
        c.credit_date,
        i.invoice_date,
        least(i.run_end, c.run_end) - greatest(i.run_end - i.open_amount, c.run_end - c.remaining)
            as applied_amount,
        'fifo' as allocation_method,
        '{{ pool_name }}' as fifo_pool
    from cash as c
    join pool_items as i
        on i.pool_key = c.pool_key
        and i.run_end - i.open_amount < c.run_end
        and c.run_end - c.remaining < i.run_end
{%- endmacro %}

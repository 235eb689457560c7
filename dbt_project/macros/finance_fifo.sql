{#- FIFO matching of cash to open invoices within a pool (an order or a contract), set-based:
    both sides carry a running total (`run_end`) in FIFO order per pool; a credit covering
    (run_end − remaining, run_end] pays the part of each invoice interval
    (run_end − open_amount, run_end] it overlaps.
    cash:  CTE with credit_id, pool_key, credit_date, remaining, run_end
    items: CTE with ar_invoice_number, pool_key, invoice_date, open_amount, run_end -#}
{% macro fifo_allocate(cash, items, pool_name) -%}
    select
        c.credit_id,
        i.ar_invoice_number,
        c.credit_date,
        i.invoice_date,
        least(i.run_end, c.run_end) - greatest(i.run_end - i.open_amount, c.run_end - c.remaining)
            as applied_amount,
        'fifo' as allocation_method,
        '{{ pool_name }}' as fifo_pool
    from {{ cash }} as c
    join {{ items }} as i
        on i.pool_key = c.pool_key
        and i.run_end - i.open_amount < c.run_end
        and c.run_end - c.remaining < i.run_end
{%- endmacro %}

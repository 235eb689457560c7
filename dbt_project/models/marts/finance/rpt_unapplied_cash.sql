-- Unapplied cash (未核销预收/待核销款) per snapshot date (the as-of date and every month-end)
-- and pool: money claimed (or transferred in from a prepayment) to a contract that no invoice
-- of that contract has absorbed yet, as of that date. Point in time like rpt_ar_aging:
-- credits and allocations dated after the snapshot never count. Sum per customer for
-- "unapplied cash per customer"; a customer's net AR = Σ rpt_ar_aging.open_amount − Σ this.
-- A prepayment contract's cash leaves it on the transfer date (合同转账) and becomes a credit of
-- the formal contract; a transfer larger than what was claimed to the prepayment contract
-- leaves that pool negative (is_overdrawn).
-- Pools: the credit's contract; else its order ('order:<no>'); else its customer
-- ('customer:<code>'); else the credit itself ('credit:<id>', nothing identifies the payer).
with snapshots as (
    select snapshot_date, is_as_of_date, is_month_end
    from {{ ref('int_finance__ar_snapshot_dates') }}
),
credits as (
    select
        *,
        case
            when contract_no is not null then contract_no
            when erp_order_no is not null then 'order:' || erp_order_no
            when erp_customer_code is not null then 'customer:' || erp_customer_code
            else 'credit:' || credit_id
        end as pool_key,
        case
            when contract_no is not null then 'contract'
            when erp_order_no is not null then 'order'
            when erp_customer_code is not null then 'customer'
            else 'unidentified'
        end as pool_type
    from {{ ref('int_finance__receipt_credits') }}
    where is_counted
),
events as (
    select pool_key, credit_date as event_date, amount, amount as credited, 0 as applied
    from credits
    union all
    select c.pool_key, a.allocation_date, -a.applied_amount, 0, a.applied_amount
    from {{ ref('int_finance__receipt_allocations') }} as a
    join credits as c using (credit_id)
),
daily as (
    select pool_key, event_date, sum(amount) as amount, sum(credited) as credited, sum(applied) as applied
    from events
    group by all
),
balances as (
    select
        pool_key,
        event_date as valid_from,
        lead(event_date, 1, date '9999-12-31') over w as valid_to,
        sum(amount) over (w rows unbounded preceding) as unapplied_amount,
        sum(credited) over (w rows unbounded preceding) as credited_to_date,
        sum(applied) over (w rows unbounded preceding) as applied_to_date,
        max(case when credited <> 0 then event_date end) over (w rows unbounded preceding) as last_credit_date
    from daily
    window w as (partition by pool_key order by event_date)
),
pools as (
    select
        pool_key,
        -- min() rather than any_value(): credits of one pool may name different orders or
        -- customers, and the choice must not depend on the scan order
        min(pool_type) as pool_type,
        min(contract_no) as contract_no,
        min(erp_order_no) as erp_order_no,
        min(erp_customer_code) as erp_customer_code
    from credits
    group by pool_key
),
contracts as (
    select contract_no, is_prepayment, owner_employee_code, owner_name, owner_region
    from {{ ref('fct_contracts') }}
),
customers as (
    select customer_key, erp_customer_code, coalesce(erp_customer_name, customer_name) as customer_name, region
    from {{ ref('dim_customers') }}
    where erp_customer_code is not null
)
select
    strftime(s.snapshot_date, '%Y-%m-%d') || '|' || b.pool_key as unapplied_id,
    s.snapshot_date,
    s.is_as_of_date,
    s.is_month_end,
    b.pool_key,
    p.pool_type,
    p.contract_no,
    k.is_prepayment as is_prepayment_contract,
    p.erp_order_no,
    cu.customer_key,
    p.erp_customer_code,
    cu.customer_name,
    cu.region as customer_region,
    k.owner_employee_code,
    k.owner_name,
    k.owner_region,
    cast(b.credited_to_date as decimal(18, 2)) as credited_amount,
    cast(b.applied_to_date as decimal(18, 2)) as applied_amount,
    cast(b.unapplied_amount as decimal(18, 2)) as unapplied_amount,
    b.unapplied_amount < 0 as is_overdrawn,
    b.last_credit_date,
    s.snapshot_date - b.last_credit_date as days_since_last_credit
from balances as b
join snapshots as s
    on s.snapshot_date >= b.valid_from
    and s.snapshot_date < b.valid_to
join pools as p using (pool_key)
left join contracts as k on k.contract_no = p.contract_no
left join customers as cu on cu.erp_customer_code = p.erp_customer_code
where b.unapplied_amount <> 0

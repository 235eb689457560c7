-- Customer grade (客户等级) intervals [valid_from, valid_to) per CRM account. The CRM API
-- serves only the current grade, so history is what the landing change log has seen: the
-- first grade observed is assumed to hold since the account was created.
with versions as (
    select
        crm_account_id,
        customer_grade,
        {{ local_date('modified_at') }} as changed_date,
        {{ local_date('created_at') }} as created_date
    from {{ ref('stg_crm__account_grade_versions') }}
    qualify row_number() over (
        partition by crm_account_id, {{ local_date('modified_at') }} order by modified_at desc, _extracted_at desc, customer_grade
    ) = 1
),
changes as (
    select *, lag(customer_grade) over (partition by crm_account_id order by changed_date) as prev_grade
    from versions
),
starts as (
    select crm_account_id, customer_grade, changed_date, created_date
    from changes
    where prev_grade is distinct from customer_grade
)
select
    crm_account_id,
    customer_grade,
    case when row_number() over (partition by crm_account_id order by changed_date) = 1
        then least(changed_date, created_date) else changed_date end as valid_from,
    lead(changed_date, 1, date '9999-12-31') over (partition by crm_account_id order by changed_date) as valid_to
from starts

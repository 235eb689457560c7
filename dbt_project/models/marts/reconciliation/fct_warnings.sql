-- Warnings (预警), domain §4: one row per subject (contract, invoice, bank receipt, customer,
-- approval handler, reconciliation issue) and rule type, as of the as-of date, from the rules
-- users edit in the warning_rules seed. A rule fires when the measured value reaches its
-- threshold (contract_expiring: days to expiry at most the threshold; every other type: at
-- least). When several rules of one type fire for a subject (escalation ladders such as
-- overdue 1 / 30 / 90 days), the most severe wins, then the tightest threshold.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
rules as (
    select *
    from {{ ref('warning_rules') }}
    where enabled
),
candidates as (
    select * from {{ ref('int_warning_candidates') }}
),
fired as (
    select
        c.*,
        r.rule_code,
        r.rule_name_zh,
        r.rule_name_en,
        r.threshold,
        r.unit,
        coalesce(nullif(r.severity, ''), c.subject_severity, 'medium') as severity,
        r.notify_roles,
        r.response_days,
        r.message_zh as template_zh,
        r.message_en as template_en
    from candidates as c
    join rules as r using (rule_type)
    where case
        when c.rule_type = 'contract_expiring' then c.measured_value <= r.threshold
        -- NULL = no action ever (stalled customers): always past any threshold
        else coalesce(c.measured_value >= r.threshold, c.rule_type = 'stalled_customer')
    end
),
chosen as (
    select *
    from fired
    qualify row_number() over (
        partition by rule_type, subject_id
        order by
            case severity when 'high' then 3 when 'medium' then 2 when 'low' then 1 else 0 end desc,
            case when rule_type = 'contract_expiring' then threshold else -threshold end,
            rule_code
    ) = 1
),
contacts as (
    select * from {{ ref('int_recon__employee_contacts') }}
),
group_members as (
    select role_code, list(employee_code order by employee_code) as employee_codes
    from contacts
    where is_active and role_code in ('finance', 'executive', 'legal')
    group by all
),
split_roles as (
    select c.rule_code, c.subject_id, unnest(string_split(c.notify_roles, '|')) as notify_role
    from chosen as c
),
roles as (
    -- one row per warning and notified role
    select rule_code, subject_id, lower(trim(notify_role)) as notify_role
    from split_roles
),
recipients as (
    select
        r.rule_code,
        r.subject_id,
        unnest(case r.notify_role
            when 'owner' then
                case when c.owner_employee_code is not null then [c.owner_employee_code]
                    else coalesce(g_owner.employee_codes, []) end
            when 'salesperson' then [c.responsible_employee_code]
            when 'manager' then [coalesce(p.manager_employee_code, o.manager_employee_code)]
            when 'assistant' then [p.assistant_employee_code]
            when 'director' then coalesce(p.director_employee_codes, [])
            else coalesce(g.employee_codes, [])
        end) as employee_code
    from roles as r
    join chosen as c using (rule_code, subject_id)
    left join contacts as p on p.employee_code = c.responsible_employee_code
    left join contacts as o on o.employee_code = c.owner_employee_code
    left join group_members as g on g.role_code = r.notify_role
    left join group_members as g_owner on g_owner.role_code = c.owner_role
),
notify as (
    select
        rule_code,
        subject_id,
        list(distinct employee_code order by employee_code) filter (where employee_code is not null) as notify_employee_codes
    from recipients
    group by all
),
rendered as (
    select
        c.*,
        n.notify_employee_codes,
        e.employee_name as owner_name,
        coalesce(c.subject_due_date, a.as_of_date + c.response_days) as due_date,
        a.as_of_date,
        cast(c.measured_value as bigint) as value_text,
        case when c.amount is not null then format('{:,.2f}', c.amount) else '-' end as amount_text
    from chosen as c
    cross join as_of as a
    left join notify as n using (rule_code, subject_id)
    left join contacts as e on e.employee_code = c.owner_employee_code
)
select
    r.rule_code || '|' || r.subject_type || '|' || r.subject_id as warning_id,
    r.rule_code,
    r.rule_type,
    r.rule_name_zh,
    r.rule_name_en,
    r.severity,
    r.threshold,
    r.unit,
    r.measured_value,
    r.subject_type,
    r.subject_id,
    r.subject_name,
    r.customer_key,
    r.contract_no,
    cast(r.amount as decimal(18, 2)) as amount,
    r.owner_employee_code,
    r.owner_name,
    r.owner_role,
    r.responsible_employee_code,
    r.notify_roles,
    coalesce(r.notify_employee_codes, []) as notify_employee_codes,
    r.due_date,
    {%- set placeholders = {
        'subject': "r.subject_id",
        'subject_name': "coalesce(r.subject_name, r.subject_id)",
        'value': "coalesce(cast(r.value_text as varchar), '-')",
        'threshold': "cast(r.threshold as varchar)",
        'amount': "r.amount_text",
        'due_date': "cast(r.due_date as varchar)",
        'owner': "coalesce(r.owner_name, '-')",
        'node': "coalesce(r.node_name, '-')",
    } %}
    {%- for lang in ['zh', 'en'] %}
    {%- set ns = namespace(expr='r.template_' ~ lang) %}
    {%- for key, value in placeholders.items() %}
    {%- set ns.expr = "replace(" ~ ns.expr ~ ", '{" ~ key ~ "}', " ~ value ~ ")" %}
    {%- endfor %}
    {{ ns.expr }} as message_{{ lang }},
    {%- endfor %}
    r.as_of_date
from rendered as r

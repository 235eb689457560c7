-- Where the days are lost: per month (of the action) and per workflow type, node, handler
-- (approver) and handler department — volume, waiting time mean / p50 / p90 (working and
-- calendar hours), total delay contribution (overlap counted once) with its share and rank,
-- SLA breach rate, return rate, first-time-right and after-hours share. Measured tasks:
-- acted on, not a draft, not automated (auto-approvals are counted apart).
-- Definitions: docs/decisions.md.
{%- set dimensions = {
    'workflow_type': {'keys': ['source_system', 'workflow_type'], 'null': ['node_id', 'handler_key', 'department_key']},
    'node': {'keys': ['source_system', 'workflow_type', 'node_id'], 'null': ['handler_key', 'department_key']},
    'handler': {'keys': ['handler_key'], 'null': ['source_system', 'workflow_type', 'node_id', 'department_key']},
    'department': {'keys': ['department_key'], 'null': ['source_system', 'workflow_type', 'node_id', 'handler_key']},
} %}
with grouped as (
{%- for dimension, spec in dimensions.items() %}
    {% if not loop.first %}union all by name
    {% endif -%}
    select
        month_start,
        '{{ dimension }}' as dimension,
        {%- for k in spec['keys'] %}
        {{ k }},
        {%- endfor %}
        {%- for k in spec['null'] %}
        cast(null as varchar) as {{ k }},
        {%- endfor %}
        max(node_name) as node_name,
        max(handler_oa_user_id) as handler_oa_user_id,
        max(handler_name) as handler_name,
        max(handler_department_name) as department_name,
        count(*) filter (where not is_automated) as tasks,
        count(*) filter (where is_automated) as automated_tasks,
        count(distinct instance_no) as instances,
        -- means and sums over exact decimals: the same on every build (macros/exact_decimal.sql)
        round(avg({{ exact_decimal('waiting_working_hours') }}) filter (where not is_automated), 4) as mean_waiting_working_hours,
        round(quantile_cont(waiting_working_hours, 0.5) filter (where not is_automated), 4) as p50_waiting_working_hours,
        round(quantile_cont(waiting_working_hours, 0.9) filter (where not is_automated), 4) as p90_waiting_working_hours,
        round(avg({{ exact_decimal('waiting_calendar_hours') }}) filter (where not is_automated), 4) as mean_waiting_calendar_hours,
        round(quantile_cont(waiting_calendar_hours, 0.5) filter (where not is_automated), 4) as p50_waiting_calendar_hours,
        round(quantile_cont(waiting_calendar_hours, 0.9) filter (where not is_automated), 4) as p90_waiting_calendar_hours,
        cast(sum({{ exact_decimal('waiting_working_hours') }}) filter (where not is_automated) as double) as waiting_working_hours_total,
        cast(coalesce(sum({{ exact_decimal('counted_working_hours') }}), 0) as double) as delay_working_hours,
        count(*) filter (where not is_automated and sla_target_working_hours is not null) as sla_tasks,
        count(*) filter (where not is_automated and is_sla_breached) as sla_breached_tasks,
        count(*) filter (where not is_automated and not is_initiator_task) as decisions,
        count(*) filter (where action in ('return', 'reject')) as returns_and_rejections,
        count(distinct instance_no) filter (where is_first_time_right is not null) as finished_instances,
        count(distinct instance_no) filter (where is_first_time_right) as first_time_right_instances,
        count(*) filter (where is_after_hours) as after_hours_tasks,
        count(*) filter (where is_batch_approval) as batch_tasks
    from (
        select
            v.instance_no,
            v.source_system,
            v.workflow_type,
            v.node_id,
            v.node_name,
            v.handler_oa_user_id,
            v.handler_name,
            v.handler_department_name,
            v.waiting_working_hours,
            v.waiting_calendar_hours,
            v.counted_working_hours,
            v.sla_target_working_hours,
            v.is_sla_breached,
            v.is_automated,
            v.is_initiator_task,
            v.action,
            v.is_after_hours,
            v.is_batch_approval,
            cast(date_trunc('month', v.acted_date) as date) as month_start,
            coalesce(v.handler_oa_user_id, v.source_system || ':' || v.handler_id) as handler_key,
            coalesce(v.handler_department_id, v.handler_department_name) as department_key,
            i.is_first_time_right
        from {{ ref('fct_workflow_node_visits') }} as v
        left join {{ ref('fct_workflow_instances') }} as i using (instance_no)
        where v.acted_at is not null
            and not v.is_draft
    )
    group by month_start{% for k in spec['keys'] %}, {{ k }}{% endfor %}
{%- endfor %}
)
select
    md5(concat_ws('|', month_start, dimension, source_system, workflow_type, node_id, handler_key, department_key)) as efficiency_row_id,
    month_start,
    strftime(month_start, '%Y-%m') as year_month,
    dimension,
    case dimension
        when 'workflow_type' then workflow_type
        when 'node' then workflow_type || ' / ' || node_name
        when 'handler' then coalesce(handler_name, handler_key)
        else coalesce(department_name, department_key, '(unknown)')
    end as dimension_value,
    source_system,
    workflow_type,
    node_id,
    node_name,
    case when dimension = 'handler' then handler_key end as handler_key,
    case when dimension = 'handler' then handler_oa_user_id end as handler_oa_user_id,
    case when dimension = 'handler' then handler_name end as handler_name,
    case when dimension = 'department' then department_key end as department_key,
    case when dimension = 'department' then department_name end as department_name,
    tasks,
    automated_tasks,
    instances,
    mean_waiting_working_hours,
    p50_waiting_working_hours,
    p90_waiting_working_hours,
    mean_waiting_calendar_hours,
    p50_waiting_calendar_hours,
    p90_waiting_calendar_hours,
    waiting_working_hours_total,
    delay_working_hours,
    round(delay_working_hours / nullif(sum({{ exact_decimal('delay_working_hours') }}) over (partition by month_start, dimension), 0), 6) as delay_share,
    dense_rank() over (partition by month_start, dimension order by delay_working_hours desc) as delay_rank,
    sla_tasks,
    sla_breached_tasks,
    round(sla_breached_tasks / nullif(sla_tasks, 0), 6) as sla_breach_rate,
    decisions,
    returns_and_rejections,
    round(returns_and_rejections / nullif(decisions, 0), 6) as return_rate,
    finished_instances,
    first_time_right_instances,
    round(first_time_right_instances / nullif(finished_instances, 0), 6) as first_time_right_rate,
    after_hours_tasks,
    round(after_hours_tasks / nullif(tasks, 0), 6) as after_hours_share,
    batch_tasks,
    round(batch_tasks / nullif(tasks, 0), 6) as batch_share
from grouped

-- The project counts and amounts of each contract in fct_contracts agree with fct_projects.
with p as (
    select
        contract_no,
        count(*) as project_count,
        count(*) filter (where is_started) as started_project_count,
        count(*) filter (where is_delivered) as delivered_project_count,
        min(start_date) filter (where is_started) as first_start_date,
        sum(project_amount) filter (where is_started) as started_project_amount
    from {{ ref('fct_projects') }}
    group by all
)
select c.contract_no, c.project_count, p.project_count as fct_projects_count
from {{ ref('fct_contracts') }} as c
full outer join p using (contract_no)
where c.contract_no is null
    or c.project_count <> coalesce(p.project_count, 0)
    or c.started_project_count <> coalesce(p.started_project_count, 0)
    or c.delivered_project_count <> coalesce(p.delivered_project_count, 0)
    or c.first_start_date is distinct from p.first_start_date
    or c.started_project_amount is distinct from p.started_project_amount
    or c.is_started <> (coalesce(p.started_project_count, 0) > 0)

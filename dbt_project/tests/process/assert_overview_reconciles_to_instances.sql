-- rpt_process_overview adds up to fct_workflow_instances: submissions, and finishes by outcome.
with overview as (
    select source_system, workflow_type, sum(submitted) as submitted, sum(finished) as finished,
        sum(approved + completed + rejected + withdrawn + cancelled_or_deleted) as by_outcome
    from {{ ref('rpt_process_overview') }}
    group by all
),
facts as (
    select source_system, workflow_type, count(*) as submitted, count(finished_at) as finished
    from {{ ref('fct_workflow_instances') }}
    where submitted_at is not null
    group by all
)
select *
from facts
full join overview using (source_system, workflow_type)
where facts.submitted is distinct from overview.submitted
   or facts.finished is distinct from overview.finished
   or overview.finished <> overview.by_outcome

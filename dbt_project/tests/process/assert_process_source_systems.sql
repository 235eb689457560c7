-- Every instance comes from the OA, the expense system or an imported event log.
select workflow_instance_id, source_system
from {{ ref('fct_workflow_instances') }}
where source_system not in ('oa', 'expense')
    and source_system not like 'eventlog:%'

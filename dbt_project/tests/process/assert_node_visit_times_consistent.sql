-- A task is open exactly when it has no action; it cannot be acted on before it arrived; its
-- working time never exceeds its calendar time; an instance's throughput likewise.
select node_visit_id as id, 'task' as what
from {{ ref('fct_workflow_node_visits') }}
where (acted_at is null) <> (action is null)
   or waiting_seconds < 0
   or waiting_working_seconds < 0
   or waiting_working_seconds > waiting_seconds + 0.001
   or counted_seconds > waiting_seconds + 0.001
union all
select workflow_instance_id, 'instance'
from {{ ref('fct_workflow_instances') }}
where finished_at < submitted_at
   or throughput_working_seconds > throughput_seconds + 0.001
   or (throughput_seconds is null) <> (finished_at is null or submitted_at is null)
   or (outcome in ('in_progress', 'draft')) = is_finished

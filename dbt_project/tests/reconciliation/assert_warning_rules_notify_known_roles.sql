-- Every role in a warning rule's notify list is one fct_warnings can resolve to people (a
-- misspelt role would silently notify nobody).
with roles as (
    select rule_code, lower(trim(unnest(string_split(notify_roles, '|')))) as notify_role
    from {{ ref('warning_rules') }}
)
select rule_code, notify_role
from roles
where notify_role not in ('owner', 'salesperson', 'manager', 'assistant', 'director', 'finance', 'executive', 'legal')

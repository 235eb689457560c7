-- Salespeople (xsry) and project managers (xmjl) are names on the OA forms; the marts resolve
-- them to dim_employees by name because names are unique in this company. Fails when a name
-- on a contract or project form belongs to more than one employee (the resolution would be
-- ambiguous and the owner NULL).
with names as (
    select salesperson_name as employee_name from {{ ref('stg_oa__contract_forms') }}
    union
    select project_manager_name from {{ ref('stg_oa__project_start_forms') }}
)
select n.employee_name, count(distinct e.employee_code) as employees
from names as n
join {{ ref('dim_employees') }} as e using (employee_name)
group by all
having count(distinct e.employee_code) > 1

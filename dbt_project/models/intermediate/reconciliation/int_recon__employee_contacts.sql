-- Who to route to, per employee, on the as-of date: the employee's leader, the sales
-- assistant (销售内勤) of their team and the director(s) overseeing their region. Used to turn
-- an issue's or warning's responsible salesperson and a role (owner / manager / assistant /
-- director) into people. Group roles (finance, executive) resolve to everyone in the role.
with as_of as (
    select {{ as_of_date() }} as as_of_date
),
employees as (
    -- the row in force on the as-of date (else the employee's latest row)
    select e.*
    from {{ ref('dim_employees') }} as e
    cross join as_of as a
    qualify row_number() over (
        partition by e.employee_code
        order by (a.as_of_date >= e.valid_from and a.as_of_date < e.valid_to) desc, e.valid_from desc
    ) = 1
),
assistants as (
    select team_oa_department_id, min(employee_code) as assistant_employee_code
    from employees
    where role_code = 'assistant' and is_active and team_oa_department_id is not null
    group by all
),
directors as (
    select distinct viewer_employee_code as director_employee_code, unnest(visible_regions) as region
    from {{ ref('dim_user_access') }}
    where viewer_role_code = 'director'
),
region_directors as (
    select region, list(distinct director_employee_code order by director_employee_code) as director_employee_codes
    from directors
    group by all
)
select
    e.employee_code,
    e.employee_name,
    e.role_code,
    e.is_active,
    e.team_name,
    e.region,
    e.manager_employee_code,
    coalesce(a.assistant_employee_code, e.employee_code) as assistant_employee_code,
    coalesce(d.director_employee_codes, []) as director_employee_codes
from employees as e
left join assistants as a using (team_oa_department_id)
left join region_directors as d using (region)

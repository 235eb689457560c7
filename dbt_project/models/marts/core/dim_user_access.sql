-- Portal entitlements: one row per viewer and employee whose records the viewer may see.
-- A salesperson (and anyone with scope "own") sees their own records; a manager or sales
-- assistant everyone who was ever in their current team; a director everyone who was ever
-- in the regions they oversee (the regions of the managers reporting to them); executives and
-- finance everyone. Records are then filtered by their point-in-time owner:
--   where owner_employee_code in (select visible_employee_code from marts.dim_user_access
--                                 where viewer_employee_code = ?)
-- Regions and teams are listed too, for region/team level reports.
with emp as (
    select * from {{ ref('dim_employees') }}
),
current_emp as (
    select * from emp where is_current
),
director_regions as (
    select distinct m.manager_oa_user_id as director_oa_user_id, m.region
    from current_emp as m
    where m.role_code = 'manager' and m.region is not null
),
viewer_scope as (
    -- (viewer, region, team) the viewer may see; NULL region and team with scope all
    select v.employee_code as viewer_employee_code, v.access_scope, null as region, null as team_oa_department_id
    from current_emp as v where v.access_scope = 'all'
    union all
    select v.employee_code, v.access_scope, v.region, v.team_oa_department_id
    from current_emp as v where v.access_scope = 'team' and v.team_oa_department_id is not null
    union all
    select v.employee_code, v.access_scope, dr.region, null
    from current_emp as v
    join director_regions as dr on dr.director_oa_user_id = v.oa_user_id
    where v.access_scope = 'region'
),
visible as (
    select distinct s.viewer_employee_code, s.access_scope, e.employee_code as visible_employee_code
    from viewer_scope as s
    join emp as e
        on s.access_scope = 'all'
        or (s.team_oa_department_id is not null and e.team_oa_department_id = s.team_oa_department_id)
        or (s.team_oa_department_id is null and s.region is not null and e.region = s.region)
    union
    select employee_code, access_scope, employee_code
    from current_emp
)
select
    visible.viewer_employee_code,
    viewer.login_id as viewer_login_id,
    viewer.role_code as viewer_role_code,
    visible.access_scope,
    visible.visible_employee_code,
    (
        select list(distinct s.region order by s.region)
        from viewer_scope as s
        where s.viewer_employee_code = visible.viewer_employee_code and s.region is not null
    ) as visible_regions,
    visible.access_scope = 'all' as sees_everything
from visible
join current_emp as viewer on viewer.employee_code = visible.viewer_employee_code

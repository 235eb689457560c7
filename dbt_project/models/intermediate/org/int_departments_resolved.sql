-- Each OA department with the team and region it belongs to: a region is a department named
-- "<region>大区"; a team is a department whose parent is a region.
with d as (
    select * from {{ ref('stg_oa__departments') }}
)
select
    d.oa_department_id,
    d.department_name,
    d.parent_oa_department_id,
    case
        when d.department_name like '%大区' then 'region'
        when p.department_name like '%大区' then 'team'
        else 'function'
    end as department_kind,
    case when p.department_name like '%大区' then d.oa_department_id end as team_oa_department_id,
    case when p.department_name like '%大区' then d.department_name end as team_name,
    case
        when d.department_name like '%大区' then replace(d.department_name, '大区', '')
        when p.department_name like '%大区' then replace(p.department_name, '大区', '')
    end as region
from d
left join {{ ref('stg_oa__departments') }} as p on p.oa_department_id = d.parent_oa_department_id

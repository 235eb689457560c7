{{ config(severity='warn') }}
-- Warn when a salesperson name on a contract form matches no employee at all (misspelt or
-- unknown person): the contract then has no owner, team or point-in-time region.
select contract_no, owner_name
from {{ ref('fct_contracts') }}
where owner_name is not null and owner_employee_code is null

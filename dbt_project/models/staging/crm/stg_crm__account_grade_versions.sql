-- Every customer-grade value the extractor has seen per account (the landing change log keeps
-- what the CRM API overwrites), with when the CRM says it changed.
select
    id as crm_account_id,
    "Customer_Grade" as customer_grade,
    "Modified_Time" as modified_at,
    "Created_Time" as created_at,
    _extracted_at
from {{ source('crm', 'Accounts') }}
where _op = 'upsert' and "Customer_Grade" is not null

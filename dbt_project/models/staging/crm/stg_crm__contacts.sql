with src as {{ latest_versions(source('crm', 'Contacts'), 'id') }}
select
    id as crm_contact_id,
    "Full_Name" as contact_name,
    "Account_Name.id" as crm_account_id,
    "Title" as title,
    "Department" as department,
    "Owner.id" as owner_crm_user_id,
    "Created_Time" as created_at,
    "Modified_Time" as modified_at,
    _extracted_at
from src
